//! Notifies WeChat Pay POSTs to `notify_url`, as pure functions: verify the
//! signature over the raw body, decrypt the resource, parse it. The route
//! answers 200/204 without a body on success and [`NotifyFailure`] otherwise
//! (WeChat Pay then retries for about a day, so every notify may arrive more
//! than once, late, or concurrently with itself).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::crypto::{ApiV3Key, DecryptError, PlatformKeys, SignatureError, SignatureHeaders};
use super::types::{Refund, RefundStatus, Transaction};

/// A verified, decrypted notify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notify {
    /// WeChat Pay's id of this notify (the same on every retry).
    pub id: String,
    pub event_type: String,
    pub create_time: Option<String>,
    pub event: NotifyEvent,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotifyEvent {
    /// `TRANSACTION.SUCCESS`: the trade as paid. Still check `trade_state`,
    /// the amount and currency ([`Transaction::paid_exactly`]) against the
    /// order before believing the order paid.
    TransactionSuccess(Transaction),
    /// `REFUND.SUCCESS`, `REFUND.ABNORMAL` or `REFUND.CLOSED`: the refund
    /// with its final (or stuck) status.
    Refund(Refund),
    /// Any other event type: acknowledge it, change nothing.
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// Not signed by WeChat Pay now: missing headers, stale, unknown serial,
    /// wrong signature.
    #[error("notify signature: {0}")]
    Signature(#[from] SignatureError),
    /// Signed, but the resource does not decrypt with our APIv3 key.
    #[error("notify resource: {0}")]
    Decrypt(#[from] DecryptError),
    /// Signed and decrypted, but for another merchant or app.
    #[error("notify for merchant {mchid:?} / app {appid:?}, not ours")]
    NotOurs { mchid: String, appid: String },
    /// Not a notify we can read.
    #[error("malformed notify: {0}")]
    Malformed(String),
    /// The keys to verify it could not be had (certificate download failed):
    /// WeChat Pay should send it again later.
    #[error("cannot verify notifies now: {0}")]
    KeysUnavailable(String),
}

/// WeChat Pay's failure answer: `{"code": "FAIL", "message": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotifyFailure {
    /// Always `FAIL`.
    pub code: String,
    pub message: String,
}

impl NotifyError {
    /// The HTTP status to answer: 401 when the notify is not believed, 400
    /// when it cannot be read, 503 when we cannot check it now.
    pub fn status(&self) -> u16 {
        match self {
            Self::Signature(_) | Self::Decrypt(_) | Self::NotOurs { .. } => 401,
            Self::Malformed(_) => 400,
            Self::KeysUnavailable(_) => 503,
        }
    }

    pub fn answer(&self) -> NotifyFailure {
        let message = match self {
            Self::Signature(_) | Self::Decrypt(_) | Self::NotOurs { .. } => "验签失败",
            Self::Malformed(_) => "通知格式错误",
            Self::KeysUnavailable(_) => "暂时无法验签，请稍后重试",
        };
        NotifyFailure {
            code: "FAIL".into(),
            message: message.into(),
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    create_time: Option<String>,
    event_type: String,
    resource: Option<EncryptedResource>,
}

#[derive(Deserialize)]
struct EncryptedResource {
    algorithm: String,
    ciphertext: String,
    #[serde(default)]
    associated_data: String,
    nonce: String,
}

/// Verifies, decrypts and parses one notify. `body` is the raw request body,
/// exactly as received; `keys` the keys WeChat Pay may sign with.
pub fn open_notify(
    headers: &SignatureHeaders,
    body: &[u8],
    keys: &PlatformKeys,
    api_v3_key: &ApiV3Key,
    now: DateTime<Utc>,
) -> Result<Notify, NotifyError> {
    headers.verify(body, keys, now)?;
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| NotifyError::Malformed(e.to_string()))?;
    let event = match envelope.event_type.as_str() {
        "TRANSACTION.SUCCESS" => {
            NotifyEvent::TransactionSuccess(decrypt(envelope.resource.as_ref(), api_v3_key)?)
        }
        "REFUND.SUCCESS" | "REFUND.ABNORMAL" | "REFUND.CLOSED" => {
            let mut refund: Refund = decrypt(envelope.resource.as_ref(), api_v3_key)?;
            if let RefundStatus::Other(_) = refund.status {
                // Unknown spelling in the resource: the event type says it.
                refund.status = RefundStatus::from(
                    envelope.event_type.trim_start_matches("REFUND.").to_owned(),
                );
            }
            NotifyEvent::Refund(refund)
        }
        _ => NotifyEvent::Other,
    };
    Ok(Notify {
        id: envelope.id,
        event_type: envelope.event_type,
        create_time: envelope.create_time,
        event,
    })
}

fn decrypt<T: serde::de::DeserializeOwned>(
    resource: Option<&EncryptedResource>,
    api_v3_key: &ApiV3Key,
) -> Result<T, NotifyError> {
    let resource = resource.ok_or_else(|| NotifyError::Malformed("no resource".into()))?;
    if resource.algorithm != "AEAD_AES_256_GCM" {
        return Err(NotifyError::Malformed(format!(
            "resource encrypted with {}",
            resource.algorithm
        )));
    }
    let plain = api_v3_key.decrypt(
        &resource.nonce,
        &resource.associated_data,
        &resource.ciphertext,
    )?;
    serde_json::from_slice(&plain).map_err(|e| NotifyError::Malformed(format!("resource: {e}")))
}

impl SignatureHeaders {
    /// From the notify request's headers.
    pub fn from_actix(
        headers: &actix_web::http::header::HeaderMap,
    ) -> Result<Self, SignatureError> {
        Self::from_lookup(|name| headers.get(name).and_then(|v| v.to_str().ok()))
    }
}

impl Notify {
    /// Refuses a notify about another merchant's or app's trade (a refund
    /// notify names the merchant only).
    pub fn check_ours(&self, mch_id: &str, app_id: &str) -> Result<(), NotifyError> {
        let (mchid, appid) = match &self.event {
            NotifyEvent::TransactionSuccess(t) => (t.mchid.as_str(), Some(t.appid.as_str())),
            NotifyEvent::Refund(r) => (r.mchid.as_deref().unwrap_or(mch_id), None),
            NotifyEvent::Other => return Ok(()),
        };
        if mchid != mch_id || appid.is_some_and(|a| a != app_id) {
            return Err(NotifyError::NotOurs {
                mchid: mchid.to_owned(),
                appid: appid.unwrap_or_default().to_owned(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechatpay::crypto::tests::{platform, vector};
    use crate::wechatpay::types::TradeState;

    fn api_v3_key() -> ApiV3Key {
        ApiV3Key::new(b"0123456789abcdefTESTONLYv3key-32").unwrap()
    }

    fn keys() -> PlatformKeys {
        PlatformKeys::new(vec![platform()])
    }

    #[test]
    fn opens_a_transaction_notify_signed_and_encrypted_by_others() {
        // The vector was signed by openssl and encrypted by Python's
        // cryptography package (tests/fixtures/wechatpay/README.md).
        let (headers, body, at) = vector();
        let notify = open_notify(&headers, &body, &keys(), &api_v3_key(), at).unwrap();
        assert_eq!(notify.id, "EV-2018022511223320873");
        assert_eq!(notify.event_type, "TRANSACTION.SUCCESS");
        let NotifyEvent::TransactionSuccess(t) = &notify.event else {
            panic!("{notify:?}");
        };
        assert_eq!(t.out_trade_no, "20261201ABCDEFGH12345678");
        assert_eq!(
            t.transaction_id.as_deref(),
            Some("4200000000202612011234567890")
        );
        assert_eq!(t.trade_state, TradeState::Success);
        assert!(t.paid_exactly(1990));
        assert_eq!(t.payer.openid, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
        assert!(
            notify
                .check_ours("1230000109", "wxd678efh567hg6787")
                .is_ok()
        );
        assert!(matches!(
            notify.check_ours("1230000109", "wx_other"),
            Err(NotifyError::NotOurs { .. })
        ));
        assert!(matches!(
            notify.check_ours("1900000000", "wxd678efh567hg6787"),
            Err(NotifyError::NotOurs { .. })
        ));
    }

    #[test]
    fn tampered_stale_or_foreign_notifies_are_401() {
        let (headers, body, at) = vector();
        let mut tampered = body.clone();
        let i = tampered.len() / 3;
        tampered[i] ^= 0x20;
        let err = open_notify(&headers, &tampered, &keys(), &api_v3_key(), at).unwrap_err();
        assert!(matches!(
            err,
            NotifyError::Signature(SignatureError::BadSignature)
        ));
        assert_eq!(err.status(), 401);
        assert_eq!(err.answer().code, "FAIL");

        let old = at + chrono::Duration::minutes(6);
        let err = open_notify(&headers, &body, &keys(), &api_v3_key(), old).unwrap_err();
        assert!(matches!(
            err,
            NotifyError::Signature(SignatureError::Stale(360))
        ));
        assert_eq!(err.status(), 401);

        let mut other = headers.clone();
        other.serial = "PUB_KEY_ID_0000000000000000000000000000OTHER".into();
        let err = open_notify(&other, &body, &keys(), &api_v3_key(), at).unwrap_err();
        assert!(matches!(
            err,
            NotifyError::Signature(SignatureError::UnknownSerial(_))
        ));
    }

    #[test]
    fn a_signed_notify_encrypted_under_another_key_is_401() {
        let (headers, body, at) = vector();
        let wrong = ApiV3Key::new(b"another-32-byte-key-for-the-test").unwrap();
        let err = open_notify(&headers, &body, &keys(), &wrong, at).unwrap_err();
        assert!(matches!(err, NotifyError::Decrypt(DecryptError::Failed)));
        assert_eq!(err.status(), 401);
        assert_eq!(
            serde_json::to_value(err.answer()).unwrap(),
            serde_json::json!({"code": "FAIL", "message": "验签失败"})
        );
    }

    #[test]
    fn headers_are_read_from_an_actix_request() {
        let (expected, _, _) = vector();
        let request = actix_web::test::TestRequest::post()
            .insert_header(("wechatpay-timestamp", expected.timestamp.as_str()))
            .insert_header(("Wechatpay-Nonce", expected.nonce.as_str()))
            .insert_header(("Wechatpay-Signature", expected.signature.as_str()))
            .insert_header(("WECHATPAY-SERIAL", expected.serial.as_str()))
            .to_http_request();
        assert_eq!(
            SignatureHeaders::from_actix(request.headers()),
            Ok(expected)
        );
        let bare = actix_web::test::TestRequest::post().to_http_request();
        assert_eq!(
            SignatureHeaders::from_actix(bare.headers()),
            Err(SignatureError::MissingHeader("Wechatpay-Timestamp"))
        );
    }

    #[test]
    fn failures_answer_statuses_wechat_pay_retries() {
        assert_eq!(NotifyError::Malformed("x".into()).status(), 400);
        assert_eq!(NotifyError::KeysUnavailable("x".into()).status(), 503);
    }
}
