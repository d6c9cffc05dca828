//! Refunds of online payments: a full refund of what is left of each
//! payment, recorded in the same transaction that cancels its order or
//! finds its payment late, and after-sales refunds of part of one (their
//! sum kept within the payment by `payments.refunded_fen`, a conditional
//! update). Each row's `out_refund_no` is fixed with the row, so sending it
//! again (after a timeout, by another instance, by every sweep) never
//! refunds twice. The refund sweep sends pending rows and asks about
//! unfinished ones; `REFUND.*` notifies finish them sooner. An order is
//! `refunded` only once the money is back with the payer. This file records
//! refunds; `sending.rs` sends and finishes them.

mod sending;

use chrono::{DateTime, Utc};
use entity::order;
use entity::payment::{self, PaymentStatus};
use entity::refund::{self, RefundState};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, Set};

use crate::error::{ApiError, ApiResult, ErrorCode};

pub use sending::{RefundSweep, apply, send_pending, send_soon, sweep};

/// Why money goes back; shown to the payer (WeChat Pay's `reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundReason {
    CampaignFailed,
    CampaignCancelled,
    ResidentCancelled,
    /// The payment arrived when its order could no longer be paid.
    LatePayment,
    /// The merchant declined a shop order.
    MerchantDeclined,
    /// The elder (or their grid worker) cancelled a meal paid online.
    MealCancelled,
}

impl RefundReason {
    fn text(self) -> &'static str {
        match self {
            RefundReason::CampaignFailed => "团购未成团，自动退款",
            RefundReason::CampaignCancelled => "团购已取消，自动退款",
            RefundReason::ResidentCancelled => "订单已取消，退款",
            RefundReason::LatePayment => "订单已失效，自动退款",
            RefundReason::MerchantDeclined => "商户未接单，退款",
            RefundReason::MealCancelled => "长者食堂订餐已取消，退款",
        }
    }
}

/// The refund number of a payment's full refund: fixed by the payment.
fn out_refund_no(p: &payment::Model) -> String {
    format!("R{}-{}", p.out_trade_no, p.id)
}

/// The refund number of an after-sales refund: fixed by the payment and
/// the request, so approving twice never refunds twice.
fn after_sale_refund_no(p: &payment::Model, after_sale_id: i64) -> String {
    format!("R{}-{}-A{}", p.out_trade_no, p.id, after_sale_id)
}

fn refund_row(
    p: &payment::Model,
    out_refund_no: String,
    amount_fen: i64,
    reason: &str,
    after_sale_id: Option<i64>,
    now: DateTime<Utc>,
) -> refund::ActiveModel {
    refund::ActiveModel {
        payment_id: Set(p.id),
        order_id: Set(p.order_id),
        merchant_id: Set(p.merchant_id),
        out_refund_no: Set(out_refund_no),
        out_trade_no: Set(p.out_trade_no.clone()),
        amount_fen: Set(amount_fen),
        total_fen: Set(p.amount_fen),
        reason: Set(reason.to_owned()),
        status: Set(RefundState::Pending),
        refund_id: Set(None),
        attempts: Set(0),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        succeeded_at: Set(None),
        after_sale_id: Set(after_sale_id),
        subject: Set(p.subject.clone()),
        ..Default::default()
    }
}

/// Adds `amount_fen` to the payment's refunded total, only while the total
/// stays within what was paid (a conditional update: concurrent refunds of
/// one payment never sum above it); false when it would not.
async fn take_refundable(
    txn: &impl ConnectionTrait,
    payment_id: i64,
    amount_fen: i64,
) -> ApiResult<bool> {
    let taken = payment::Entity::update_many()
        .col_expr(
            payment::Column::RefundedFen,
            Expr::col(payment::Column::RefundedFen).add(amount_fen),
        )
        .filter(payment::Column::Id.eq(payment_id))
        .filter(
            Expr::col(payment::Column::RefundedFen)
                .add(amount_fen)
                .lte(Expr::col(payment::Column::AmountFen)),
        )
        .exec(txn)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// In the caller's transaction: records the refund of what is left of
/// every payment of `order_id` that was received (an amount mismatch is
/// left to an admin); a payment refunded already keeps its one full
/// refund (its number is fixed). Answers how many payments the order has
/// to refund.
pub async fn record_full_refunds(
    txn: &impl ConnectionTrait,
    order_id: i64,
    reason: RefundReason,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let (recorded, payments) =
        record_subject_refunds(txn, payment::SUBJECT_ORDER, order_id, reason, now).await?;
    if recorded > 0
        && let Some(o) = order::Entity::find_by_id(order_id).one(txn).await?
    {
        super::messages::refund_requested(txn, &o).await?;
    }
    Ok(payments)
}

/// In the caller's transaction: records the full refund of what is left
/// of every received payment of the subject (`payments.subject`, e.g. a
/// meal booking). Answers how many refunds were recorded now and how many
/// payments the subject has to refund.
pub async fn record_subject_refunds(
    txn: &impl ConnectionTrait,
    subject: &str,
    id: i64,
    reason: RefundReason,
    now: DateTime<Utc>,
) -> ApiResult<(usize, usize)> {
    let payments = payment::Entity::find()
        .filter(payment::Column::Subject.eq(subject))
        .filter(payment::Column::OrderId.eq(id))
        .filter(payment::Column::Status.is_in([PaymentStatus::Honoured, PaymentStatus::Late]))
        .all(txn)
        .await?;
    let mut recorded = 0;
    for p in &payments {
        let left = p.amount_fen - p.refunded_fen;
        if left <= 0 {
            continue;
        }
        let row = refund_row(p, out_refund_no(p), left, reason.text(), None, now);
        let inserted = refund::Entity::insert(row)
            .on_conflict(
                OnConflict::column(refund::Column::OutRefundNo)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        if inserted == 1 {
            if !take_refundable(txn, p.id, left).await? {
                return Err(
                    ApiError::new(ErrorCode::Conflict).message("该笔支付正在退款，请稍后重试")
                );
            }
            recorded += 1;
        }
    }
    Ok((recorded, payments.len()))
}

/// In the caller's transaction: records the refund of `amount_fen` of the
/// order's received payments for after-sales request `after_sale_id`
/// (taken from the payments in turn, each within what is left of it).
/// 422 `REFUND_EXCEEDS_PAID` when the payments hold less than that.
pub async fn record_after_sale_refund(
    txn: &impl ConnectionTrait,
    order_id: i64,
    after_sale_id: i64,
    amount_fen: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let payments = payment::Entity::find()
        .filter(payment::Column::Subject.eq(payment::SUBJECT_ORDER))
        .filter(payment::Column::OrderId.eq(order_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Honoured))
        .order_by_asc(payment::Column::Id)
        .all(txn)
        .await?;
    let mut owed = amount_fen;
    for p in &payments {
        let part = std::cmp::min(owed, p.amount_fen - p.refunded_fen);
        if part <= 0 {
            continue;
        }
        if !take_refundable(txn, p.id, part).await? {
            return Err(ErrorCode::RefundExceedsPaid.into());
        }
        let row = refund_row(
            p,
            after_sale_refund_no(p, after_sale_id),
            part,
            "售后退款",
            Some(after_sale_id),
            now,
        );
        refund::Entity::insert(row)
            .exec_without_returning(txn)
            .await?;
        owed -= part;
        if owed == 0 {
            break;
        }
    }
    if owed > 0 {
        return Err(ErrorCode::RefundExceedsPaid.into());
    }
    Ok(())
}
