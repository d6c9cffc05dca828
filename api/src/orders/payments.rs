//! Payment providers. `offline` (pay at pickup) is the embedded default: its
//! orders are placed at once and nothing is ever charged online. WeChat Pay
//! (JSAPI prepay, notify, refund) plugs in here as another variant without
//! changing the order flow: orders start `pending_payment`, `pay` returns the
//! `wx.requestPayment` parameters, the notify callback marks them placed, and
//! `refund` returns the money when a campaign fails or is cancelled.

use entity::order::OrderStatus;
pub use entity::order::PaymentProvider as Provider;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::money::Money;

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
    /// (`timeStamp`, `nonceStr`, `package`, `signType`, `paySign`).
    #[schema(value_type = Option<Object>)]
    pub request_payment: Option<serde_json::Value>,
}

/// Starts or confirms payment of an order through its provider: the one
/// it was placed with, while its status allows payment.
pub fn pay(provider: Provider, order: &entity::order::Model) -> ApiResult<PaymentAnswer> {
    if order.payment_provider != provider {
        return Err(ApiError::field("provider", "与下单时的支付方式不一致"));
    }
    if !order.status.payable() {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("订单当前状态不能支付"));
    }
    match provider {
        Provider::Offline => Ok(PaymentAnswer {
            order_no: order.order_no.clone(),
            provider,
            amount: Money::from_fen(order.amount_fen),
            status: order.status,
            pay_at_pickup: true,
            request_payment: None,
        }),
        Provider::Wechat => Err(ApiError::new(ErrorCode::PaymentProviderUnavailable)),
    }
}

/// Returns an order's money. Offline orders are never charged before pickup,
/// so there is nothing to return; a charged order is refunded by its provider.
pub fn refund_needed(order: &entity::order::Model) -> bool {
    order.paid_at.is_some()
}
