//! Shelf items: stocking, editing and listing what a community's shelf
//! offers (redemptions are `redemptions.rs`'s).

use chrono::{DateTime, Utc};
use entity::shelf_item;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::FieldErrors;
use crate::media::MediaStore;
use crate::pagination::{Page, Paged};
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
