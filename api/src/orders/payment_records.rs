//! Payments WeChat Pay reports, by notify or by query, recorded exactly
//! once: the payment row (UNIQUE(transaction_id)) and the order's move from
//! `pending_payment` to `placed` commit together, so a notify repeated,
//! late, or racing itself or the reconciliation sweep changes nothing the
//! second time. A payment for an order that can no longer be paid is
//! refunded in full; one for the wrong amount is never taken as payment.

use chrono::{DateTime, Utc};
use entity::order::{self, OrderStatus, PaymentProvider};
use entity::order_prepay;
use entity::payment::{self, PaymentStatus};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::refunds::{self, RefundReason};
use crate::error::ApiResult;
use crate::wechatpay::{OutTradeNo, PayErrorCode, Transaction, WechatPayClient};

/// What recording a reported payment did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The order is paid now.
    Paid,
    /// This transaction was recorded before: nothing changed.
    AlreadyRecorded,
    /// The order could no longer be paid: the payment is being refunded.
    Refunding,
    /// Not the order's amount or currency: recorded for an admin, order unpaid.
    AmountMismatch,
    /// No such order, or nothing paid: nothing recorded.
    Ignored,
}

/// Records a trade WeChat Pay reports paid (notify or query). The amount
/// and currency must be the order's; the order must still await payment to
/// be paid by it, otherwise the money goes back.
#[tracing::instrument(skip_all, fields(order_no = %t.out_trade_no))]
pub async fn record_payment(
    db: &DatabaseConnection,
    t: &Transaction,
    now: DateTime<Utc>,
) -> ApiResult<Recorded> {
    let Some(transaction_id) = t.transaction_id.as_deref().filter(|id| !id.is_empty()) else {
        return Ok(Recorded::Ignored);
    };
    if !t.trade_state.is_paid() {
        return Ok(Recorded::Ignored);
    }
    let Some(o) = order::Entity::find()
        .filter(order::Column::OrderNo.eq(t.out_trade_no.as_str()))
        .one(db)
        .await?
    else {
        tracing::error!(out_trade_no = %t.out_trade_no, transaction_id, "WeChat Pay reported a payment for an order we do not have");
        return Ok(Recorded::Ignored);
    };
    let exact = t.paid_exactly(o.amount_fen) && o.payment_provider == PaymentProvider::Wechat;
    let txn = crate::db::begin_write(db).await?;
    let status = if !exact {
        PaymentStatus::AmountMismatch
    } else if o.status.accepts_payment() {
        PaymentStatus::Honoured
    } else {
        PaymentStatus::Late
    };
    let row = payment::ActiveModel {
        order_id: Set(o.id),
        merchant_id: Set(o.merchant_id),
        provider: Set(PaymentProvider::Wechat),
        out_trade_no: Set(o.order_no.clone()),
        transaction_id: Set(transaction_id.to_owned()),
        amount_fen: Set(t.amount.total),
        currency: Set(crate::wechatpay::truncate_bytes(&t.amount.currency, 8).to_owned()),
        payer_openid: Set(crate::wechatpay::truncate_bytes(&t.payer.openid, 128).to_owned()),
        status: Set(status),
        paid_at: Set(t.success_at().unwrap_or(now)),
        created_at: Set(now),
        subject: Set(payment::SUBJECT_ORDER.to_owned()),
        ..Default::default()
    };
    if !insert_payment_once(&txn, row).await? {
        txn.rollback().await?;
        return Ok(Recorded::AlreadyRecorded);
    }
    let recorded = match status {
        PaymentStatus::AmountMismatch => Recorded::AmountMismatch,
        PaymentStatus::Honoured => {
            let paid = order::Entity::update_many()
                .col_expr(order::Column::Status, Expr::value(OrderStatus::Placed))
                .col_expr(order::Column::PaidAt, Expr::value(Some(now)))
                .col_expr(
                    order::Column::PaymentRef,
                    Expr::value(Some(transaction_id.to_owned())),
                )
                .col_expr(order::Column::UpdatedAt, Expr::value(now))
                .filter(order::Column::Id.eq(o.id))
                .filter(order::Column::Status.eq(OrderStatus::PendingPayment))
                .exec(&txn)
                .await?;
            if paid.rows_affected == 1 {
                if o.kind == entity::order::OrderKind::Shop {
                    // Paid: the order reaches the merchant's desk now.
                    let placed = order::Model {
                        status: OrderStatus::Placed,
                        ..o.clone()
                    };
                    super::notify::order_changed(&txn, &placed, super::notify::Party::Resident)
                        .await;
                }
                Recorded::Paid
            } else {
                // Expired or cancelled since it was read: the money goes back.
                payment::Entity::update_many()
                    .col_expr(payment::Column::Status, Expr::value(PaymentStatus::Late))
                    .filter(payment::Column::TransactionId.eq(transaction_id))
                    .exec(&txn)
                    .await?;
                refunds::record_full_refunds(&txn, o.id, RefundReason::LatePayment, now).await?;
                Recorded::Refunding
            }
        }
        PaymentStatus::Late => {
            refunds::record_full_refunds(&txn, o.id, RefundReason::LatePayment, now).await?;
            Recorded::Refunding
        }
    };
    txn.commit().await?;
    match recorded {
        Recorded::AmountMismatch => tracing::error!(
            order_no = %o.order_no,
            transaction_id,
            paid_fen = t.amount.total,
            currency = %t.amount.currency,
            order_fen = o.amount_fen,
            "WeChat Pay payment does not match its order: NOT marked paid; recorded for an admin"
        ),
        Recorded::Refunding => tracing::warn!(
            order_no = %o.order_no,
            status = ?o.status,
            "payment for an order that can no longer be paid: refunding it in full"
        ),
        _ => tracing::info!(order_no = %o.order_no, "order paid"),
    }
    Ok(recorded)
}

/// What WeChat Pay says of an order's trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TradeCheck {
    /// Paid: the payment is recorded (the order paid, or the money going back).
    Paid(Recorded),
    /// Not paid (never prepaid, not paid yet, closed).
    Unpaid,
    /// Could not be learned now (WeChat Pay unavailable, the payer paying).
    Unknown,
}

/// Asks WeChat Pay about an order's trade and records a payment it reports
/// (the reconciliation of a notify that never came).
pub async fn check_trade(
    db: &DatabaseConnection,
    client: &WechatPayClient,
    o: &order::Model,
    now: DateTime<Utc>,
) -> ApiResult<TradeCheck> {
    let Ok(no) = OutTradeNo::new(&o.order_no) else {
        return Ok(TradeCheck::Unpaid);
    };
    let checked = match client.query_by_out_trade_no(&no).await {
        Ok(t) if t.trade_state.is_paid() => TradeCheck::Paid(record_payment(db, &t, now).await?),
        Ok(t) if t.trade_state == crate::wechatpay::TradeState::UserPaying => TradeCheck::Unknown,
        Ok(_) => TradeCheck::Unpaid,
        Err(err) if err.is_not_found() => TradeCheck::Unpaid,
        Err(_) => TradeCheck::Unknown,
    };
    order_prepay::Entity::update_many()
        .col_expr(order_prepay::Column::CheckedAt, Expr::value(Some(now)))
        .filter(order_prepay::Column::OrderId.eq(o.id))
        .exec(db)
        .await?;
    Ok(checked)
}

/// Before an overdue, unpaid order expires: closes its trade so that it
/// cannot be paid afterwards. True when the order may expire now; false
/// when the trade was paid meanwhile (the next check records it) or WeChat
/// Pay could not be reached (the next sweep tries again).
pub async fn close_trade(client: &WechatPayClient, o: &order::Model) -> bool {
    let Ok(no) = OutTradeNo::new(&o.order_no) else {
        return true;
    };
    close_trade_no(client, &no).await
}

/// Closes a trade by its number: true once it is closed (or WeChat Pay
/// never had it).
pub async fn close_trade_no(client: &WechatPayClient, no: &OutTradeNo) -> bool {
    match client.close(no).await {
        Ok(()) => true,
        Err(err) if err.is_not_found() => true,
        Err(err) => err.code() == Some(&PayErrorCode::OrderClosed),
    }
}

/// Records a payment unless its WeChat Pay transaction is already recorded
/// (the unique transaction id decides under concurrent notifies); true when
/// this call recorded it.
pub(crate) async fn insert_payment_once(
    txn: &impl sea_orm::ConnectionTrait,
    row: payment::ActiveModel,
) -> ApiResult<bool> {
    let inserted = payment::Entity::insert(row)
        .on_conflict(
            OnConflict::column(payment::Column::TransactionId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(inserted > 0)
}
