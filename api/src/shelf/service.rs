//! Shelf items and redemptions.

use chrono::{DateTime, Utc};
use entity::point_entry::EntrySource;
use entity::redemption::{self, RedemptionStatus};
use entity::shelf_item;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::db::is_duplicate;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::FieldErrors;
use crate::inbox::{self, Kind, Message};
use crate::media::MediaStore;
use crate::orders::numbers::new_pickup_code;
use crate::pagination::{Page, Paged};
use crate::points::ledger::{self, Spend};
use crate::time;
use crate::uploads::Purpose;
use crate::uploads::refs::{self, ImageRef};

/// Images an item may show.
const MAX_IMAGES: usize = 6;

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ShelfItemView {
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub description: String,
    /// The price in points (e.g. 50 积分).
    pub price_points: i64,
    pub stock: i32,
    /// URLs of the images (an upload's public URL, or the https URL sent);
    /// an image WeChat flagged is left out.
    pub images: Vec<String>,
    /// The images as sent (upload ids or URLs), in the order of `images`:
    /// what to send back to keep them.
    pub image_refs: Vec<ImageRef>,
    pub on_shelf: bool,
    pub created_at: DateTime<Utc>,
}

impl From<shelf_item::Model> for ShelfItemView {
    fn from(m: shelf_item::Model) -> Self {
        Self {
            images: Vec::new(),
            image_refs: refs::from_json(&m.images),
            id: m.id,
            community_id: m.community_id,
            name: m.name,
            description: m.description,
            price_points: m.price_points,
            stock: m.stock,
            on_shelf: m.on_shelf,
            created_at: m.created_at,
        }
    }
}

/// Fills in the image URLs of `views` (one query for all their uploads).
pub async fn with_images(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    mut views: Vec<ShelfItemView>,
) -> ApiResult<Vec<ShelfItemView>> {
    let resolver =
        refs::Resolver::load(db, media, views.iter().flat_map(|v| v.image_refs.iter())).await?;
    for v in &mut views {
        (v.image_refs, v.images) = resolver.visible(&v.image_refs);
    }
    Ok(views)
}

/// [`with_images`] of one.
pub async fn with_images_one(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    view: ShelfItemView,
) -> ApiResult<ShelfItemView> {
    with_images(db, media, vec![view])
        .await?
        .pop()
        .ok_or_else(|| ApiError::new(ErrorCode::ShelfItemNotFound))
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct NewShelfItem {
    pub community_id: i64,
    /// 1-60 characters.
    pub name: String,
    /// Up to 500 characters.
    #[serde(default)]
    pub description: String,
    /// 1-1000000.
    pub price_points: i64,
    /// 0-1000000.
    pub stock: i32,
    /// Up to 6: upload ids (`purpose = goods_image`) or https URLs.
    #[serde(default)]
    pub images: Vec<ImageRef>,
    #[serde(default = "yes")]
    pub on_shelf: bool,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ShelfItemPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub price_points: Option<i64>,
    pub stock: Option<i32>,
    pub images: Option<Vec<ImageRef>>,
    pub on_shelf: Option<bool>,
}

fn check_numbers(errors: &mut FieldErrors, price: Option<i64>, stock: Option<i32>) {
    if let Some(p) = price
        && !(1..=1_000_000).contains(&p)
    {
        errors.push("price_points", "积分价格须在 1 到 1000000 之间");
    }
    if let Some(s) = stock
        && !(0..=1_000_000).contains(&s)
    {
        errors.push("stock", "库存须在 0 到 1000000 之间");
    }
}

pub async fn create(
    conn: &impl ConnectionTrait,
    owner_id: i64,
    new: NewShelfItem,
) -> ApiResult<ShelfItemView> {
    let mut errors = FieldErrors::default();
    let name = errors.text("name", &new.name, 1, 60);
    let description = errors.text("description", &new.description, 0, 500);
    check_numbers(&mut errors, Some(new.price_points), Some(new.stock));
    refs::check_list(&mut errors, "images", &new.images, MAX_IMAGES);
    errors.finish()?;
    refs::claim_all(conn, owner_id, Purpose::GoodsImage, "images", &new.images).await?;
    let now = time::now();
    let saved = shelf_item::ActiveModel {
        community_id: Set(new.community_id),
        name: Set(name),
        description: Set(description),
        price_points: Set(new.price_points),
        stock: Set(new.stock),
        images: Set(refs::to_json(&new.images)),
        on_shelf: Set(new.on_shelf),
        deleted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(saved.into())
}

/// An item not deleted, 404 `SHELF_ITEM_NOT_FOUND` otherwise.
pub async fn find(conn: &impl ConnectionTrait, id: i64) -> ApiResult<shelf_item::Model> {
    shelf_item::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|i| i.deleted_at.is_none())
        .ok_or_else(|| ApiError::new(ErrorCode::ShelfItemNotFound))
}

pub async fn update(
    conn: &impl ConnectionTrait,
    owner_id: i64,
    item: shelf_item::Model,
    patch: ShelfItemPatch,
) -> ApiResult<ShelfItemView> {
    let mut errors = FieldErrors::default();
    let name = patch.name.as_deref().map(|n| errors.text("name", n, 1, 60));
    let description = patch
        .description
        .as_deref()
        .map(|d| errors.text("description", d, 0, 500));
    check_numbers(&mut errors, patch.price_points, patch.stock);
    if let Some(images) = &patch.images {
        refs::check_list(&mut errors, "images", images, MAX_IMAGES);
    }
    errors.finish()?;
    let old_images = refs::from_json(&item.images);
    let mut active = item.into_active_model();
    if let Some(images) = &patch.images {
        refs::claim_all(conn, owner_id, Purpose::GoodsImage, "images", images).await?;
        refs::release_all(conn, &old_images).await?;
        active.images = Set(refs::to_json(images));
    }
    if let Some(n) = name {
        active.name = Set(n);
    }
    if let Some(d) = description {
        active.description = Set(d);
    }
    if let Some(p) = patch.price_points {
        active.price_points = Set(p);
    }
    if let Some(s) = patch.stock {
        active.stock = Set(s);
    }
    if let Some(o) = patch.on_shelf {
        active.on_shelf = Set(o);
    }
    active.updated_at = Set(time::now());
    Ok(active.update(conn).await?.into())
}

/// Takes the item off the shelf for good (its redemptions stay).
pub async fn delete(conn: &impl ConnectionTrait, item: shelf_item::Model) -> ApiResult<()> {
    let images = refs::from_json(&item.images);
    let mut active = item.into_active_model();
    active.deleted_at = Set(Some(time::now()));
    active.on_shelf = Set(false);
    active.update(conn).await?;
    refs::release_all(conn, &images).await
}

/// A community's shelf: items on it, in stock first, newest first.
pub async fn shelf(
    conn: &impl ConnectionTrait,
    community_id: i64,
    all: bool,
    page: Page,
) -> ApiResult<Paged<ShelfItemView>> {
    let mut select = shelf_item::Entity::find()
        .filter(shelf_item::Column::CommunityId.eq(community_id))
        .filter(shelf_item::Column::DeletedAt.is_null());
    if !all {
        select = select.filter(shelf_item::Column::OnShelf.eq(true));
    }
    let listed = page
        .fetch(conn, select.order_by_desc(shelf_item::Column::Id))
        .await?;
    Ok(listed.map(ShelfItemView::from))
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RedemptionView {
    pub id: i64,
    pub user_id: i64,
    pub community_id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub quantity: i32,
    pub points: i64,
    pub status: RedemptionStatus,
    /// Shown to the resident while awaiting pickup.
    pub pickup_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub picked_up_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl RedemptionView {
    pub fn of(m: redemption::Model, show_code: bool) -> Self {
        Self {
            pickup_code: (show_code && m.status == RedemptionStatus::AwaitingPickup)
                .then_some(m.pickup_code),
            id: m.id,
            user_id: m.user_id,
            community_id: m.community_id,
            item_id: m.item_id,
            item_name: m.item_name,
            quantity: m.quantity,
            points: m.points,
            status: m.status,
            created_at: m.created_at,
            picked_up_at: m.picked_up_at,
            cancelled_at: m.cancelled_at,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct NewRedemption {
    /// 1-10.
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 10)]
    pub quantity: i32,
}

fn one() -> i32 {
    1
}

/// Redeems an item in `conn`'s transaction: takes the stock (409
/// `INSUFFICIENT_STOCK`), then the points (409 `INSUFFICIENT_POINTS`),
/// both by conditional updates; the caller rolls back on any error.
pub async fn redeem(
    conn: &impl ConnectionTrait,
    user_id: i64,
    item_id: i64,
    body: NewRedemption,
) -> ApiResult<RedemptionView> {
    if !(1..=10).contains(&body.quantity) {
        return Err(ApiError::field("quantity", "数量须在 1 到 10 之间"));
    }
    let item = find(conn, item_id).await?;
    if !item.on_shelf {
        return Err(ErrorCode::ShelfItemNotFound.into());
    }
    let taken = shelf_item::Entity::update_many()
        .col_expr(
            shelf_item::Column::Stock,
            Expr::col(shelf_item::Column::Stock).sub(body.quantity),
        )
        .filter(shelf_item::Column::Id.eq(item.id))
        .filter(shelf_item::Column::OnShelf.eq(true))
        .filter(shelf_item::Column::DeletedAt.is_null())
        .filter(shelf_item::Column::Stock.gte(body.quantity))
        .exec(conn)
        .await?;
    if taken.rows_affected != 1 {
        return Err(ErrorCode::InsufficientStock.into());
    }
    let points = item
        .price_points
        .checked_mul(i64::from(body.quantity))
        .ok_or_else(|| ApiError::field("quantity", "数量过大"))?;
    let spent = ledger::spend(
        conn,
        Spend {
            user_id,
            community_id: item.community_id,
            points,
            source: EntrySource::Redemption,
            source_ref: None,
            note: format!("兑换 {} × {}", item.name, body.quantity),
        },
    )
    .await?;
    let mut saved = None;
    for _ in 0..5 {
        let inserted = redemption::ActiveModel {
            user_id: Set(user_id),
            community_id: Set(item.community_id),
            item_id: Set(item.id),
            item_name: Set(item.name.clone()),
            quantity: Set(body.quantity),
            points: Set(points),
            status: Set(RedemptionStatus::AwaitingPickup),
            pickup_code: Set(new_pickup_code()),
            spend_entry_id: Set(spent.id),
            created_at: Set(time::now()),
            picked_up_at: Set(None),
            picked_up_by: Set(None),
            cancelled_at: Set(None),
            ..Default::default()
        }
        .insert(conn)
        .await;
        match inserted {
            Err(e) if is_duplicate(&e) => continue,
            other => {
                saved = Some(other?);
                break;
            }
        }
    }
    let saved = saved.ok_or_else(|| ApiError::new(ErrorCode::ServiceUnavailable))?;
    inbox::post(
        conn,
        user_id,
        Message::new(
            Kind::Redemption,
            "兑换成功，请凭取货码领取",
            format!("{} × {}，消耗 {points} 积分", item.name, body.quantity),
        )
        .target(json!({"type": "redemption", "id": saved.id})),
    )
    .await?;
    Ok(RedemptionView::of(saved, true))
}

/// The caller's redemptions, newest first.
pub async fn mine(
    conn: &impl ConnectionTrait,
    user_id: i64,
    page: Page,
) -> ApiResult<Paged<RedemptionView>> {
    let select = redemption::Entity::find()
        .filter(redemption::Column::UserId.eq(user_id))
        .order_by_desc(redemption::Column::Id);
    Ok(page
        .fetch(conn, select)
        .await?
        .map(|r| RedemptionView::of(r, true)))
}

/// Cancels the caller's redemption before pickup: the stock and the points
/// (a reversal of the spend) return, once (a conditional status update).
pub async fn cancel(
    conn: &impl ConnectionTrait,
    user_id: i64,
    id: i64,
) -> ApiResult<RedemptionView> {
    let r = redemption::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|r| r.user_id == user_id)
        .ok_or_else(|| ApiError::new(ErrorCode::RedemptionNotFound))?;
    let now = time::now();
    let moved = redemption::Entity::update_many()
        .col_expr(
            redemption::Column::Status,
            Expr::value(RedemptionStatus::Cancelled),
        )
        .col_expr(redemption::Column::CancelledAt, Expr::value(now))
        .filter(redemption::Column::Id.eq(r.id))
        .filter(redemption::Column::Status.eq(RedemptionStatus::AwaitingPickup))
        .exec(conn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(ErrorCode::InvalidTransition.into());
    }
    shelf_item::Entity::update_many()
        .col_expr(
            shelf_item::Column::Stock,
            Expr::col(shelf_item::Column::Stock).add(r.quantity),
        )
        .filter(shelf_item::Column::Id.eq(r.item_id))
        .exec(conn)
        .await?;
    let spend = ledger::entry(conn, r.spend_entry_id).await?;
    ledger::reverse(
        conn,
        &spend,
        EntrySource::Redemption,
        Some(user_id),
        format!("取消兑换 {}", r.item_name),
    )
    .await?;
    let after = redemption::Entity::find_by_id(r.id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::RedemptionNotFound))?;
    Ok(RedemptionView::of(after, false))
}

/// The redemption a pickup code names, awaiting pickup in one of `scope`'s
/// communities (None: any); 409 `PICKUP_CODE_INVALID` otherwise.
pub async fn by_code(
    conn: &impl ConnectionTrait,
    code: &str,
    scope: Option<&[i64]>,
) -> ApiResult<redemption::Model> {
    redemption::Entity::find()
        .filter(redemption::Column::PickupCode.eq(code))
        .one(conn)
        .await?
        .filter(|r| r.status == RedemptionStatus::AwaitingPickup)
        .filter(|r| scope.is_none_or(|s| s.contains(&r.community_id)))
        .ok_or_else(|| ApiError::new(ErrorCode::PickupCodeInvalid))
}

/// Hands a redemption over at the counter, once.
pub async fn pick_up(
    conn: &impl ConnectionTrait,
    r: redemption::Model,
    by: i64,
) -> ApiResult<RedemptionView> {
    let now = time::now();
    let moved = redemption::Entity::update_many()
        .col_expr(
            redemption::Column::Status,
            Expr::value(RedemptionStatus::PickedUp),
        )
        .col_expr(redemption::Column::PickedUpAt, Expr::value(now))
        .col_expr(redemption::Column::PickedUpBy, Expr::value(by))
        .filter(redemption::Column::Id.eq(r.id))
        .filter(redemption::Column::Status.eq(RedemptionStatus::AwaitingPickup))
        .exec(conn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(ErrorCode::PickupCodeInvalid.into());
    }
    inbox::post(
        conn,
        r.user_id,
        Message::new(Kind::Redemption, "兑换物品已领取", r.item_name.clone())
            .target(json!({"type": "redemption", "id": r.id})),
    )
    .await?;
    let after = redemption::Entity::find_by_id(r.id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::RedemptionNotFound))?;
    Ok(RedemptionView::of(after, false))
}
