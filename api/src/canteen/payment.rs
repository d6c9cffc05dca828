//! Meals paid online, through the same WeChat Pay path as shop orders: a
//! booking made with `pay_method: online` holds its place unpaid until its
//! `pay_until` (the shop's payment window, never past the cut-off);
//! `POST /meal-bookings/{id}/pay` answers the `wx.requestPayment`
//! parameters; the verified notify (`/payments/wechat/notify`, which sends
//! trade numbers `MB…` here) records the payment once (UNIQUE
//! transaction id, a conditional update of the booking) in the `payments`
//! table with subject `meal_booking`; the payment sweep cancels unpaid
//! bookings past their deadline (after asking WeChat Pay and closing the
//! trade), giving the place back; cancelling a paid booking refunds it by
//! the shared refund path.

use chrono::{DateTime, Utc};
use entity::meal_booking;
use entity::order::PaymentProvider;
use entity::payment::{self, PaymentStatus, SUBJECT_MEAL_BOOKING};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::booking::{BOOKED, own};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::money::Money;
use crate::orders::payment_records::{Recorded, close_trade_no};
use crate::orders::refunds::{self, RefundReason};
use crate::signups::{self, Places};
use crate::state::AppState;
use crate::wechatpay::{JsapiPrepay, OutTradeNo, TradeState, Transaction, WechatPayClient};

/// `meal_bookings.pay_method` of a meal paid online.
pub const ONLINE: &str = "online";
const TRADE_PREFIX: &str = "MB";

/// The WeChat Pay trade number of a booking (order numbers start with a
/// date, so the two never meet).
pub fn out_trade_no(booking_id: i64) -> String {
    format!("{TRADE_PREFIX}{booking_id:012}")
}

/// The booking a trade number is of, if it is a booking's.
pub fn booking_of(out_trade_no: &str) -> Option<i64> {
    out_trade_no.strip_prefix(TRADE_PREFIX)?.parse().ok()
}

/// What `POST /meal-bookings/{id}/pay` answers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MealPayment {
    pub booking_id: i64,
    pub amount: Money,
    /// Unpaid past this, the booking is cancelled.
    pub pay_until: DateTime<Utc>,
    /// The `wx.requestPayment` parameters (`timeStamp`, `nonceStr`,
    /// `package`, `signType` `RSA`, `paySign`).
    #[schema(value_type = Object)]
    pub request_payment: Value,
}

/// A prepay for the caller's unpaid online booking, freshly signed. The
/// payer is the caller (the elder, or the grid worker who booked for them).
pub async fn pay(
    state: &AppState,
    me: &AuthUser,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<MealPayment> {
    let b = own(&state.db, me, id).await?;
    if b.pay_method != ONLINE {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("该订餐为到店付款"));
    }
    if b.paid_at.is_some() {
        return Err(ErrorCode::OrderAlreadyPaid.into());
    }
    if b.status != BOOKED {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("订餐已取消，不能支付"));
    }
    let until = b
        .pay_until
        .filter(|until| *until > now)
        .ok_or_else(|| ApiError::new(ErrorCode::PaymentClosed).message("订餐已超过支付期限"))?;
    let client = state
        .wechatpay
        .as_ref()
        .ok_or_else(|| ApiError::new(ErrorCode::PaymentProviderUnavailable))?;
    let openid = me.user.openid.clone().ok_or_else(|| {
        ApiError::new(ErrorCode::PaymentProviderUnavailable)
            .message("该账号未绑定微信，不能使用微信支付")
    })?;
    let no = OutTradeNo::new(&out_trade_no(b.id)).map_err(ApiError::internal)?;
    let description = format!("长者食堂-{} {}", b.meal_date, b.participant_name);
    let prepay = client
        .jsapi_prepay(&JsapiPrepay {
            out_trade_no: &no,
            description: &description,
            amount_fen: b.amount_fen,
            payer_openid: &openid,
            time_expire: until,
            attach: None,
        })
        .await?;
    Ok(MealPayment {
        booking_id: b.id,
        amount: Money::from_fen(b.amount_fen),
        pay_until: until,
        request_payment: crate::orders::wechat_pay::request_payment(client, &prepay)?,
    })
}

/// Records a payment WeChat Pay reports for a booking (notify or query):
/// once per transaction id. The exact amount of a booking still booked and
/// unpaid pays it; a payment for a booking cancelled meanwhile goes back in
/// full; a wrong amount is recorded for an admin, never taken.
pub async fn record(
    db: &DatabaseConnection,
    t: &Transaction,
    booking_id: i64,
    transaction_id: &str,
    now: DateTime<Utc>,
) -> ApiResult<Recorded> {
    let Some(b) = meal_booking::Entity::find_by_id(booking_id).one(db).await? else {
        tracing::error!(out_trade_no = %t.out_trade_no, transaction_id, "WeChat Pay reported a payment for a meal booking we do not have");
        return Ok(Recorded::Ignored);
    };
    let exact = t.paid_exactly(b.amount_fen) && b.pay_method == ONLINE;
    let status = if !exact {
        PaymentStatus::AmountMismatch
    } else if b.status == BOOKED && b.paid_at.is_none() {
        PaymentStatus::Honoured
    } else {
        PaymentStatus::Late
    };
    let paid_at = t.success_at().unwrap_or(now);
    let txn = crate::db::begin_write(db).await?;
    let row = payment::ActiveModel {
        order_id: Set(b.id),
        merchant_id: Set(0),
        provider: Set(PaymentProvider::Wechat),
        out_trade_no: Set(out_trade_no(b.id)),
        transaction_id: Set(transaction_id.to_owned()),
        amount_fen: Set(t.amount.total),
        currency: Set(crate::wechatpay::truncate_bytes(&t.amount.currency, 8).to_owned()),
        payer_openid: Set(crate::wechatpay::truncate_bytes(&t.payer.openid, 128).to_owned()),
        status: Set(status),
        paid_at: Set(paid_at),
        created_at: Set(now),
        subject: Set(SUBJECT_MEAL_BOOKING.to_owned()),
        ..Default::default()
    };
    if !crate::orders::payment_records::insert_payment_once(&txn, row).await? {
        txn.rollback().await?;
        return Ok(Recorded::AlreadyRecorded);
    }
    let recorded = match status {
        PaymentStatus::AmountMismatch => Recorded::AmountMismatch,
        PaymentStatus::Honoured => {
            let paid = meal_booking::Entity::update_many()
                .col_expr(meal_booking::Column::PaidAt, Expr::value(Some(paid_at)))
                .col_expr(meal_booking::Column::UpdatedAt, Expr::value(now))
                .filter(meal_booking::Column::Id.eq(b.id))
                .filter(meal_booking::Column::Status.eq(BOOKED))
                .filter(meal_booking::Column::PaidAt.is_null())
                .exec(&txn)
                .await?;
            if paid.rows_affected == 1 {
                Recorded::Paid
            } else {
                // Cancelled (or expired) since it was read: the money goes back.
                payment::Entity::update_many()
                    .col_expr(payment::Column::Status, Expr::value(PaymentStatus::Late))
                    .filter(payment::Column::TransactionId.eq(transaction_id))
                    .exec(&txn)
                    .await?;
                refund_all(&txn, b.id, RefundReason::LatePayment, now).await?;
                Recorded::Refunding
            }
        }
        PaymentStatus::Late => {
            refund_all(&txn, b.id, RefundReason::LatePayment, now).await?;
            Recorded::Refunding
        }
    };
    txn.commit().await?;
    match recorded {
        Recorded::AmountMismatch => tracing::error!(
            booking_id = b.id,
            transaction_id,
            paid_fen = t.amount.total,
            booking_fen = b.amount_fen,
            "WeChat Pay payment does not match its meal booking: NOT marked paid; recorded for an admin"
        ),
        Recorded::Refunding => {
            tracing::warn!(
                booking_id = b.id,
                "payment for a meal booking no longer payable: refunding it"
            );
        }
        _ => tracing::info!(booking_id = b.id, "meal booking paid"),
    }
    Ok(recorded)
}

/// In the caller's transaction: the full refund of every payment of the
/// booking (none for a meal never paid online).
pub async fn refund_all(
    txn: &impl sea_orm::ConnectionTrait,
    booking_id: i64,
    reason: RefundReason,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let (recorded, _) =
        refunds::record_subject_refunds(txn, SUBJECT_MEAL_BOOKING, booking_id, reason, now).await?;
    Ok(recorded)
}

/// Online bookings still unpaid past their `pay_until`: each one's trade is
/// asked about (a payment whose notify never came is recorded), then
/// closed, and the booking cancelled (a conditional update) with its place
/// given back. Answers how many were cancelled.
pub async fn expire_unpaid(state: &AppState, client: &WechatPayClient) -> ApiResult<usize> {
    let db = &state.db;
    let now = state.clock.now();
    let overdue = meal_booking::Entity::find()
        .filter(meal_booking::Column::PayMethod.eq(ONLINE))
        .filter(meal_booking::Column::Status.eq(BOOKED))
        .filter(meal_booking::Column::PaidAt.is_null())
        .filter(meal_booking::Column::PayUntil.lte(now))
        .limit(100)
        .all(db)
        .await?;
    let mut expired = 0;
    for b in overdue {
        let Ok(no) = OutTradeNo::new(&out_trade_no(b.id)) else {
            continue;
        };
        match client.query_by_out_trade_no(&no).await {
            Ok(t) if t.trade_state.is_paid() => {
                if let Some(transaction_id) = t.transaction_id.as_deref().filter(|i| !i.is_empty())
                    && record(db, &t, b.id, transaction_id, now).await? == Recorded::Paid
                {
                    continue;
                }
            }
            Ok(t) if t.trade_state == TradeState::UserPaying => continue,
            Ok(_) => {}
            Err(err) if err.is_not_found() => {}
            Err(_) => continue,
        }
        if !close_trade_no(client, &no).await {
            continue;
        }
        let txn = crate::db::begin_write(db).await?;
        let done = super::booking::cancelling(b.id, now)
            .filter(meal_booking::Column::PaidAt.is_null())
            .exec(&*txn)
            .await?;
        if done.rows_affected == 1 {
            signups::give_back(&*txn, Places::Meal(b.meal_id)).await?;
            expired += 1;
        }
        txn.commit().await?;
    }
    Ok(expired)
}
