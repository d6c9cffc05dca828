//! A shop order's life after checkout: the merchant accepts, readies it for
//! pickup or sends it out, and completes it, or declines it (stock back,
//! refund where paid); the resident cancels until it is accepted and
//! confirms a delivery; the clock completes deliveries nobody confirmed.
//! Every change is one conditional update on the status as read, so two
//! hands on one order never both win; a step the status does not allow is
//! 409 `INVALID_TRANSITION`.

use chrono::{DateTime, Utc};
use entity::order::{self, Fulfilment, OrderKind, OrderStatus};
use entity::order_prepay;
use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::stock;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::orders::lines::{lines_of, record_sales};
use crate::orders::notify::{Party, order_changed};
use crate::orders::numbers::new_pickup_code;
use crate::orders::payments;
use crate::orders::refunds::{self, RefundReason};
use crate::orders::views::{OrderView, Viewer};

/// A step the merchant takes at the order desk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeskStep {
    /// placed → accepted.
    Accept,
    /// accepted → ready_for_pickup (a pickup order; its code is issued).
    Ready,
    /// accepted → delivering (a delivery order).
    Deliver,
    /// delivering → completed.
    Complete,
}

impl DeskStep {
    /// The status this step leads to from the order as it is, if allowed.
    fn next(self, o: &order::Model) -> Option<OrderStatus> {
        let pickup = o.fulfilment == Some(Fulfilment::Pickup);
        match (self, o.status) {
            (DeskStep::Accept, OrderStatus::Placed) => Some(OrderStatus::Accepted),
            (DeskStep::Ready, OrderStatus::Accepted) if pickup => Some(OrderStatus::ReadyForPickup),
            (DeskStep::Deliver, OrderStatus::Accepted) if !pickup => Some(OrderStatus::Delivering),
            (DeskStep::Complete, OrderStatus::Delivering) => Some(OrderStatus::Completed),
            _ => None,
        }
    }
}

fn invalid(message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidTransition).message(message)
}

/// The merchant's shop order `order_no`; any other is 404.
pub async fn desk_order(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    order_no: &str,
) -> ApiResult<order::Model> {
    order::Entity::find()
        .filter(order::Column::OrderNo.eq(order_no))
        .filter(order::Column::MerchantId.eq(merchant_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::OrderNotFound))
}

/// Moves `o` from its status as read to `next`, setting `extra` columns;
/// false when someone else moved it first.
async fn move_to(
    db: &impl ConnectionTrait,
    o: &order::Model,
    next: OrderStatus,
    now: DateTime<Utc>,
    extra: Vec<(order::Column, SimpleExpr)>,
) -> Result<bool, sea_orm::DbErr> {
    let mut update = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(next))
        .col_expr(order::Column::UpdatedAt, Expr::value(now));
    for (col, value) in extra {
        update = update.col_expr(col, value);
    }
    let changed = update
        .filter(order::Column::Id.eq(o.id))
        .filter(order::Column::Status.eq(o.status))
        .exec(db)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// The order as it is now, with its lines, as `viewer` sees it.
async fn fresh_view(
    db: &DatabaseConnection,
    id: i64,
    viewer: Viewer,
) -> ApiResult<(order::Model, OrderView)> {
    let o = order::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::OrderNotFound))?;
    let lines = lines_of(db, [o.id])
        .await?
        .remove(&o.id)
        .unwrap_or_default();
    let view = OrderView::with_lines(&o, &lines, viewer);
    Ok((o, view))
}

/// Takes a desk step on the merchant's shop order; tells the resident.
pub async fn take_step(
    db: &DatabaseConnection,
    merchant_id: i64,
    order_no: &str,
    step: DeskStep,
    now: DateTime<Utc>,
) -> ApiResult<OrderView> {
    let o = desk_order(db, merchant_id, order_no).await?;
    if o.kind != OrderKind::Shop {
        return Err(invalid("团购订单由成团结果决定，不能在此操作"));
    }
    let next = step
        .next(&o)
        .ok_or_else(|| invalid("订单当前状态不允许此操作"))?;
    let txn = crate::db::begin_write(db).await?;
    let moved = match next {
        OrderStatus::Accepted => {
            move_to(
                &txn,
                &o,
                next,
                now,
                vec![(order::Column::AcceptedAt, Expr::value(now))],
            )
            .await?
        }
        OrderStatus::ReadyForPickup => issue_pickup_code(&txn, &o, now).await?,
        OrderStatus::Delivering => {
            move_to(
                &txn,
                &o,
                next,
                now,
                vec![(order::Column::DeliveringAt, Expr::value(now))],
            )
            .await?
        }
        _ => complete(&txn, &o, now).await?,
    };
    if !moved {
        return Err(invalid("订单状态已变化，请刷新后重试"));
    }
    txn.commit().await?;
    let (fresh, view) = fresh_view(db, o.id, Viewer::Merchant).await?;
    order_changed(db, &fresh, Party::Merchant).await;
    Ok(view)
}

/// Completes a delivering order and counts its goods as sold.
async fn complete(
    txn: &impl ConnectionTrait,
    o: &order::Model,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let moved = move_to(
        txn,
        o,
        OrderStatus::Completed,
        now,
        vec![(order::Column::CompletedAt, Expr::value(now))],
    )
    .await?;
    if moved {
        record_sales(txn, o).await?;
    }
    Ok(moved)
}

/// Readies a pickup order with a fresh pickup code (unique across orders;
/// a collision draws again inside a savepoint).
async fn issue_pickup_code(
    txn: &sea_orm::DatabaseTransaction,
    o: &order::Model,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let sp = txn.begin().await?;
        let code = Expr::value(new_pickup_code());
        match move_to(
            &sp,
            o,
            OrderStatus::ReadyForPickup,
            now,
            vec![(order::Column::PickupCode, code)],
        )
        .await
        {
            Ok(moved) => {
                sp.commit().await?;
                return Ok(moved);
            }
            Err(err) if attempts < 5 && crate::db::is_duplicate(&err) => sp.rollback().await?,
            Err(err) => return Err(err.into()),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeclineRequest {
    /// Shown to the resident (1-200 characters).
    #[schema(max_length = 200, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub reason: String,
}

/// Ends an order unfulfilled: cancelled, or refunding where it was paid
/// online (its refund recorded with it); its stock goes back.
async fn end_unfulfilled(
    txn: &impl ConnectionTrait,
    o: &order::Model,
    now: DateTime<Utc>,
    reason: RefundReason,
    decline_reason: Option<String>,
) -> ApiResult<bool> {
    let next = if payments::refund_needed(o) {
        OrderStatus::Refunding
    } else {
        OrderStatus::Cancelled
    };
    let mut extra = vec![(order::Column::CancelledAt, Expr::value(now))];
    if let Some(r) = decline_reason {
        extra.push((order::Column::DeclineReason, Expr::value(r)));
    }
    if !move_to(txn, o, next, now, extra).await? {
        return Ok(false);
    }
    if next == OrderStatus::Refunding {
        refunds::record_full_refunds(txn, o.id, reason, now).await?;
    }
    stock::give_back(txn, o).await?;
    Ok(true)
}

/// The merchant declines a placed shop order, with a reason.
pub async fn decline(
    db: &DatabaseConnection,
    merchant_id: i64,
    order_no: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> ApiResult<OrderView> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(ApiError::field("reason", "请填写 1-200 字的原因"));
    }
    let o = desk_order(db, merchant_id, order_no).await?;
    if o.kind != OrderKind::Shop || o.status != OrderStatus::Placed {
        return Err(invalid("只能拒绝待接单的商城订单"));
    }
    let txn = crate::db::begin_write(db).await?;
    if !end_unfulfilled(
        &txn,
        &o,
        now,
        RefundReason::MerchantDeclined,
        Some(reason.to_owned()),
    )
    .await?
    {
        return Err(invalid("订单状态已变化，请刷新后重试"));
    }
    txn.commit().await?;
    let (fresh, view) = fresh_view(db, o.id, Viewer::Merchant).await?;
    order_changed(db, &fresh, Party::Merchant).await;
    Ok(view)
}

/// The resident cancels a shop order the merchant has not accepted yet.
pub async fn cancel_by_resident(db: &DatabaseConnection, o: order::Model) -> ApiResult<OrderView> {
    if !o.status.cancellable_by_resident() {
        return Err(invalid("商户已接单，不能取消"));
    }
    let now = crate::time::now();
    let txn = crate::db::begin_write(db).await?;
    if !end_unfulfilled(&txn, &o, now, RefundReason::ResidentCancelled, None).await? {
        return Err(invalid("订单状态已变化，请刷新后重试"));
    }
    txn.commit().await?;
    let (fresh, view) = fresh_view(db, o.id, Viewer::Owner).await?;
    order_changed(db, &fresh, Party::Resident).await;
    Ok(view)
}

/// The resident confirms a delivery arrived.
pub async fn confirm_received(
    db: &DatabaseConnection,
    o: order::Model,
    now: DateTime<Utc>,
) -> ApiResult<OrderView> {
    if o.kind != OrderKind::Shop || o.status != OrderStatus::Delivering {
        return Err(invalid("只能确认配送中的订单"));
    }
    let txn = crate::db::begin_write(db).await?;
    if !complete(&txn, &o, now).await? {
        return Err(invalid("订单状态已变化，请刷新后重试"));
    }
    txn.commit().await?;
    let (fresh, view) = fresh_view(db, o.id, Viewer::Owner).await?;
    order_changed(db, &fresh, Party::Resident).await;
    Ok(view)
}

/// Expires unpaid shop orders past their payment deadline, their stock
/// back; answers how many. Orders with a WeChat Pay prepay are left to the
/// payment sweep, which first makes sure they were not paid.
pub async fn expire_overdue(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<u64> {
    let prepaid = Query::select()
        .column(order_prepay::Column::OrderId)
        .from(order_prepay::Entity)
        .to_owned();
    let overdue = order::Entity::find()
        .filter(order::Column::Kind.eq(OrderKind::Shop))
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment))
        .filter(order::Column::ExpiresAt.lte(now))
        .filter(order::Column::Id.not_in_subquery(prepaid))
        .limit(500)
        .all(db)
        .await?;
    let mut done = 0;
    for o in overdue {
        let txn = crate::db::begin_write(db).await?;
        let moved = move_to(&txn, &o, OrderStatus::Expired, now, vec![]).await?;
        if moved {
            stock::give_back(&txn, &o).await?;
        }
        txn.commit().await?;
        if moved {
            done += 1;
            let (fresh, _) = fresh_view(db, o.id, Viewer::Owner).await?;
            order_changed(db, &fresh, Party::Clock).await;
        }
    }
    Ok(done)
}

/// Completes the deliveries sent out at least `after` ago; answers how many.
pub async fn complete_overdue_deliveries(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    after: chrono::Duration,
) -> ApiResult<u64> {
    let due = order::Entity::find()
        .filter(order::Column::Kind.eq(OrderKind::Shop))
        .filter(order::Column::Status.eq(OrderStatus::Delivering))
        .filter(order::Column::DeliveringAt.lte(now - after))
        .limit(500)
        .all(db)
        .await?;
    let mut done = 0;
    for o in due {
        let txn = crate::db::begin_write(db).await?;
        let moved = complete(&txn, &o, now).await?;
        txn.commit().await?;
        if moved {
            done += 1;
            let (fresh, _) = fresh_view(db, o.id, Viewer::Owner).await?;
            order_changed(db, &fresh, Party::Clock).await;
        }
    }
    Ok(done)
}
