//! Sending recorded refunds to WeChat Pay and finishing them: the refund
//! sweep sends pending rows and asks about unfinished ones, `send_soon`
//! sends right after the commit that recorded them, and `apply` takes
//! WeChat Pay's answer or `REFUND.*` notify (the order is `refunded`, an
//! after-sale closed, only once the money is back with the payer).

use chrono::{DateTime, Utc};
use entity::order::{self, OrderStatus};
use entity::payment;
use entity::refund::{self, RefundState};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::error::ApiResult;
use crate::wechatpay::{
    OutRefundNo, OutTradeNo, Refund, RefundRequest, RefundStatus, WechatPayClient,
};

/// What one refund sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RefundSweep {
    pub sent: usize,
    pub queried: usize,
    pub succeeded: usize,
}

/// Sends every pending refund and asks WeChat Pay about those not finished
/// whose row has not changed for `query_after`.
#[tracing::instrument(skip_all)]
pub async fn sweep(
    db: &DatabaseConnection,
    client: &WechatPayClient,
    now: DateTime<Utc>,
    query_after: chrono::Duration,
) -> ApiResult<RefundSweep> {
    let (sent, succeeded) = send_pending(db, client).await?;
    let mut done = RefundSweep {
        sent,
        succeeded,
        ..RefundSweep::default()
    };
    let waiting = refund::Entity::find()
        .filter(refund::Column::Status.is_in([RefundState::Processing, RefundState::Abnormal]))
        .filter(refund::Column::UpdatedAt.lte(now - query_after))
        .order_by_asc(refund::Column::UpdatedAt)
        .limit(100)
        .all(db)
        .await?;
    for row in waiting {
        done.queried += 1;
        let Ok(no) = OutRefundNo::new(&row.out_refund_no) else {
            continue;
        };
        match client.query_refund(&no).await {
            Ok(answer) => {
                if apply(db, &answer, now).await? == Some(RefundState::Succeeded) {
                    done.succeeded += 1;
                }
            }
            Err(err) => {
                touch(db, row.id, &err.to_string(), now).await?;
            }
        }
    }
    Ok(done)
}

/// Sends the pending refunds in the background now (after the commit that
/// recorded them), so the money starts back without waiting for the sweep;
/// what fails is left for the sweep.
pub fn send_soon(db: &DatabaseConnection, client: Option<&WechatPayClient>) {
    let Some(client) = client.cloned() else {
        return;
    };
    let db = db.clone();
    tokio::spawn(async move {
        if let Err(err) = send_pending(&db, &client).await {
            tracing::warn!(error = %err, "refunds left for the sweep");
        }
    });
}

/// Sends every pending refund (up to 100); answers how many were sent and
/// how many of them succeeded at once.
pub async fn send_pending(
    db: &DatabaseConnection,
    client: &WechatPayClient,
) -> ApiResult<(usize, usize)> {
    let pending = refund::Entity::find()
        .filter(refund::Column::Status.eq(RefundState::Pending))
        .order_by_asc(refund::Column::Id)
        .limit(100)
        .all(db)
        .await?;
    let mut succeeded = 0;
    for row in &pending {
        if send(db, client, row).await? == Some(RefundState::Succeeded) {
            succeeded += 1;
        }
    }
    Ok((pending.len(), succeeded))
}

/// Sends one refund; answers the state it is in afterwards (None: still
/// pending, to be sent again).
async fn send(
    db: &DatabaseConnection,
    client: &WechatPayClient,
    row: &refund::Model,
) -> ApiResult<Option<RefundState>> {
    let now = crate::time::now();
    let (Ok(trade), Ok(no)) = (
        OutTradeNo::new(&row.out_trade_no),
        OutRefundNo::new(&row.out_refund_no),
    ) else {
        fail(db, row.id, "malformed trade or refund number", now).await?;
        return Ok(Some(RefundState::Failed));
    };
    refund::Entity::update_many()
        .col_expr(
            refund::Column::Attempts,
            Expr::col(refund::Column::Attempts).add(1),
        )
        .filter(refund::Column::Id.eq(row.id))
        .exec(db)
        .await?;
    let request = RefundRequest {
        out_trade_no: &trade,
        out_refund_no: &no,
        reason: Some(&row.reason),
        refund_fen: row.amount_fen,
        total_fen: row.total_fen,
    };
    match client.create_refund(&request).await {
        Ok(answer) => apply(db, &answer, now).await,
        Err(err) if err.is_retryable() => {
            touch(db, row.id, &err.to_string(), now).await?;
            Ok(None)
        }
        Err(err) => {
            tracing::error!(error = %err, out_refund_no = %row.out_refund_no, "WeChat Pay refused a refund: it needs a person");
            fail(db, row.id, &err.to_string(), now).await?;
            Ok(Some(RefundState::Failed))
        }
    }
}

fn state_of(status: &RefundStatus) -> RefundState {
    match status {
        RefundStatus::Success => RefundState::Succeeded,
        RefundStatus::Closed => RefundState::Closed,
        RefundStatus::Abnormal => RefundState::Abnormal,
        RefundStatus::Processing | RefundStatus::Other(_) => RefundState::Processing,
    }
}

/// Records what WeChat Pay says of a refund (its answer, a query, a
/// notify). A finished refund never changes again; one that succeeds moves
/// its order from `refunding` to `refunded`, in the same transaction.
/// Answers the refund's state, None for a refund we never asked for.
pub async fn apply(
    db: &DatabaseConnection,
    answer: &Refund,
    now: DateTime<Utc>,
) -> ApiResult<Option<RefundState>> {
    let next = state_of(&answer.status);
    let txn = crate::db::begin_write(db).await?;
    let Some(row) = refund::Entity::find()
        .filter(refund::Column::OutRefundNo.eq(answer.out_refund_no.as_str()))
        .one(&txn)
        .await?
    else {
        tracing::error!(out_refund_no = %answer.out_refund_no, "WeChat Pay reported a refund we have no record of");
        return Ok(None);
    };
    if matches!(row.status, RefundState::Succeeded | RefundState::Closed) {
        return Ok(Some(row.status));
    }
    let succeeded_at = (next == RefundState::Succeeded).then(|| answer.success_at().unwrap_or(now));
    let changed = refund::Entity::update_many()
        .col_expr(refund::Column::Status, Expr::value(next))
        .col_expr(
            refund::Column::RefundId,
            Expr::value(Some(answer.refund_id.clone())),
        )
        .col_expr(refund::Column::SucceededAt, Expr::value(succeeded_at))
        .col_expr(refund::Column::UpdatedAt, Expr::value(now))
        .filter(refund::Column::Id.eq(row.id))
        .filter(refund::Column::Status.is_not_in([RefundState::Succeeded, RefundState::Closed]))
        .exec(&txn)
        .await?;
    let finished = matches!(
        next,
        RefundState::Succeeded | RefundState::Closed | RefundState::Abnormal
    );
    // A meal booking's refund has no order to move on.
    let of_order = row.subject == payment::SUBJECT_ORDER;
    if changed.rows_affected == 1
        && of_order
        && finished
        && let Some(o) = order::Entity::find_by_id(row.order_id).one(&txn).await?
    {
        super::super::messages::refund_decided(&txn, &o, next).await?;
    }
    if changed.rows_affected == 1
        && next == RefundState::Succeeded
        && let Some(after_sale_id) = row.after_sale_id
    {
        after_sale_refunded(&txn, after_sale_id, now).await?;
    }
    if changed.rows_affected == 1 && of_order && next == RefundState::Succeeded {
        order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(OrderStatus::Refunded))
            .col_expr(order::Column::RefundedAt, Expr::value(succeeded_at))
            .col_expr(order::Column::UpdatedAt, Expr::value(now))
            .filter(order::Column::Id.eq(row.order_id))
            .filter(order::Column::Status.eq(OrderStatus::Refunding))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    match next {
        RefundState::Abnormal | RefundState::Closed => {
            tracing::error!(out_refund_no = %row.out_refund_no, state = ?next, "refund not completed: it needs a person (admin list of abnormal refunds)");
        }
        _ => {}
    }
    Ok(Some(next))
}

/// Notes a failed try; the row stays as it was, to be tried again.
async fn touch(db: &DatabaseConnection, id: i64, error: &str, now: DateTime<Utc>) -> ApiResult<()> {
    refund::Entity::update_many()
        .col_expr(
            refund::Column::LastError,
            Expr::value(Some(
                crate::wechatpay::truncate_bytes(error, 250).to_owned(),
            )),
        )
        .col_expr(refund::Column::UpdatedAt, Expr::value(now))
        .filter(refund::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

async fn fail(db: &DatabaseConnection, id: i64, error: &str, now: DateTime<Utc>) -> ApiResult<()> {
    refund::Entity::update_many()
        .col_expr(refund::Column::Status, Expr::value(RefundState::Failed))
        .col_expr(
            refund::Column::LastError,
            Expr::value(Some(
                crate::wechatpay::truncate_bytes(error, 250).to_owned(),
            )),
        )
        .col_expr(refund::Column::UpdatedAt, Expr::value(now))
        .filter(refund::Column::Id.eq(id))
        .filter(refund::Column::Status.eq(RefundState::Pending))
        .exec(db)
        .await?;
    Ok(())
}

/// In the refund's transaction: WeChat Pay returned the money of an
/// after-sales request's refund; the request is `refunded` once all of it is back (every part of it, when it took several payments).
async fn after_sale_refunded(
    conn: &impl ConnectionTrait,
    after_sale_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let unfinished = entity::refund::Entity::find()
        .filter(entity::refund::Column::AfterSaleId.eq(after_sale_id))
        .filter(entity::refund::Column::Status.ne(entity::refund::RefundState::Succeeded))
        .one(conn)
        .await?;
    if unfinished.is_some() {
        return Ok(());
    }
    entity::after_sale::Entity::update_many()
        .col_expr(
            entity::after_sale::Column::Status,
            Expr::value(entity::after_sale::AfterSaleStatus::Refunded),
        )
        .col_expr(entity::after_sale::Column::RefundedAt, Expr::value(now))
        .col_expr(entity::after_sale::Column::UpdatedAt, Expr::value(now))
        .filter(entity::after_sale::Column::Id.eq(after_sale_id))
        .filter(
            entity::after_sale::Column::Status.eq(entity::after_sale::AfterSaleStatus::Refunding),
        )
        .exec(conn)
        .await?;
    Ok(())
}
