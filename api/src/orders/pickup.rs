//! The pickup counter: a merchant looks a code up, then hands the order
//! over against it.

use chrono::{DateTime, Utc};
use entity::order::{self, OrderKind, OrderStatus};
use entity::{group_buy, merchant, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::lines::{lines_of, record_sales};
use super::views::{MerchantOrderView, OrderView, Viewer};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::time;

#[derive(Debug, Deserialize, ToSchema)]
pub struct PickupRequest {
    /// 1-16 printable ASCII characters.
    #[schema(pattern = r"^[!-~]{1,16}$")]
    pub pickup_code: String,
}

/// An order found by its pickup code, before the hand-over.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PickupPreview {
    #[serde(flatten)]
    pub order: MerchantOrderView,
    /// The campaign's title (group-buy orders).
    pub group_buy_title: Option<String>,
    /// The campaign's goods (group-buy orders; a shop order has `lines`).
    pub goods_id: Option<i64>,
    /// The campaign's pickup point, or the merchant's address.
    pub pickup_address: String,
    pub pickup_starts_at: Option<DateTime<Utc>>,
    pub pickup_ends_at: Option<DateTime<Utc>>,
}

/// The statuses an order waits at the counter in, by kind.
fn at_counter() -> [OrderStatus; 2] {
    [OrderStatus::AwaitingPickup, OrderStatus::ReadyForPickup]
}

/// What handing an order over makes it.
fn handed_over(kind: OrderKind) -> OrderStatus {
    match kind {
        OrderKind::GroupBuy => OrderStatus::PickedUp,
        OrderKind::Shop => OrderStatus::Completed,
    }
}

/// The merchant's order awaiting pickup with this code, shown before the
/// hand-over; nothing changes. The same 409 as the hand-over for a wrong,
/// used or other merchant's code.
#[tracing::instrument(skip_all, fields(merchant_id))]
pub async fn look_up(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    code: &str,
) -> ApiResult<PickupPreview> {
    let code = code.trim();
    if code.is_empty() || code.len() > 16 {
        return Err(ErrorCode::PickupCodeInvalid.into());
    }
    let o = order::Entity::find()
        .filter(order::Column::PickupCode.eq(code))
        .filter(order::Column::MerchantId.eq(merchant_id))
        .filter(order::Column::Status.is_in(at_counter()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::PickupCodeInvalid))?;
    let buyer = user::Entity::find_by_id(o.user_id).one(db).await?;
    let lines = lines_of(db, [o.id])
        .await?
        .remove(&o.id)
        .unwrap_or_default();
    let order = MerchantOrderView::with_lines(&o, &lines, buyer.as_ref());
    if let Some(gb_id) = o.group_buy_id {
        let gb = group_buy::Entity::find_by_id(gb_id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::GroupBuyNotFound))?;
        return Ok(PickupPreview {
            order,
            group_buy_title: Some(gb.title),
            goods_id: Some(gb.goods_id),
            pickup_address: gb.pickup_address,
            pickup_starts_at: Some(gb.pickup_starts_at),
            pickup_ends_at: Some(gb.pickup_ends_at),
        });
    }
    let shop = merchant::Entity::find_by_id(o.merchant_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::MerchantNotFound))?;
    Ok(PickupPreview {
        order,
        group_buy_title: None,
        goods_id: None,
        pickup_address: shop.address,
        pickup_starts_at: None,
        pickup_ends_at: None,
    })
}

/// Hands an order over at the counter: the code must belong to this
/// merchant's order that awaits pickup; used once. A group-buy order is
/// picked up, a shop order completed; its goods count as sold.
#[tracing::instrument(skip_all, fields(merchant_id))]
pub async fn pick_up(
    db: &DatabaseConnection,
    merchant_id: i64,
    code: &str,
) -> ApiResult<OrderView> {
    let code = code.trim();
    if code.is_empty() || code.len() > 16 {
        return Err(ApiError::field("pickup_code", "请输入提货码"));
    }
    let now = time::now();
    let txn = crate::db::begin_write(db).await?;
    let found = order::Entity::find()
        .filter(order::Column::PickupCode.eq(code))
        .filter(order::Column::MerchantId.eq(merchant_id))
        .filter(order::Column::Status.is_in(at_counter()))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::PickupCodeInvalid))?;
    let next = handed_over(found.kind);
    let mut update = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(next))
        .col_expr(order::Column::PickedUpAt, Expr::value(now))
        .col_expr(order::Column::UpdatedAt, Expr::value(now));
    if next == OrderStatus::Completed {
        update = update.col_expr(order::Column::CompletedAt, Expr::value(now));
    }
    let changed = update
        .filter(order::Column::Id.eq(found.id))
        .filter(order::Column::Status.eq(found.status))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ErrorCode::PickupCodeInvalid.into());
    }
    record_sales(&txn, &found).await?;
    if found.kind == OrderKind::GroupBuy {
        // A shop order's pickup is told through `notify::order_changed`.
        super::messages::picked_up(&txn, &found).await?;
    }
    txn.commit().await?;
    let o = order::Entity::find_by_id(found.id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::OrderNotFound))?;
    if o.kind == OrderKind::Shop {
        super::notify::order_changed(db, &o, super::notify::Party::Merchant).await;
    }
    let lines = lines_of(db, [o.id])
        .await?
        .remove(&o.id)
        .unwrap_or_default();
    Ok(OrderView::with_lines(&o, &lines, Viewer::Merchant))
}
