//! Payment providers. `offline` (pay at pickup) is the embedded default: its
//! orders are placed at once and nothing is ever charged online. `wechat`
//! (WeChat Pay API v3, JSAPI): orders start `pending_payment`, `pay`
//! returns the `wx.requestPayment` parameters ([`super::wechat_pay`]), a
//! verified notify or the reconciliation sweep marks them placed
//! ([`super::payment_records`]), and refunds return the money when a paid
//! order is cancelled or its campaign fails ([`super::refunds`]).

use actix_web::http::StatusCode;
use entity::order::OrderStatus;
pub use entity::order::PaymentProvider as Provider;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::reads;
use super::wechat_pay;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::idempotency::{self, Checked, IdempotencyKey};
use crate::money::Money;
use crate::state::AppState;
use crate::wechatpay::Prepay;

/// The status a new order starts in.
pub fn initial_status(provider: Provider) -> OrderStatus {
    match provider {
        Provider::Offline => OrderStatus::Placed,
        Provider::Wechat => OrderStatus::PendingPayment,
    }
}

/// What `POST /orders/{order_no}/pay` answers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentAnswer {
    pub order_no: String,
    pub provider: Provider,
    pub amount: Money,
    /// The order's status after this call.
    pub status: OrderStatus,
    /// True for offline: the resident pays the merchant at pickup.
    pub pay_at_pickup: bool,
    /// For WeChat Pay: the `wx.requestPayment` parameters
    /// (`timeStamp`, `nonceStr`, `package`, `signType` `RSA`, `paySign`).
    #[schema(value_type = Option<Object>)]
    pub request_payment: Option<Value>,
}

/// Starts or confirms payment of the caller's order through its provider:
/// the one it was placed with, while its status allows payment. With an
/// `Idempotency-Key` a repeat answers the first answer again.
#[tracing::instrument(skip_all, fields(user_id = me.id(), order_no))]
pub async fn pay(
    state: &AppState,
    me: &AuthUser,
    order_no: &str,
    provider: Provider,
    key: Option<IdempotencyKey>,
) -> ApiResult<(StatusCode, Value)> {
    let db = &state.db;
    let fingerprint = idempotency::fingerprint(&format!("POST /orders/{order_no}/pay"), &provider);
    let answer_key = match idempotency::check(db, me.id(), key.as_ref(), &fingerprint).await? {
        Checked::Replay(status, body) => return Ok((status, body)),
        Checked::Fresh(answer_key) => answer_key,
    };
    // WeChat Pay is called before the write transaction, never inside it.
    let worked = work(state, me, order_no, provider).await;
    let (result, fresh_prepay) = match worked {
        Ok((answer, fresh)) => (
            serde_json::to_value(answer)
                .map(|body| (StatusCode::OK, body))
                .map_err(ApiError::from),
            fresh,
        ),
        Err(err) => (Err(err), None),
    };
    if key.is_none() && fresh_prepay.is_none() {
        return result;
    }
    let write = answer_key.begin(db).await?;
    if let Some((order_id, prepay)) = &fresh_prepay {
        wechat_pay::store_prepay(write.txn(), *order_id, prepay, crate::time::now()).await?;
    }
    write.finish(db, result).await
}

/// The answer, and a new prepay to keep (order id and prepay).
async fn work(
    state: &AppState,
    me: &AuthUser,
    order_no: &str,
    provider: Provider,
) -> ApiResult<(PaymentAnswer, Option<(i64, Prepay)>)> {
    let order = reads::own(&state.db, me.id(), order_no).await?;
    if order.payment_provider != provider {
        return Err(ApiError::field("provider", "与下单时的支付方式不一致"));
    }
    let answer = |request_payment| PaymentAnswer {
        order_no: order.order_no.clone(),
        provider,
        amount: Money::from_fen(order.amount_fen),
        status: order.status,
        pay_at_pickup: provider == Provider::Offline,
        request_payment,
    };
    match provider {
        Provider::Offline => {
            if !order.status.payable() {
                return Err(
                    ApiError::new(ErrorCode::InvalidTransition).message("订单当前状态不能支付")
                );
            }
            Ok((answer(None), None))
        }
        Provider::Wechat => {
            let client = state
                .wechatpay
                .as_ref()
                .ok_or_else(|| ApiError::new(ErrorCode::PaymentProviderUnavailable))?;
            let now = crate::time::now();
            wechat_pay::check_payable(&order, now)?;
            let (prepay, fresh) = wechat_pay::prepay_for(&state.db, client, &order, now).await?;
            let params = wechat_pay::request_payment(client, &prepay)?;
            let keep = fresh.then_some((order.id, prepay));
            Ok((answer(Some(params)), keep))
        }
    }
}

/// Returns an order's money. Offline orders are never charged before pickup,
/// so there is nothing to return; a charged order is refunded by its provider.
pub fn refund_needed(order: &entity::order::Model) -> bool {
    order.paid_at.is_some()
}
