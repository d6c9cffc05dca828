//! WeChat Pay API v3 (api.mch.weixin.qq.com) at a configurable base URL, for
//! mini-program (JSAPI) payments: prepay, the `wx.requestPayment`
//! parameters, query, close, refunds, and notifies.
//!
//! Every request is signed with the merchant key (`WECHATPAY2-SHA256-RSA2048`)
//! and every answer's signature is verified before it is believed, with the
//! WeChat Pay public key or the platform certificates the client downloads,
//! caches and refreshes. Failures are [`WechatPayError`]s:
//! [`WechatPayError::is_retryable`] says whether a later try with the same
//! out_trade_no / out_refund_no may succeed, and each maps to an
//! [`crate::error::ErrorCode`] (503 `PAYMENT_UNAVAILABLE` for anything that is
//! not the resident's doing; never a 500).
//!
//! One payment, as the order flow uses it:
//! 1. [`WechatPayClient::jsapi_prepay`] with the order number as
//!    [`OutTradeNo`], its amount in fen and its payment deadline; keep the
//!    [`Prepay`] id and its `valid_until`.
//! 2. Answer [`WechatPayClient::request_payment`] to the mini-program (again
//!    on every `pay` while the prepay id is valid).
//! 3. On `POST /payments/wechat/notify`: [`SignatureHeaders::from_actix`],
//!    then [`WechatPayClient::open_notify`] with the raw body; on
//!    [`NotifyEvent::TransactionSuccess`] check
//!    [`Transaction::paid_exactly`] against the order and mark it paid once.
//!    Errors answer [`NotifyError::status`] with [`NotifyError::answer`].
//! 4. A sweep asks [`WechatPayClient::query_by_out_trade_no`] about orders
//!    whose notify never came, and [`WechatPayClient::close`]s unpaid ones
//!    before expiring them.
//! 5. Refunds: [`WechatPayClient::create_refund`] with an [`OutRefundNo`]
//!    fixed per refund row; `REFUND.*` notifies and
//!    [`WechatPayClient::query_refund`] give the final [`RefundStatus`].

mod certificates;
mod client;
mod crypto;
mod error;
mod notify;
mod settings;
mod types;

pub use client::WechatPayClient;
pub use crypto::{
    ApiV3Key, DecryptError, MAX_CLOCK_SKEW_SECS, MerchantKey, PlatformKey, PlatformKeys,
    SignatureError, SignatureHeaders,
};
pub use error::{PayErrorCode, WechatPayError};
pub use notify::{Notify, NotifyError, NotifyEvent, NotifyFailure, open_notify};
pub use settings::{ConfigError, PlatformTrust, WechatPayConfig, WechatPaySettings};
pub use types::{
    DESCRIPTION_MAX_BYTES, InvalidNumber, JsapiPrepay, OutRefundNo, OutTradeNo, PREPAY_VALIDITY,
    Payer, Prepay, Refund, RefundAmount, RefundRequest, RefundStatus, RequestPayment, TradeState,
    Transaction, TransactionAmount, truncate_bytes,
};
