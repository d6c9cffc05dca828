//! Redemptions: taking points and stock in one transaction for a pickup
//! code, the resident's list, cancelling before pickup (both given back)
//! and the counter's look-up and hand-over.

use chrono::{DateTime, Utc};
use entity::point_entry::EntrySource;
use entity::redemption::{self, RedemptionStatus};
use entity::shelf_item;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::service::find;
use crate::db::is_duplicate;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::inbox::{self, Kind, Message};
use crate::orders::numbers::new_pickup_code;
use crate::pagination::{Page, Paged};
use crate::points::ledger::{self, Spend};
use crate::time;

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
