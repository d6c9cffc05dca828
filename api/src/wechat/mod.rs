//! The WeChat server API (api.weixin.qq.com) at a configurable base URL:
//! login code exchange, the shared access token, phone numbers.
//!
//! WeChat answers errors as HTTP 200 with `{"errcode", "errmsg"}`; every call
//! here maps them to [`WechatError`], which maps to the API's error codes.

pub mod security;

use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::cache::Cache;
use crate::cache::keys::{
    WECHAT_ACCESS_TOKEN as TOKEN_KEY, WECHAT_ACCESS_TOKEN_LOCK as TOKEN_LOCK_KEY,
};
use crate::error::{ApiError, ErrorCode};
use crate::settings::WechatSettings;
use crate::telemetry::Metrics;

/// Refresh this long before WeChat's stated expiry.
const TOKEN_EARLY_SECS: u64 = 300;

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
    fn from_errcode(errcode: i64, errmsg: String) -> Self {
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

/// What `jscode2session` answers. The session key is kept secret and unused:
/// phone numbers come from `getuserphonenumber`, not decryption.
pub struct WechatSession {
    pub openid: String,
    pub unionid: Option<String>,
    pub session_key: SecretString,
}

#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    #[serde(flatten)]
    body: Option<T>,
}

#[derive(Deserialize)]
struct SessionBody {
    openid: Option<String>,
    unionid: Option<String>,
    session_key: Option<String>,
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: Option<String>,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct PhoneBody {
    phone_info: Option<PhoneInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhoneInfo {
    phone_number: Option<String>,
    pure_phone_number: Option<String>,
    /// A string or a number, depending on who you ask.
    country_code: Option<serde_json::Value>,
}

/// A phone number as WeChat reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatPhone {
    pub pure_number: String,
    pub country_code: String,
}

#[derive(Clone)]
pub struct WechatClient {
    http: reqwest::Client,
    base: String,
    app_id: String,
    app_secret: SecretString,
    cache: Cache,
    metrics: Arc<Metrics>,
    refresh_gate: Arc<tokio::sync::Mutex<()>>,
}

impl WechatClient {
    pub fn new(
        settings: &WechatSettings,
        cache: Cache,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms))
            .connect_timeout(Duration::from_millis(settings.timeout_ms.min(3000)))
            .build()?;
        Ok(Self {
            http,
            base: settings.api_base.trim_end_matches('/').to_owned(),
            app_id: settings.app_id.clone(),
            app_secret: settings.app_secret.clone(),
            cache,
            metrics,
            refresh_gate: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    fn record(&self, api: &str, outcome: &str) {
        self.metrics
            .wechat_calls
            .with_label_values(&[api, outcome])
            .inc();
    }

    async fn send<T: DeserializeOwned>(
        &self,
        api: &str,
        req: reqwest::RequestBuilder,
    ) -> Result<T, WechatError> {
        let result = self.send_inner(req).await;
        self.record(
            api,
            match &result {
                Ok(_) => "ok",
                Err(WechatError::Unavailable(_)) => "unavailable",
                Err(_) => "error",
            },
        );
        result
    }

    async fn send_inner<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, WechatError> {
        let res = req
            .send()
            .await
            .map_err(|e| WechatError::Unavailable(e.without_url().to_string()))?;
        let status = res.status();
        if !status.is_success() {
            return Err(WechatError::Unavailable(format!("HTTP {status}")));
        }
        let bytes = res
            .bytes()
            .await
            .map_err(|e| WechatError::Unavailable(e.without_url().to_string()))?;
        let envelope: Envelope<T> = serde_json::from_slice(&bytes)
            .map_err(|e| WechatError::Unavailable(format!("unreadable answer: {e}")))?;
        if envelope.errcode != 0 {
            return Err(WechatError::from_errcode(envelope.errcode, envelope.errmsg));
        }
        envelope
            .body
            .ok_or_else(|| WechatError::Unavailable("empty answer".into()))
    }

    /// `sns/jscode2session`: the login code for the user's openid.
    pub async fn code_to_session(&self, code: &str) -> Result<WechatSession, WechatError> {
        let req = self
            .http
            .get(format!("{}/sns/jscode2session", self.base))
            .query(&[
                ("appid", self.app_id.as_str()),
                ("secret", self.app_secret.expose_secret()),
                ("js_code", code),
                ("grant_type", "authorization_code"),
            ]);
        let body: SessionBody = self.send("jscode2session", req).await?;
        let openid = body
            .openid
            .filter(|o| !o.is_empty())
            .ok_or_else(|| WechatError::Unavailable("answer without openid".into()))?;
        Ok(WechatSession {
            openid,
            unionid: body.unionid.filter(|u| !u.is_empty()),
            session_key: SecretString::from(body.session_key.unwrap_or_default()),
        })
    }

    /// The app's access token, shared by every instance through the cache and
    /// refreshed by one caller at a time.
    pub async fn access_token(&self) -> Result<String, WechatError> {
        if let Some(token) = self.cache.get(TOKEN_KEY).await {
            return Ok(token);
        }
        let _gate = self.refresh_gate.lock().await;
        if let Some(token) = self.cache.get(TOKEN_KEY).await {
            return Ok(token);
        }
        // Another instance may be refreshing: wait for its token rather than
        // fetching one that invalidates it.
        let locked = self
            .cache
            .set_if_absent(TOKEN_LOCK_KEY, "1", Duration::from_secs(10))
            .await
            .unwrap_or(true);
        if !locked {
            for _ in 0..30 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if let Some(token) = self.cache.get(TOKEN_KEY).await {
                    return Ok(token);
                }
            }
        }
        let result = self.fetch_access_token().await;
        self.cache.delete(TOKEN_LOCK_KEY).await;
        result
    }

    async fn fetch_access_token(&self) -> Result<String, WechatError> {
        let req = self
            .http
            .get(format!("{}/cgi-bin/token", self.base))
            .query(&[
                ("grant_type", "client_credential"),
                ("appid", self.app_id.as_str()),
                ("secret", self.app_secret.expose_secret()),
            ]);
        let body: TokenBody = self.send("token", req).await?;
        let token = body
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| WechatError::Unavailable("answer without access_token".into()))?;
        let lifetime = body.expires_in.unwrap_or(7200);
        let ttl = lifetime
            .saturating_sub(TOKEN_EARLY_SECS)
            .max(lifetime / 2)
            .max(1);
        self.cache
            .set(TOKEN_KEY, &token, Duration::from_secs(ttl))
            .await;
        Ok(token)
    }

    /// Runs a call that needs the access token; on a token error drops the
    /// cached token, refreshes once and tries once more.
    pub async fn with_token<T, F, Fut>(&self, call: F) -> Result<T, WechatError>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<T, WechatError>>,
    {
        let token = self.access_token().await?;
        match call(token).await {
            Err(WechatError::TokenExpired(code)) => {
                tracing::info!(
                    errcode = code,
                    "WeChat access token rejected, refreshing once"
                );
                self.cache.delete(TOKEN_KEY).await;
                let token = self.access_token().await?;
                call(token).await
            }
            other => other,
        }
    }

    /// `wxa/business/getuserphonenumber`: the phone behind a phone-button code.
    pub async fn phone_number(&self, code: &str) -> Result<WechatPhone, WechatError> {
        self.with_token(|token| async move {
            let req = self
                .http
                .post(format!("{}/wxa/business/getuserphonenumber", self.base))
                .query(&[("access_token", token.as_str())])
                .json(&serde_json::json!({ "code": code }));
            let body: PhoneBody = self.send("getuserphonenumber", req).await?;
            let info = body
                .phone_info
                .ok_or_else(|| WechatError::Unavailable("answer without phone_info".into()))?;
            let pure = info
                .pure_phone_number
                .or(info.phone_number)
                .filter(|p| !p.is_empty())
                .ok_or_else(|| WechatError::Unavailable("answer without a phone number".into()))?;
            let country_code = match info.country_code {
                Some(serde_json::Value::String(s)) => s,
                Some(serde_json::Value::Number(n)) => n.to_string(),
                _ => "86".to_owned(),
            };
            Ok(WechatPhone {
                pure_number: pure,
                country_code,
            })
        })
        .await
    }
}

/// A mini-program code image as WeChat drew it.
pub struct WxaCode {
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl WechatClient {
    /// `wxa/getwxacodeunlimit`: a mini-program code that opens `page` with
    /// `scene` (at most 32 visible characters). WeChat answers the image
    /// itself, or JSON with an errcode.
    pub async fn unlimited_code(&self, scene: &str, page: &str) -> Result<WxaCode, WechatError> {
        let body = serde_json::json!({
            "scene": scene,
            "page": page,
            // The page may not be in the released version yet (trial builds).
            "check_path": false,
            "width": 280,
        });
        let result = self
            .with_token(|token| {
                let body = body.clone();
                async move {
                    let res = self
                        .http
                        .post(format!("{}/wxa/getwxacodeunlimit", self.base))
                        .query(&[("access_token", token.as_str())])
                        .json(&body)
                        .send()
                        .await
                        .map_err(|e| WechatError::Unavailable(e.without_url().to_string()))?;
                    if !res.status().is_success() {
                        return Err(WechatError::Unavailable(format!("HTTP {}", res.status())));
                    }
                    let content_type = res
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    let bytes = res
                        .bytes()
                        .await
                        .map_err(|e| WechatError::Unavailable(e.without_url().to_string()))?;
                    if content_type.starts_with("image/") {
                        return Ok(WxaCode {
                            content_type,
                            bytes: bytes.to_vec(),
                        });
                    }
                    let envelope: Envelope<serde_json::Value> = serde_json::from_slice(&bytes)
                        .map_err(|e| WechatError::Unavailable(format!("unreadable answer: {e}")))?;
                    Err(if envelope.errcode != 0 {
                        WechatError::from_errcode(envelope.errcode, envelope.errmsg)
                    } else {
                        WechatError::Unavailable("answer without an image".into())
                    })
                }
            })
            .await;
        self.record(
            "getwxacodeunlimit",
            match &result {
                Ok(_) => "ok",
                Err(WechatError::Unavailable(_)) => "unavailable",
                Err(_) => "error",
            },
        );
        result
    }
}

/// Cuts a subscribe-message value to WeChat's limit for its key type
/// (`thing` 20, `character_string` 32, `phrase` 5 characters), by characters.
pub fn fit(value: &str, limit: usize) -> String {
    value.chars().take(limit).collect()
}

impl WechatClient {
    /// `cgi-bin/message/subscribe/send`: one subscribe message to `openid`.
    pub async fn send_subscribe_message(
        &self,
        openid: &str,
        template_id: &str,
        page: &str,
        data: serde_json::Value,
    ) -> Result<(), WechatError> {
        let body = serde_json::json!({
            "touser": openid,
            "template_id": template_id,
            "page": page,
            "data": data,
            "miniprogram_state": "formal",
            "lang": "zh_CN",
        });
        self.with_token(|token| {
            let body = body.clone();
            async move {
                let req = self
                    .http
                    .post(format!("{}/cgi-bin/message/subscribe/send", self.base))
                    .query(&[("access_token", token.as_str())])
                    .json(&body);
                self.send::<serde_json::Value>("subscribe_send", req)
                    .await
                    .map(drop)
            }
        })
        .await
    }
}

/// The development placeholder app id of `config/default.toml`.
const DEV_APP_ID: &str = "wx_dev_app_id";

/// A mini-program code image as WeChat sent it.
pub struct CodeImage {
    pub bytes: Vec<u8>,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
}

impl WechatClient {
    /// Whether real mini-program credentials are configured (not the
    /// development placeholder), so WeChat can make mini-program codes.
    pub fn is_configured(&self) -> bool {
        !self.app_id.is_empty()
            && self.app_id != DEV_APP_ID
            && !self.app_secret.expose_secret().is_empty()
    }

    /// `wxa/getwxacodeunlimit`: the mini-program code that opens `page` with
    /// `scene` (at most 32 characters). Errors come back as JSON, images as bytes.
    pub async fn wxacode_unlimited(
        &self,
        scene: &str,
        page: &str,
    ) -> Result<CodeImage, WechatError> {
        // check_path off: codes are printed before the page's version is released.
        let body = serde_json::json!({
            "scene": scene,
            "page": page,
            "check_path": false,
            "env_version": "release",
            "width": 430,
        });
        let result = self
            .with_token(|token| {
                let body = body.clone();
                async move {
                    let res = self
                        .http
                        .post(format!("{}/wxa/getwxacodeunlimit", self.base))
                        .query(&[("access_token", token.as_str())])
                        .json(&body)
                        .send()
                        .await
                        .map_err(|e| WechatError::Unavailable(e.without_url().to_string()))?;
                    if !res.status().is_success() {
                        return Err(WechatError::Unavailable(format!("HTTP {}", res.status())));
                    }
                    let content_type = res
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_ascii_lowercase();
                    let bytes = res
                        .bytes()
                        .await
                        .map_err(|e| WechatError::Unavailable(e.without_url().to_string()))?;
                    if content_type.contains("json") || bytes.first() == Some(&b'{') {
                        let envelope: Envelope<serde_json::Value> = serde_json::from_slice(&bytes)
                            .map_err(|e| {
                                WechatError::Unavailable(format!("unreadable answer: {e}"))
                            })?;
                        return Err(match envelope.errcode {
                            0 => WechatError::Unavailable("an answer without an image".into()),
                            code => WechatError::from_errcode(code, envelope.errmsg),
                        });
                    }
                    let content_type = if bytes.starts_with(b"\x89PNG") {
                        "image/png"
                    } else {
                        "image/jpeg"
                    };
                    Ok(CodeImage {
                        bytes: bytes.to_vec(),
                        content_type: content_type.to_owned(),
                    })
                }
            })
            .await;
        self.record(
            "getwxacodeunlimit",
            match &result {
                Ok(_) => "ok",
                Err(WechatError::Unavailable(_)) => "unavailable",
                Err(_) => "error",
            },
        );
        result
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

    #[test]
    fn values_are_cut_by_characters() {
        assert_eq!(
            fit("停水通知：1号楼2号楼3号楼4号楼5号楼6号楼", 20)
                .chars()
                .count(),
            20
        );
        assert_eq!(fit("成团成功啦啦", 5), "成团成功啦");
        assert_eq!(fit("ok", 5), "ok");
    }
}
