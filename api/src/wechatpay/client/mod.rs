//! The API v3 client: signs every request, verifies every answer before
//! believing it, and keeps the platform certificates it verifies with. The
//! signed exchange itself is `transport.rs`'s.

mod transport;

use std::sync::Arc;

use chrono::{FixedOffset, Offset, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use self::transport::{api_error, check, parse, signature};

use crate::telemetry::Metrics;
use crate::wechatpay::certificates::{
    CertificateCache, CertificateList, Lookup, open_certificate_list,
};
use crate::wechatpay::crypto::{PlatformKey, PlatformKeys, SignatureHeaders, nonce};
use crate::wechatpay::error::WechatPayError;
use crate::wechatpay::notify::{self, Notify, NotifyError};
use crate::wechatpay::settings::{PlatformTrust, WechatPayConfig};
use crate::wechatpay::types::{
    ATTACH_MAX_BYTES, DESCRIPTION_MAX_BYTES, JsapiPrepay, OutRefundNo, OutTradeNo, PREPAY_VALIDITY,
    Prepay, REFUND_REASON_MAX_BYTES, Refund, RefundRequest, RequestPayment, Transaction,
    truncate_bytes,
};

/// China Standard Time, the offset WeChat Pay writes its times in.
const CST_SECS: i32 = 8 * 3600;

/// A WeChat Pay API v3 client for one merchant. Cheap to clone.
#[derive(Clone)]
pub struct WechatPayClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: WechatPayConfig,
    certificates: CertificateCache,
    /// One certificate download at a time per instance.
    download_gate: tokio::sync::Mutex<()>,
    metrics: Arc<Metrics>,
}

#[derive(Deserialize)]
struct PrepayBody {
    prepay_id: String,
}

impl WechatPayClient {
    pub fn new(config: WechatPayConfig, metrics: Arc<Metrics>) -> Result<Self, reqwest::Error> {
        // Only the ring provider is compiled in; installing it again is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(std::time::Duration::from_secs(3)))
            // WeChat Pay refuses requests without a User-Agent.
            .user_agent(concat!("yizhan/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config,
                certificates: CertificateCache::default(),
                download_gate: tokio::sync::Mutex::new(()),
                metrics,
            }),
        })
    }

    pub fn mch_id(&self) -> &str {
        &self.inner.config.mch_id
    }

    pub fn app_id(&self) -> &str {
        &self.inner.config.app_id
    }

    /// Where pay and refund notifies are sent.
    pub fn notify_url(&self) -> &str {
        &self.inner.config.notify_url
    }

    /// JSAPI prepay for a mini-program payment. Asking again for the same
    /// out_trade_no with the same parameters is safe; rather keep the prepay
    /// id and re-sign it with [`Self::request_payment`] while it is valid.
    pub async fn jsapi_prepay(&self, prepay: &JsapiPrepay<'_>) -> Result<Prepay, WechatPayError> {
        let asked_at = Utc::now();
        let description = truncate_bytes(prepay.description.trim(), DESCRIPTION_MAX_BYTES);
        if description.is_empty() {
            return Err(WechatPayError::InvalidRequest("empty description".into()));
        }
        if prepay.amount_fen < 1 {
            return Err(WechatPayError::InvalidRequest(format!(
                "amount {} fen; at least 1",
                prepay.amount_fen
            )));
        }
        if prepay.payer_openid.trim().is_empty() {
            return Err(WechatPayError::InvalidRequest("no payer openid".into()));
        }
        if prepay.time_expire <= asked_at {
            return Err(WechatPayError::InvalidRequest(format!(
                "time_expire {} has passed",
                prepay.time_expire
            )));
        }
        if prepay.attach.is_some_and(|a| a.len() > ATTACH_MAX_BYTES) {
            return Err(WechatPayError::InvalidRequest(format!(
                "attach over {ATTACH_MAX_BYTES} bytes"
            )));
        }
        let cst = FixedOffset::east_opt(CST_SECS).unwrap_or_else(|| Utc.fix());
        let mut body = json!({
            "appid": self.app_id(),
            "mchid": self.mch_id(),
            "description": description,
            "out_trade_no": prepay.out_trade_no.as_str(),
            "time_expire": prepay
                .time_expire
                .with_timezone(&cst)
                .format("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
            "notify_url": self.notify_url(),
            "amount": {"total": prepay.amount_fen, "currency": "CNY"},
            "payer": {"openid": prepay.payer_openid},
        });
        if let Some(attach) = prepay.attach {
            body["attach"] = json!(attach);
        }
        let answer = self
            .call(
                "pay_jsapi",
                Method::POST,
                "/v3/pay/transactions/jsapi",
                Some(body),
            )
            .await?;
        let PrepayBody { prepay_id } = parse(&answer)?;
        if prepay_id.is_empty() {
            return Err(WechatPayError::BadAnswer("empty prepay_id".into()));
        }
        Ok(Prepay {
            prepay_id,
            valid_until: asked_at + PREPAY_VALIDITY,
        })
    }

    /// The `wx.requestPayment` parameters for a prepay id, freshly signed
    /// (signing again is how a still-valid prepay is paid again).
    pub fn request_payment(&self, prepay_id: &str) -> RequestPayment {
        let time_stamp = Utc::now().timestamp().to_string();
        let nonce_str = nonce();
        let package = format!("prepay_id={prepay_id}");
        let message = format!("{}\n{time_stamp}\n{nonce_str}\n{package}\n", self.app_id());
        RequestPayment {
            pay_sign: self.inner.config.merchant_key.sign(message.as_bytes()),
            time_stamp,
            nonce_str,
            package,
            sign_type: "RSA".into(),
        }
    }

    /// The trade of `out_trade_no` as WeChat Pay sees it. A trade never
    /// prepaid is an error for which [`WechatPayError::is_not_found`] holds.
    pub async fn query_by_out_trade_no(
        &self,
        out_trade_no: &OutTradeNo,
    ) -> Result<Transaction, WechatPayError> {
        let path = format!(
            "/v3/pay/transactions/out-trade-no/{}?mchid={}",
            out_trade_no.as_str(),
            self.mch_id()
        );
        let answer = self.call("pay_query", Method::GET, &path, None).await?;
        parse(&answer)
    }

    /// Closes an unpaid trade so it can no longer be paid. A paid trade
    /// answers [`crate::wechatpay::PayErrorCode::OrderPaid`]: query it and
    /// honour the payment.
    pub async fn close(&self, out_trade_no: &OutTradeNo) -> Result<(), WechatPayError> {
        let path = format!(
            "/v3/pay/transactions/out-trade-no/{}/close",
            out_trade_no.as_str()
        );
        let body = json!({ "mchid": self.mch_id() });
        self.call("pay_close", Method::POST, &path, Some(body))
            .await
            .map(drop)
    }

    /// Refunds part or all of a paid trade. The out_refund_no makes it safe
    /// to repeat: WeChat Pay refunds it once and answers the same refund.
    pub async fn create_refund(
        &self,
        refund: &RefundRequest<'_>,
    ) -> Result<Refund, WechatPayError> {
        if refund.total_fen < 1 || refund.refund_fen < 1 || refund.refund_fen > refund.total_fen {
            return Err(WechatPayError::InvalidRequest(format!(
                "refund {} fen of {} fen",
                refund.refund_fen, refund.total_fen
            )));
        }
        let mut body = json!({
            "out_trade_no": refund.out_trade_no.as_str(),
            "out_refund_no": refund.out_refund_no.as_str(),
            "notify_url": self.notify_url(),
            "amount": {
                "refund": refund.refund_fen,
                "total": refund.total_fen,
                "currency": "CNY",
            },
        });
        if let Some(reason) = refund.reason.map(str::trim).filter(|r| !r.is_empty()) {
            body["reason"] = json!(truncate_bytes(reason, REFUND_REASON_MAX_BYTES));
        }
        let answer = self
            .call(
                "refund_create",
                Method::POST,
                "/v3/refund/domestic/refunds",
                Some(body),
            )
            .await?;
        parse(&answer)
    }

    /// A refund as WeChat Pay sees it now.
    pub async fn query_refund(
        &self,
        out_refund_no: &OutRefundNo,
    ) -> Result<Refund, WechatPayError> {
        let path = format!("/v3/refund/domestic/refunds/{}", out_refund_no.as_str());
        let answer = self.call("refund_query", Method::GET, &path, None).await?;
        parse(&answer)
    }

    /// Verifies, decrypts and parses a notify POSTed to the notify URL (the
    /// raw body, exactly as received), and checks it is for this merchant
    /// and app.
    pub async fn open_notify(
        &self,
        headers: &SignatureHeaders,
        body: &[u8],
    ) -> Result<Notify, NotifyError> {
        let result = self.open_notify_inner(headers, body).await;
        if let Err(err) = &result {
            tracing::warn!(error = %err, serial = %headers.serial, "WeChat Pay notify refused");
        }
        result
    }

    async fn open_notify_inner(
        &self,
        headers: &SignatureHeaders,
        body: &[u8],
    ) -> Result<Notify, NotifyError> {
        // Old or replayed notifies never cause a certificate download.
        headers.check_fresh(Utc::now())?;
        let keys = self
            .keys_for(&headers.serial)
            .await
            .map_err(|e| NotifyError::KeysUnavailable(e.to_string()))?;
        if keys.is_empty() {
            return Err(NotifyError::KeysUnavailable(
                "no platform certificate yet".into(),
            ));
        }
        let notify = notify::open_notify(
            headers,
            body,
            &keys,
            &self.inner.config.api_v3_key,
            Utc::now(),
        )?;
        notify.check_ours(self.mch_id(), self.app_id())?;
        Ok(notify)
    }

    /// Downloads the platform certificates now (certificate mode; a no-op
    /// with the WeChat Pay public key), e.g. to find a bad APIv3 key at
    /// start-up rather than at the first payment.
    pub async fn refresh_certificates(&self) -> Result<(), WechatPayError> {
        if let PlatformTrust::Certificates = self.inner.config.platform {
            let _gate = self.inner.download_gate.lock().await;
            let keys = self.download_certificates().await?;
            self.inner.certificates.replace(keys, Utc::now());
        }
        Ok(())
    }

    /// The keys that may have signed with `serial`: the configured public
    /// key, or the cached certificates, downloaded again when due or when the
    /// serial is new. An unknown serial is left for the verification to
    /// refuse; the error is only for "no keys to be had".
    async fn keys_for(&self, serial: &str) -> Result<PlatformKeys, WechatPayError> {
        let inner = &self.inner;
        match &inner.config.platform {
            PlatformTrust::PublicKey(key) => return Ok(PlatformKeys::new(vec![key.clone()])),
            PlatformTrust::Certificates => {}
        }
        let cache = &inner.certificates;
        if let Lookup::Fresh | Lookup::UnknownQuiet = cache.lookup(serial, Utc::now()) {
            return Ok(cache.keys());
        }
        let _gate = inner.download_gate.lock().await;
        // Whoever held the gate may have just downloaded what we need.
        let now = Utc::now();
        if let Lookup::Fresh | Lookup::UnknownQuiet = cache.lookup(serial, now) {
            return Ok(cache.keys());
        }
        match self.download_certificates().await {
            Ok(keys) => {
                cache.replace(keys, now);
                if cache.keys().find(serial, now).is_none() {
                    cache.quiet(now);
                }
                Ok(cache.keys())
            }
            Err(err) => {
                cache.quiet(now);
                let keys = cache.keys();
                if keys.find(serial, now).is_some() {
                    tracing::warn!(error = %err, "WeChat Pay certificates not refreshed; using the cached ones");
                    Ok(keys)
                } else {
                    Err(err)
                }
            }
        }
    }

    /// `GET /v3/certificates`: the list is decrypted with the APIv3 key, and
    /// its answer verified with a certificate from the list itself (or one
    /// already trusted), since nothing else can vouch for the first one.
    async fn download_certificates(&self) -> Result<Vec<PlatformKey>, WechatPayError> {
        let result = async {
            let answer = self.exchange(Method::GET, "/v3/certificates", None).await?;
            if !answer.status.is_success() {
                if let Some(signed) = signature(&answer)? {
                    check(&signed, &answer, &self.inner.certificates.keys())?;
                }
                return Err(api_error(&answer));
            }
            let list: CertificateList = parse(&answer)?;
            let now = Utc::now();
            let fresh = open_certificate_list(&list, &self.inner.config.api_v3_key, now)
                .map_err(WechatPayError::BadAnswer)?;
            let trusted = fresh
                .iter()
                .chain(self.inner.certificates.keys().iter())
                .cloned()
                .collect();
            let signed = signature(&answer)?
                .ok_or_else(|| WechatPayError::Unverified("unsigned certificate list".into()))?;
            check(&signed, &answer, &PlatformKeys::new(trusted))?;
            Ok(fresh)
        }
        .await;
        self.record("pay_certificates", &result);
        result
    }
}
