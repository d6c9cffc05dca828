//! The pickup counter: a merchant looks a code up, then hands the order
//! over against it.

use chrono::{DateTime, Utc};
use entity::order::{self, OrderStatus};
use entity::{goods, group_buy, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::views::{MerchantOrderView, OrderView, Viewer};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::time;

#[derive(Debug, Deserialize, ToSchema)]
pub struct PickupRequest {
    pub pickup_code: String,
}

/// An order found by its pickup code, before the hand-over.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PickupPreview {
    #[serde(flatten)]
    pub order: MerchantOrderView,
    pub group_buy_title: String,
    pub goods_id: i64,
    pub pickup_address: String,
    pub pickup_starts_at: DateTime<Utc>,
    pub pickup_ends_at: DateTime<Utc>,
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
        .filter(order::Column::Status.eq(OrderStatus::AwaitingPickup))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::PickupCodeInvalid))?;
    let gb = group_buy::Entity::find_by_id(o.group_buy_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::GroupBuyNotFound))?;
    let buyer = user::Entity::find_by_id(o.user_id).one(db).await?;
    Ok(PickupPreview {
        order: MerchantOrderView::from_model(&o, buyer.as_ref()),
        group_buy_title: gb.title,
        goods_id: gb.goods_id,
        pickup_address: gb.pickup_address,
        pickup_starts_at: gb.pickup_starts_at,
        pickup_ends_at: gb.pickup_ends_at,
    })
}

/// Hands an order over at the counter: the code must belong to this
/// merchant's order that awaits pickup; used once. Counts the quantity as
/// sold.
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
    let changed = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(OrderStatus::PickedUp))
        .col_expr(order::Column::PickedUpAt, Expr::value(now))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::PickupCode.eq(code))
        .filter(order::Column::MerchantId.eq(merchant_id))
        .filter(order::Column::Status.eq(OrderStatus::AwaitingPickup))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ErrorCode::PickupCodeInvalid.into());
    }
    let o = order::Entity::find()
        .filter(order::Column::PickupCode.eq(code))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::PickupCodeInvalid))?;
    let goods_id = group_buy::Entity::find_by_id(o.group_buy_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::GroupBuyNotFound))?
        .goods_id;
    goods::Entity::update_many()
        .col_expr(
            goods::Column::Sales,
            Expr::col(goods::Column::Sales).add(o.quantity),
        )
        .filter(goods::Column::Id.eq(goods_id))
        .exec(&txn)
        .await?;
    super::messages::picked_up(&txn, &o).await?;
    txn.commit().await?;
    Ok(OrderView::new(&o, Viewer::Merchant))
}
