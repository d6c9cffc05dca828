//! What happens to group-buy orders after they are placed: the resident
//! cancels before the cut-off, unpaid ones expire, a campaign's end cancels
//! or readies them for pickup.

use chrono::{DateTime, Utc};
use entity::group_buy::CampaignState;
use entity::order::OrderStatus;
use entity::{group_buy, order, order_prepay};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, TransactionTrait,
};

use super::order_writes::return_to_campaign;
use super::service;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::orders::numbers::new_pickup_code;
use crate::orders::payments;
use crate::orders::reads::own;
use crate::orders::refunds::{self, RefundReason};
use crate::orders::views::{OrderView, Viewer};
use crate::time;

/// The resident cancels before cut-off; the quantity returns to the campaign.
#[tracing::instrument(skip_all, fields(user_id, order_no))]
pub async fn cancel_mine(
    db: &DatabaseConnection,
    user_id: i64,
    order_no: &str,
) -> ApiResult<OrderView> {
    let o = own(db, user_id, order_no).await?;
    let Some(gb_id) = o.group_buy_id else {
        // A shop order: its merchant, not a campaign, decides the cut-off.
        return crate::shop::lifecycle::cancel_by_resident(db, o).await;
    };
    let gb = service::find(db, gb_id).await?;
    let now = time::now();
    if gb.state != CampaignState::Open || gb.ends_at <= now {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("已截单，不能取消"));
    }
    let txn = crate::db::begin_write(db).await?;
    let next = ending_status(&o);
    let changed = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(next))
        .col_expr(order::Column::CancelledAt, Expr::value(now))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(o.id))
        // As read: a payment recorded meanwhile changes what cancelling means.
        .filter(order::Column::Status.eq(o.status))
        .filter(
            order::Column::Status
                .is_in(OrderStatus::all_where(OrderStatus::cancellable_by_resident)),
        )
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("订单当前状态不能取消"));
    }
    if next == OrderStatus::Refunding {
        refunds::record_full_refunds(&txn, o.id, RefundReason::ResidentCancelled, now).await?;
    }
    crate::orders::messages::cancelled(&txn, &o, true).await?;
    // The cut-off may have passed while we worked: only give back to an open campaign.
    let still_open = group_buy::Entity::find_by_id(gb.id)
        .filter(group_buy::Column::State.eq(CampaignState::Open))
        .filter(group_buy::Column::EndsAt.gt(now))
        .count(&txn)
        .await?;
    if still_open != 1 {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("已截单，不能取消"));
    }
    return_to_campaign(&txn, &o).await?;
    txn.commit().await?;
    let fresh = own(db, user_id, order_no).await?;
    Ok(OrderView::new(&fresh, Viewer::Owner))
}

/// Cancels every order of a campaign in `statuses` (recording the refund of
/// those paid); answers the quantity cancelled. Runs inside the caller's
/// transaction.
pub async fn cancel_orders_of(
    txn: &impl ConnectionTrait,
    group_buy_id: i64,
    statuses: &[OrderStatus],
    reason: RefundReason,
    now: DateTime<Utc>,
) -> ApiResult<i64> {
    let orders = order::Entity::find()
        .filter(order::Column::GroupBuyId.eq(group_buy_id))
        .filter(order::Column::Status.is_in(statuses.iter().copied()))
        .all(txn)
        .await?;
    let mut quantity = 0;
    for o in orders {
        let next = ending_status(&o);
        let changed = order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(next))
            .col_expr(order::Column::CancelledAt, Expr::value(now))
            .col_expr(order::Column::UpdatedAt, Expr::value(now))
            .filter(order::Column::Id.eq(o.id))
            .filter(order::Column::Status.eq(o.status))
            .exec(txn)
            .await?;
        if changed.rows_affected == 1 {
            quantity += o.quantity;
            if next == OrderStatus::Refunding {
                refunds::record_full_refunds(txn, o.id, reason, now).await?;
            }
            // A failed campaign's participants hear of it from the settlement.
            if !matches!(reason, RefundReason::CampaignFailed) {
                crate::orders::messages::cancelled(txn, &o, false).await?;
            }
        }
    }
    Ok(quantity)
}

/// What a cancelled order becomes: `refunding` where it was paid online (its
/// refund recorded with it; `refunded` once the money is back), else
/// `cancelled`.
fn ending_status(o: &order::Model) -> OrderStatus {
    if payments::refund_needed(o) {
        OrderStatus::Refunding
    } else {
        OrderStatus::Cancelled
    }
}

/// Expires a campaign's unpaid orders and gives their quantity back;
/// answers how many expired. Runs inside the caller's transaction.
pub async fn expire_pending_of(
    txn: &impl ConnectionTrait,
    group_buy_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<u64> {
    let pending = order::Entity::find()
        .filter(order::Column::GroupBuyId.eq(group_buy_id))
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment))
        .all(txn)
        .await?;
    let mut expired = 0;
    for o in pending {
        let changed = order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(OrderStatus::Expired))
            .col_expr(order::Column::UpdatedAt, Expr::value(now))
            .filter(order::Column::Id.eq(o.id))
            .filter(order::Column::Status.eq(OrderStatus::PendingPayment))
            .exec(txn)
            .await?;
        if changed.rows_affected == 1 {
            return_to_campaign(txn, &o).await?;
            expired += 1;
        }
    }
    Ok(expired)
}

/// Expires unpaid orders past their payment deadline, releasing their
/// quantity; answers how many expired. Orders with a WeChat Pay prepay are
/// left to the payment sweep, which first makes sure they were not paid
/// and closes their trade ([`super::payment_sweep`]).
#[tracing::instrument(skip_all)]
pub async fn expire_overdue(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<u64> {
    let prepaid = Query::select()
        .column(order_prepay::Column::OrderId)
        .from(order_prepay::Entity)
        .to_owned();
    let overdue = order::Entity::find()
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment))
        .filter(order::Column::ExpiresAt.lte(now))
        .filter(order::Column::Id.not_in_subquery(prepaid))
        .limit(500)
        .all(db)
        .await?;
    let mut expired = 0;
    for o in overdue {
        if expire_one(db, &o, now).await? {
            expired += 1;
        }
    }
    Ok(expired)
}

/// Expires one unpaid order and gives its quantity back, if it still
/// awaits payment; true when it expired.
pub async fn expire_one(
    db: &DatabaseConnection,
    o: &order::Model,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let txn = crate::db::begin_write(db).await?;
    let changed = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(OrderStatus::Expired))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(o.id))
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment))
        .exec(&txn)
        .await?;
    let expired = changed.rows_affected == 1;
    if expired {
        return_to_campaign(&txn, o).await?;
    }
    txn.commit().await?;
    Ok(expired)
}

/// Gives a succeeded campaign's placed orders their pickup codes. Codes are
/// unique across all orders; a collision retries inside a savepoint.
pub async fn assign_pickup_codes(
    txn: &sea_orm::DatabaseTransaction,
    group_buy_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<u64> {
    let orders = order::Entity::find()
        .filter(order::Column::GroupBuyId.eq(group_buy_id))
        .filter(order::Column::Status.eq(OrderStatus::Placed))
        .all(txn)
        .await?;
    let mut done = 0;
    for o in orders {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let sp = txn.begin().await?;
            let res = order::Entity::update_many()
                .col_expr(
                    order::Column::Status,
                    Expr::value(OrderStatus::AwaitingPickup),
                )
                .col_expr(order::Column::PickupCode, Expr::value(new_pickup_code()))
                .col_expr(order::Column::UpdatedAt, Expr::value(now))
                .filter(order::Column::Id.eq(o.id))
                .filter(order::Column::Status.eq(OrderStatus::Placed))
                .exec(&sp)
                .await;
            match res {
                Ok(_) => {
                    sp.commit().await?;
                    done += 1;
                    break;
                }
                Err(err) if attempts < 5 && crate::db::is_duplicate(&err) => {
                    sp.rollback().await?;
                }
                Err(err) => return Err(err.into()),
            }
        }
    }
    Ok(done)
}
