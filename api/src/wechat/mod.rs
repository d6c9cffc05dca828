//! The WeChat server API (api.weixin.qq.com) at a configurable base URL:
//! login code exchange, the shared access token, phone numbers.
//!
//! WeChat answers errors as HTTP 200 with `{"errcode", "errmsg"}`; every call
//! here maps them to [`WechatError`], which maps to the API's error codes.

mod codes;
mod error;
pub mod security;
mod subscribe;

use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::cache::Cache;
use crate::cache::keys::{
    WECHAT_ACCESS_TOKEN as TOKEN_KEY, WECHAT_ACCESS_TOKEN_LOCK as TOKEN_LOCK_KEY,
};
use crate::settings::WechatSettings;
use crate::telemetry::Metrics;

pub use codes::CodeImage;
pub use error::WechatError;
pub use subscribe::fit;

/// Refresh this long before WeChat's stated expiry.
const TOKEN_EARLY_SECS: u64 = 300;

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
