//! One signed exchange with WeChat Pay: the request signed over exactly
//! what goes on the wire, the answer read whole, its signature checked
//! before it is believed, an error answer turned into
//! [`WechatPayError::Api`], and each call counted in the metrics.

use chrono::Utc;
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::WechatPayClient;
use crate::wechatpay::crypto::{PlatformKeys, SignatureHeaders, nonce};
use crate::wechatpay::error::{PayErrorCode, WechatPayError};

/// An answer as received, before it is believed.
pub(super) struct Answer {
    pub(super) status: reqwest::StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: Vec<u8>,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    #[serde(default)]
    message: String,
}

impl WechatPayClient {
    /// One signed request; the answer verified, an error answer turned into
    /// [`WechatPayError::Api`].
    pub(super) async fn call(
        &self,
        api: &'static str,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Answer, WechatPayError> {
        let result = async {
            let answer = self.exchange(method, path, body).await?;
            if let Some(signed) = signature(&answer)? {
                let keys = self.keys_for(&signed.serial).await?;
                check(&signed, &answer, &keys)?;
            }
            if !answer.status.is_success() {
                return Err(api_error(&answer));
            }
            Ok(answer)
        }
        .await;
        self.record(api, &result);
        result
    }

    /// Signs and sends one request; reads the whole answer.
    pub(super) async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Answer, WechatPayError> {
        let config = &self.inner.config;
        let url = reqwest::Url::parse(&format!("{}{path}", config.api_base))
            .map_err(|e| WechatPayError::InvalidRequest(format!("{path}: {e}")))?;
        // Sign exactly the path and query that go on the wire.
        let signed_path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let authorization = config.merchant_key.authorization(
            &config.mch_id,
            method.as_str(),
            &signed_path,
            &body,
            Utc::now().timestamp(),
            &nonce(),
        );
        let mut request = self
            .inner
            .http
            .request(method, url)
            .header(AUTHORIZATION, authorization)
            .header(ACCEPT, "application/json");
        if !body.is_empty() {
            request = request.header(CONTENT_TYPE, "application/json").body(body);
        }
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport_error)?.to_vec();
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    pub(super) fn record<T>(&self, api: &str, result: &Result<T, WechatPayError>) {
        let outcome = match result {
            Ok(_) => "ok",
            Err(err) if err.is_retryable() => "unavailable",
            Err(_) => "error",
        };
        match result {
            // The sweeps ask about trades that were never prepaid.
            Err(err) if err.is_not_found() => {
                tracing::debug!(api, error = %err, "WeChat Pay: not found")
            }
            Err(err) => tracing::warn!(api, error = %err, "WeChat Pay call failed"),
            Ok(_) => {}
        }
        self.inner
            .metrics
            .wechat_calls
            .with_label_values(&[api, outcome])
            .inc();
    }
}

/// The signature headers of an answer. WeChat Pay does not sign its answer
/// to a request it could not authenticate, so an unsigned error is taken as
/// a failure (it never makes us believe anything happened); an unsigned
/// success is not believed at all.
pub(super) fn signature(answer: &Answer) -> Result<Option<SignatureHeaders>, WechatPayError> {
    match SignatureHeaders::from_lookup(|name| {
        answer.headers.get(name).and_then(|v| v.to_str().ok())
    }) {
        Ok(headers) => Ok(Some(headers)),
        Err(_) if !answer.status.is_success() => Ok(None),
        Err(e) => Err(WechatPayError::Unverified(e.to_string())),
    }
}

/// Believes an answer only when signed by one of `keys` within 5 minutes.
pub(super) fn check(
    signed: &SignatureHeaders,
    answer: &Answer,
    keys: &PlatformKeys,
) -> Result<(), WechatPayError> {
    signed
        .verify(&answer.body, keys, Utc::now())
        .map_err(|e| WechatPayError::Unverified(e.to_string()))
}

fn transport_error(err: reqwest::Error) -> WechatPayError {
    if err.is_timeout() {
        WechatPayError::Timeout
    } else {
        WechatPayError::Connection(err.without_url().to_string())
    }
}

pub(super) fn parse<T: DeserializeOwned>(answer: &Answer) -> Result<T, WechatPayError> {
    serde_json::from_slice(&answer.body).map_err(|e| WechatPayError::BadAnswer(e.to_string()))
}

pub(super) fn api_error(answer: &Answer) -> WechatPayError {
    let status = answer.status.as_u16();
    match serde_json::from_slice::<ErrorBody>(&answer.body) {
        Ok(body) => WechatPayError::Api {
            status,
            code: PayErrorCode::from(body.code),
            message: body.message,
        },
        // A gateway's page rather than WeChat Pay's JSON.
        Err(_) => WechatPayError::Api {
            status,
            code: PayErrorCode::Other(format!("HTTP {status}")),
            message: String::from_utf8_lossy(&answer.body)
                .chars()
                .take(200)
                .collect(),
        },
    }
}
