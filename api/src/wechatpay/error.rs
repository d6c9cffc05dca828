//! What can go wrong talking to WeChat Pay, which of it is worth retrying,
//! and what the resident sees (never a 500).

use serde::Deserialize;

use crate::error::{ApiError, ErrorCode};

/// Seconds a client is told to wait before trying a transient failure again.
const RETRY_AFTER_SECS: u64 = 5;

/// WeChat Pay's error codes (`{"code": ...}` of a 4xx/5xx answer), with the
/// spellings seen in its documents and SDKs folded together.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum PayErrorCode {
    ParamError,
    InvalidRequest,
    SignError,
    NoAuth,
    /// Refunds: the merchant's balance cannot cover the refund yet.
    NotEnough,
    /// The out_trade_no is unknown to WeChat Pay (never prepaid).
    OrderNotExist,
    /// A refund or other resource is unknown.
    ResourceNotExists,
    OrderClosed,
    OrderPaid,
    OutTradeNoUsed,
    AppidMchidNotMatch,
    MchNotExists,
    UserPaying,
    RateLimited,
    SystemError,
    BankError,
    Other(String),
}

impl From<String> for PayErrorCode {
    fn from(code: String) -> Self {
        match code.as_str() {
            "PARAM_ERROR" => Self::ParamError,
            "INVALID_REQUEST" => Self::InvalidRequest,
            "SIGN_ERROR" | "SIGNERROR" => Self::SignError,
            "NO_AUTH" | "NOAUTH" => Self::NoAuth,
            "NOT_ENOUGH" | "NOTENOUGH" => Self::NotEnough,
            "ORDER_NOT_EXIST" | "ORDER_NOT_EXISTS" | "ORDERNOTEXIST" => Self::OrderNotExist,
            "RESOURCE_NOT_EXISTS" | "RESOURCE_NOT_EXIST" => Self::ResourceNotExists,
            "ORDER_CLOSED" | "ORDERCLOSED" => Self::OrderClosed,
            "ORDERPAID" | "ORDER_PAID" => Self::OrderPaid,
            "OUT_TRADE_NO_USED" => Self::OutTradeNoUsed,
            "APPID_MCHID_NOT_MATCH" => Self::AppidMchidNotMatch,
            "MCH_NOT_EXISTS" => Self::MchNotExists,
            "USERPAYING" | "USER_PAYING" => Self::UserPaying,
            "RATE_LIMITED"
            | "FREQUENCY_LIMITED"
            | "RATELIMIT_EXCEEDED"
            | "FREQUENCY_LIMIT_EXCEED" => Self::RateLimited,
            "SYSTEM_ERROR" | "SYSTEMERROR" => Self::SystemError,
            "BANK_ERROR" | "BANKERROR" => Self::BankError,
            _ => Self::Other(code),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WechatPayError {
    /// No complete answer in time: the call may or may not have taken effect.
    #[error("WeChat Pay did not answer in time")]
    Timeout,
    /// Could not connect, or the connection broke before an answer.
    #[error("WeChat Pay unreachable: {0}")]
    Connection(String),
    /// WeChat Pay answered an error (`{"code", "message"}` with HTTP 4xx/5xx).
    #[error("WeChat Pay answered HTTP {status} {code:?}: {message}")]
    Api {
        status: u16,
        code: PayErrorCode,
        message: String,
    },
    /// An answer that cannot be believed: unsigned, stale, signed by an
    /// unknown key or not by the key it names.
    #[error("WeChat Pay answer not verified: {0}")]
    Unverified(String),
    /// A verified answer we cannot read.
    #[error("unreadable WeChat Pay answer: {0}")]
    BadAnswer(String),
    /// Refused before sending: WeChat Pay would reject it (a caller's bug).
    #[error("request not sent to WeChat Pay: {0}")]
    InvalidRequest(String),
}

impl WechatPayError {
    /// True when trying again later, with the same parameters (the same
    /// out_trade_no / out_refund_no), may succeed and cannot do anything
    /// twice: timeouts, broken connections, WeChat Pay's 5xx, SYSTEM_ERROR,
    /// rate limits, bank errors, a refund waiting for balance, and answers we
    /// could not verify (their outcome is unknown).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout | Self::Connection(_) | Self::Unverified(_) | Self::BadAnswer(_) => true,
            Self::Api { status, code, .. } => {
                *status >= 500
                    || matches!(
                        code,
                        PayErrorCode::SystemError
                            | PayErrorCode::BankError
                            | PayErrorCode::RateLimited
                            | PayErrorCode::NotEnough
                            | PayErrorCode::UserPaying
                    )
            }
            Self::InvalidRequest(_) => false,
        }
    }

    /// True when WeChat Pay says the order or refund asked about does not
    /// exist (never prepaid / never requested).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Self::Api {
                code: PayErrorCode::OrderNotExist | PayErrorCode::ResourceNotExists,
                ..
            }
        )
    }

    /// WeChat Pay's error code, when it answered one.
    pub fn code(&self) -> Option<&PayErrorCode> {
        match self {
            Self::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl From<WechatPayError> for ApiError {
    fn from(err: WechatPayError) -> Self {
        let code = match err.code() {
            Some(PayErrorCode::OrderClosed) => ErrorCode::PaymentClosed,
            Some(PayErrorCode::OrderPaid) => ErrorCode::OrderAlreadyPaid,
            _ => ErrorCode::PaymentUnavailable,
        };
        let retryable = err.is_retryable();
        if code == ErrorCode::PaymentUnavailable && !retryable {
            // Not the resident's doing and not transient: our configuration
            // or our request is wrong. Loud, so someone fixes it.
            tracing::error!(error = %err, "WeChat Pay refused the request: check the wechatpay.* settings");
        }
        let mut api = ApiError::new(code);
        if retryable {
            api = api.retry_after(RETRY_AFTER_SECS);
        }
        api.source = Some(err.into());
        api
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: &str) -> WechatPayError {
        WechatPayError::Api {
            status,
            code: PayErrorCode::from(code.to_owned()),
            message: "x".into(),
        }
    }

    #[test]
    fn transient_failures_are_retryable_and_answer_503() {
        for err in [
            WechatPayError::Timeout,
            WechatPayError::Connection("refused".into()),
            api(500, "SYSTEM_ERROR"),
            api(502, "SOMETHING_NEW"),
            api(429, "FREQUENCY_LIMITED"),
            api(403, "NOT_ENOUGH"),
            WechatPayError::Unverified("bad signature".into()),
        ] {
            assert!(err.is_retryable(), "{err}");
            let api = ApiError::from(err);
            assert_eq!(api.code, ErrorCode::PaymentUnavailable);
            assert_eq!(api.code.status(), 503);
            assert_eq!(api.retry_after_secs, Some(RETRY_AFTER_SECS));
        }
    }

    #[test]
    fn refusals_are_final_and_never_a_500() {
        for (err, code) in [
            (api(400, "PARAM_ERROR"), ErrorCode::PaymentUnavailable),
            (api(401, "SIGN_ERROR"), ErrorCode::PaymentUnavailable),
            (api(403, "NO_AUTH"), ErrorCode::PaymentUnavailable),
            (api(400, "ORDER_CLOSED"), ErrorCode::PaymentClosed),
            (api(403, "ORDERPAID"), ErrorCode::OrderAlreadyPaid),
            (
                WechatPayError::InvalidRequest("empty description".into()),
                ErrorCode::PaymentUnavailable,
            ),
        ] {
            assert!(!err.is_retryable(), "{err}");
            let api = ApiError::from(err);
            assert_eq!(api.code, code);
            assert_ne!(api.code.status(), 500);
            assert_eq!(api.retry_after_secs, None);
        }
    }

    #[test]
    fn both_spellings_of_not_found_are_not_found() {
        assert!(api(404, "ORDER_NOT_EXIST").is_not_found());
        assert!(api(404, "ORDER_NOT_EXISTS").is_not_found());
        assert!(api(404, "RESOURCE_NOT_EXISTS").is_not_found());
        assert!(!api(500, "SYSTEM_ERROR").is_not_found());
        assert_eq!(
            PayErrorCode::from("BRAND_NEW".to_owned()),
            PayErrorCode::Other("BRAND_NEW".into())
        );
    }
}
