//! Deciding a request: the merchant's desk approves or rejects it, the
//! clock approves what was not answered in time, the resident escalates a
//! rejected one and a community admin decides it. Each is one conditional
//! update on the request's status as read, in one transaction with what
//! follows from it: a wrong state (or a lost race) is 409
//! `INVALID_TRANSITION`, and nothing is refunded twice.

use chrono::{DateTime, Utc};
use entity::after_sale::{self, AfterSaleStatus};
use entity::order::{self, PaymentProvider};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter,
};

use super::messages::{self, Event, Owed};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::orders::refunds;

fn invalid(message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidTransition).message(message)
}

/// Who approves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approver {
    Merchant,
    Clock,
    Admin(i64),
}

impl Approver {
    fn name(self) -> &'static str {
        match self {
            Approver::Merchant => "merchant",
            Approver::Clock => "clock",
            Approver::Admin(_) => "admin",
        }
    }
}

/// Moves `a` from `from` to `next` with `extra` columns; false when it was
/// no longer in `from`.
async fn move_to(
    conn: &impl ConnectionTrait,
    a: &after_sale::Model,
    from: AfterSaleStatus,
    next: AfterSaleStatus,
    now: DateTime<Utc>,
    extra: Vec<(after_sale::Column, SimpleExpr)>,
) -> ApiResult<bool> {
    let open = next.is_open().then_some(a.order_id);
    let mut update = after_sale::Entity::update_many()
        .col_expr(after_sale::Column::Status, Expr::value(next))
        .col_expr(after_sale::Column::OpenOrderId, Expr::value(open))
        .col_expr(after_sale::Column::UpdatedAt, Expr::value(now));
    for (col, value) in extra {
        update = update.col_expr(col, value);
    }
    let changed = update
        .filter(after_sale::Column::Id.eq(a.id))
        .filter(after_sale::Column::Status.eq(from))
        .exec(conn)
        .await;
    match changed {
        Ok(c) => Ok(c.rows_affected == 1),
        // Escalating while another request of the order is open.
        Err(err) if crate::db::is_duplicate(&err) => Err(ErrorCode::AfterSaleOpen.into()),
        Err(err) => Err(err.into()),
    }
}

async fn order_of(conn: &impl ConnectionTrait, a: &after_sale::Model) -> ApiResult<order::Model> {
    order::Entity::find_by_id(a.order_id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::OrderNotFound))
}

/// The request as it is now.
pub async fn reload(db: &impl ConnectionTrait, id: i64) -> ApiResult<after_sale::Model> {
    after_sale::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::AfterSaleNotFound))
}

/// In `conn`: approves `a` (in `from`): adds its amount to the order's
/// refunded total (only within the order's amount: 422
/// `REFUND_EXCEEDS_PAID`), and refunds it through the order's provider:
/// WeChat Pay refunds are recorded (`refunding`, sent after the commit),
/// an offline order's is handed back in cash (`refunded` now). False when
/// the request was no longer in `from`.
async fn approve_in(
    conn: &impl ConnectionTrait,
    a: &after_sale::Model,
    from: AfterSaleStatus,
    by: Approver,
    admin_reason: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<Option<Owed>> {
    let o = order_of(conn, a).await?;
    let online = o.payment_provider == PaymentProvider::Wechat && o.paid_at.is_some();
    let next = if online {
        AfterSaleStatus::Refunding
    } else {
        AfterSaleStatus::Refunded
    };
    let mut extra = vec![
        (after_sale::Column::DecidedBy, Expr::value(by.name())),
        (after_sale::Column::DecidedAt, Expr::value(now)),
    ];
    match by {
        Approver::Admin(admin) => {
            extra.push((after_sale::Column::AdminId, Expr::value(admin)));
            extra.push((after_sale::Column::AdminReason, Expr::value(admin_reason)));
        }
        Approver::Merchant | Approver::Clock => {
            extra.push((after_sale::Column::AnsweredAt, Expr::value(now)));
        }
    }
    if !online {
        extra.push((after_sale::Column::RefundedAt, Expr::value(now)));
    }
    if !move_to(conn, a, from, next, now, extra).await? {
        return Ok(None);
    }
    let taken = order::Entity::update_many()
        .col_expr(
            order::Column::RefundedFen,
            Expr::col(order::Column::RefundedFen).add(a.amount_fen),
        )
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(o.id))
        .filter(
            Expr::col(order::Column::RefundedFen)
                .add(a.amount_fen)
                .lte(Expr::col(order::Column::AmountFen)),
        )
        .exec(conn)
        .await?;
    if taken.rows_affected != 1 {
        return Err(ErrorCode::RefundExceedsPaid.into());
    }
    if online {
        refunds::record_after_sale_refund(conn, o.id, a.id, a.amount_fen, now).await?;
    }
    let event = match by {
        Approver::Merchant => Event::MerchantApproved,
        Approver::Clock => Event::ClockApproved,
        Approver::Admin(_) => Event::AdminApproved,
    };
    let fresh = reload(conn, a.id).await?;
    Ok(Some(messages::record(conn, &fresh, &o, event).await?))
}

/// Approves `a` (requested, or escalated for an admin) in its own
/// transaction; answers the request afterwards and the messages owed.
pub async fn approve(
    db: &DatabaseConnection,
    a: &after_sale::Model,
    by: Approver,
    admin_reason: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<(after_sale::Model, Owed)> {
    let from = match by {
        Approver::Admin(_) => AfterSaleStatus::Escalated,
        Approver::Merchant | Approver::Clock => AfterSaleStatus::Requested,
    };
    if a.status != from {
        return Err(invalid("售后申请当前状态不允许此操作"));
    }
    let txn = crate::db::begin_write(db).await?;
    let Some(owed) = approve_in(&*txn, a, from, by, admin_reason, now).await? else {
        return Err(invalid("售后申请状态已变化，请刷新后重试"));
    };
    txn.commit().await?;
    Ok((reload(db, a.id).await?, owed))
}

/// Checks a decision's reason: 1-200 characters.
pub fn reason_of(field: &str, raw: &str, min: usize) -> ApiResult<String> {
    let mut errors = crate::fields::FieldErrors::default();
    let reason = errors.text(field, raw, min, 200);
    errors.finish()?;
    Ok(reason)
}

/// A step that only changes the request's status (reject, escalate, close).
async fn step(
    db: &DatabaseConnection,
    a: &after_sale::Model,
    from: AfterSaleStatus,
    next: AfterSaleStatus,
    event: Event,
    extra: Vec<(after_sale::Column, SimpleExpr)>,
    now: DateTime<Utc>,
) -> ApiResult<(after_sale::Model, Owed)> {
    if a.status != from {
        return Err(invalid("售后申请当前状态不允许此操作"));
    }
    let txn = crate::db::begin_write(db).await?;
    if !move_to(&*txn, a, from, next, now, extra).await? {
        return Err(invalid("售后申请状态已变化，请刷新后重试"));
    }
    let o = order_of(&*txn, a).await?;
    let fresh = reload(&*txn, a.id).await?;
    let owed = messages::record(&*txn, &fresh, &o, event).await?;
    txn.commit().await?;
    Ok((fresh, owed))
}

/// The merchant rejects a requested one, with a reason.
pub async fn reject(
    db: &DatabaseConnection,
    a: &after_sale::Model,
    reason: String,
    now: DateTime<Utc>,
) -> ApiResult<(after_sale::Model, Owed)> {
    let extra = vec![
        (after_sale::Column::MerchantReason, Expr::value(reason)),
        (after_sale::Column::AnsweredAt, Expr::value(now)),
    ];
    step(
        db,
        a,
        AfterSaleStatus::Requested,
        AfterSaleStatus::Rejected,
        Event::MerchantRejected,
        extra,
        now,
    )
    .await
}

/// The resident escalates a rejected one to the community admins.
pub async fn escalate(
    db: &DatabaseConnection,
    a: &after_sale::Model,
    reason: String,
    now: DateTime<Utc>,
) -> ApiResult<(after_sale::Model, Owed)> {
    let extra = vec![
        (after_sale::Column::EscalationReason, Expr::value(reason)),
        (after_sale::Column::EscalatedAt, Expr::value(now)),
    ];
    step(
        db,
        a,
        AfterSaleStatus::Rejected,
        AfterSaleStatus::Escalated,
        Event::Escalated,
        extra,
        now,
    )
    .await
}

/// An admin rejects an escalated one: closed for good.
pub async fn close(
    db: &DatabaseConnection,
    a: &after_sale::Model,
    admin_id: i64,
    reason: String,
    now: DateTime<Utc>,
) -> ApiResult<(after_sale::Model, Owed)> {
    let extra = vec![
        (after_sale::Column::AdminReason, Expr::value(reason)),
        (after_sale::Column::AdminId, Expr::value(admin_id)),
        (after_sale::Column::DecidedBy, Expr::value("admin")),
        (after_sale::Column::DecidedAt, Expr::value(now)),
    ];
    step(
        db,
        a,
        AfterSaleStatus::Escalated,
        AfterSaleStatus::Closed,
        Event::AdminRejected,
        extra,
        now,
    )
    .await
}

/// Approves, as the clock, every request whose answer was due by `now`;
/// answers the approved ones' messages. Each is claimed by its conditional
/// update, so any number of instances sweeping at once approve it once.
pub async fn approve_overdue(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<Vec<Owed>> {
    use sea_orm::{QueryOrder, QuerySelect};
    let due = after_sale::Entity::find()
        .filter(after_sale::Column::Status.eq(AfterSaleStatus::Requested))
        .filter(after_sale::Column::AnswerDueAt.lte(now))
        .order_by_asc(after_sale::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    let mut done = Vec::new();
    for a in due {
        let txn = crate::db::begin_write(db).await?;
        match approve_in(
            &*txn,
            &a,
            AfterSaleStatus::Requested,
            Approver::Clock,
            None,
            now,
        )
        .await
        {
            Ok(Some(owed)) => {
                txn.commit().await?;
                done.push(owed);
            }
            Ok(None) => {}
            Err(err) => {
                tracing::error!(after_sale_id = a.id, error = %err, "after-sale not approved by the clock: it needs a person");
            }
        }
    }
    Ok(done)
}
