//! The pickup counter: a merchant hands an order over against its code.

use entity::order::{self, OrderStatus};
use entity::{goods, group_buy};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter};
use serde::Deserialize;
use utoipa::ToSchema;

use super::views::{OrderView, Viewer};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::time;

#[derive(Debug, Deserialize, ToSchema)]
pub struct PickupRequest {
    pub pickup_code: String,
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
    txn.commit().await?;
    Ok(OrderView::new(&o, Viewer::Merchant))
}
