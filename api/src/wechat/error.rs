//! What WeChat's errcodes mean ([`WechatError`]) and the API error each
//! becomes.

use crate::error::{ApiError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum WechatError {
    #[error("the code is invalid or already used (errcode {0})")]
    InvalidCode(i64),
    #[error("rate limited by WeChat")]
    RateLimited,
    #[error("WeChat blocked this user as high risk")]
    UserBlocked,
    #[error("the access token is invalid or expired (errcode {0})")]
    TokenExpired(i64),
    #[error("the app id or secret is wrong (errcode {errcode}: {errmsg})")]
    Misconfigured { errcode: i64, errmsg: String },
    #[error("the user refused or has no subscription left (43101)")]
    Refused,
    #[error("WeChat is unavailable: {0}")]
    Unavailable(String),
    #[error("WeChat refused (errcode {errcode}: {errmsg})")]
    Api { errcode: i64, errmsg: String },
}

impl WechatError {
    pub(super) fn from_errcode(errcode: i64, errmsg: String) -> Self {
        match errcode {
            40029 | 40163 => WechatError::InvalidCode(errcode),
            45011 => WechatError::RateLimited,
            40226 => WechatError::UserBlocked,
            43101 => WechatError::Refused,
            40001 | 40014 | 42001 => WechatError::TokenExpired(errcode),
            40013 | 40125 | 41002 | 41004 => WechatError::Misconfigured { errcode, errmsg },
            -1 => WechatError::Unavailable(format!("system busy: {errmsg}")),
            _ => WechatError::Api { errcode, errmsg },
        }
    }
}

impl From<WechatError> for ApiError {
    fn from(err: WechatError) -> Self {
        match err {
            WechatError::InvalidCode(_) => ApiError::new(ErrorCode::WechatCodeInvalid),
            WechatError::RateLimited => ApiError::new(ErrorCode::RateLimited).retry_after(60),
            WechatError::UserBlocked => ApiError::new(ErrorCode::WechatUserBlocked),
            WechatError::Misconfigured { .. } => {
                tracing::error!(error = %err, "WeChat rejected our app credentials: check wechat.app_id and wechat.app_secret");
                let mut api = ApiError::new(ErrorCode::WechatUnavailable);
                api.source = Some(err.into());
                api
            }
            other => {
                let mut api = ApiError::new(ErrorCode::WechatUnavailable);
                api.source = Some(other.into());
                api
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errcodes_map_to_the_documented_api_errors() {
        let code = |e: i64| ApiError::from(WechatError::from_errcode(e, "x".into())).code;
        assert_eq!(code(40029), ErrorCode::WechatCodeInvalid);
        assert_eq!(code(40163), ErrorCode::WechatCodeInvalid);
        assert_eq!(code(45011), ErrorCode::RateLimited);
        assert_eq!(code(40226), ErrorCode::WechatUserBlocked);
        assert_eq!(code(-1), ErrorCode::WechatUnavailable);
        assert_eq!(code(40013), ErrorCode::WechatUnavailable);
        assert_eq!(code(99999), ErrorCode::WechatUnavailable);
        assert!(matches!(
            WechatError::from_errcode(43101, String::new()),
            WechatError::Refused
        ));
    }
}
