//! A fake WeChat Pay API v3 on a local port, for every test that pays.
//!
//! It behaves like the real one where our code can tell: it checks each
//! request's `Authorization` with the merchant's PUBLIC key (401 SIGN_ERROR,
//! unsigned, otherwise), keeps the trades it was asked to prepay and the
//! refunds it was asked for, answers query / close / refund / certificates
//! with WeChat Pay's bodies and error codes, signs every answer with its own
//! platform key, and builds signed notifies whose resources are encrypted
//! with the APIv3 key. Its crypto is written here, against the crates,
//! independently of `yizhan::wechatpay`, so a mistake there is not mirrored.
//!
//! Switches make it answer 500, time out, answer SYSTEM_ERROR, or sign
//! wrongly. Use it with `spawn_app_with(|s| fake.configure(s))`, or alone
//! through [`FakeWechatPay::client`].

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, FixedOffset, Utc};
use rand::Rng;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};
use sha2::Sha256;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};
use yizhan::settings::{PaymentProvider, Settings};
use yizhan::telemetry::Metrics;
use yizhan::wechatpay::{SignatureHeaders, WechatPayClient, WechatPaySettings};

pub const MCH_ID: &str = "1230000109";
pub const APP_ID: &str = "wxd678efh567hg6787";
pub const MCH_SERIAL: &str = "5A1B2C3D4E5F60718293A4B5C6D7E8F901234567";
pub const API_V3_KEY: &str = "0123456789abcdefTESTONLYv3key-32";
pub const PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000TEST";
pub const NOTIFY_URL: &str = "https://yizhan.example.com/api/v1/payments/wechat/notify";
/// Serial numbers of `platform_cert.pem` and `platform2_cert.pem`.
pub const CERT_SERIALS: [&str; 2] = [
    "3C4A9F1E22B7D05A6E8813F4C2A19B7D5E6F0A21",
    "7B1D2E3F405162738495A6B7C8D9EAFB0C1D2E3F",
];
/// How long a `Failure::Timeout` answer is held back (the client's timeout
/// from `configure` / `client` is 2 s).
const TIMEOUT_DELAY: Duration = Duration::from_secs(6);

pub fn fixture_path(name: &str) -> String {
    format!(
        "{}/../tests/fixtures/wechatpay/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixture_path(name)).expect("fixture")
}

fn cst(t: DateTime<Utc>) -> String {
    let offset = FixedOffset::east_opt(8 * 3600).expect("+08:00");
    t.with_timezone(&offset)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn random(len: usize) -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

fn digits(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// What the fake can be told to do instead of answering normally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A bare HTTP 500 from a gateway: not JSON, not signed, nothing done.
    Http500,
    /// The request is carried out, but the answer comes after the client
    /// has given up.
    Timeout,
    /// HTTP 500 `{"code": "SYSTEM_ERROR"}`, signed; nothing done.
    SystemError,
    /// HTTP 429 `{"code": "FREQUENCY_LIMITED"}`, signed; nothing done.
    FrequencyLimited,
    /// The request is carried out; the answer's signature is wrong.
    ForgedSignature,
    /// The request is carried out; the answer carries no signature.
    Unsigned,
}

/// How the fake signs: with the WeChat Pay public key's private half, or
/// with platform certificates it serves at `/v3/certificates`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    PublicKey,
    Certificates,
}

/// A trade the fake was asked to prepay.
#[derive(Clone, Debug)]
pub struct FakeOrder {
    pub out_trade_no: String,
    /// The prepay request body as received.
    pub request: Value,
    pub prepay_id: String,
    /// `NOTPAY`, `SUCCESS`, `REFUND` or `CLOSED`.
    pub state: String,
    pub total: i64,
    pub openid: String,
    pub transaction_id: Option<String>,
    pub success_time: Option<String>,
    /// Fen refunded or being refunded.
    pub refunded: i64,
    /// Prepay requests for this out_trade_no (the same answer each time).
    pub prepay_requests: usize,
}

/// A refund the fake was asked for.
#[derive(Clone, Debug)]
pub struct FakeRefund {
    pub out_refund_no: String,
    pub refund_id: String,
    pub out_trade_no: String,
    pub transaction_id: String,
    pub refund: i64,
    pub total: i64,
    /// `PROCESSING`, `SUCCESS`, `ABNORMAL` or `CLOSED`.
    pub status: String,
    pub reason: Option<String>,
    pub create_time: String,
    pub success_time: Option<String>,
    /// Create requests with this out_refund_no (refunded once).
    pub requests: usize,
}

struct Rule {
    failure: Failure,
    path_contains: Option<String>,
    remaining: Option<usize>,
}

#[derive(Default)]
struct State {
    orders: HashMap<String, FakeOrder>,
    refunds: HashMap<String, FakeRefund>,
    rules: VecDeque<Rule>,
    seen_nonces: HashSet<String>,
    /// `METHOD path` of every request, in order, with the answer's status.
    log: Vec<(String, u16)>,
    /// Certificates listed (indexes into the fixtures) and the one signing.
    listed: Vec<usize>,
    signing: usize,
    /// Refunds succeed at once instead of PROCESSING.
    refund_instantly: bool,
}

struct Keys {
    merchant: VerifyingKey<Sha256>,
    platform: [SigningKey<Sha256>; 2],
    certificates: [String; 2],
    api_v3: Aes256Gcm,
}

struct Shared {
    mode: Mode,
    keys: Keys,
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub struct FakeWechatPay {
    pub server: MockServer,
    shared: Arc<Shared>,
}

/// A notify as WeChat Pay would POST it: headers and the exact body.
#[derive(Clone, Debug)]
pub struct SignedNotify {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
    pub body: String,
}

impl SignedNotify {
    pub fn headers(&self) -> SignatureHeaders {
        SignatureHeaders {
            timestamp: self.timestamp.clone(),
            nonce: self.nonce.clone(),
            signature: self.signature.clone(),
            serial: self.serial.clone(),
        }
    }

    /// The same notify with one byte of the body changed (inside the
    /// notify id, so the JSON still parses).
    pub fn tampered(&self) -> Self {
        let mut copy = self.clone();
        let at = copy.body.find("\"id\":\"").expect("id") + 6;
        let mut bytes = copy.body.into_bytes();
        bytes[at] = if bytes[at] == b'X' { b'Y' } else { b'X' };
        copy.body = String::from_utf8(bytes).expect("ascii id");
        copy
    }

    pub fn with_serial(&self, serial: &str) -> Self {
        Self {
            serial: serial.to_owned(),
            ..self.clone()
        }
    }

    /// POSTs it to `url` as WeChat Pay does.
    pub async fn post(&self, client: &reqwest::Client, url: &str) -> reqwest::Response {
        client
            .post(url)
            .header("Content-Type", "application/json")
            .header("Wechatpay-Timestamp", &self.timestamp)
            .header("Wechatpay-Nonce", &self.nonce)
            .header("Wechatpay-Signature", &self.signature)
            .header("Wechatpay-Serial", &self.serial)
            .header("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
            .body(self.body.clone())
            .send()
            .await
            .expect("notify sent")
    }
}

impl FakeWechatPay {
    /// A fake in the WeChat Pay public key mode.
    pub async fn start() -> Self {
        Self::start_in(Mode::PublicKey).await
    }

    /// A fake that signs with platform certificates served at `/v3/certificates`.
    pub async fn start_with_certificates() -> Self {
        Self::start_in(Mode::Certificates).await
    }

    async fn start_in(mode: Mode) -> Self {
        let signing = |name: &str| {
            SigningKey::<Sha256>::new(
                RsaPrivateKey::from_pkcs8_pem(&fixture(name)).expect("platform key"),
            )
        };
        let keys = Keys {
            merchant: VerifyingKey::new(
                RsaPublicKey::from_public_key_pem(&fixture("merchant_public.pem"))
                    .expect("merchant public key"),
            ),
            platform: [signing("platform_key.pem"), signing("platform2_key.pem")],
            certificates: [fixture("platform_cert.pem"), fixture("platform2_cert.pem")],
            api_v3: Aes256Gcm::new_from_slice(API_V3_KEY.as_bytes()).expect("32 bytes"),
        };
        let shared = Arc::new(Shared {
            mode,
            keys,
            state: Mutex::new(State {
                listed: vec![0],
                ..State::default()
            }),
        });
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(Responder(shared.clone()))
            .mount(&server)
            .await;
        Self { server, shared }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// `wechatpay.*` pointing at this fake and the test fixtures.
    pub fn pay_settings(&self) -> WechatPaySettings {
        let (public_key_path, public_key_id) = match self.shared.mode {
            Mode::PublicKey => (
                fixture_path("platform_public.pem"),
                PUBLIC_KEY_ID.to_owned(),
            ),
            Mode::Certificates => (String::new(), String::new()),
        };
        WechatPaySettings {
            api_base: self.uri(),
            mch_id: MCH_ID.into(),
            app_id: APP_ID.into(),
            mch_serial_no: MCH_SERIAL.into(),
            private_key_path: fixture_path("merchant_key.pem"),
            private_key: String::new().into(),
            api_v3_key: API_V3_KEY.to_owned().into(),
            public_key_path,
            public_key_id,
            notify_url: NOTIFY_URL.into(),
            timeout_ms: 2000,
        }
    }

    /// Makes an application pay with WeChat Pay at this fake.
    pub fn configure(&self, settings: &mut Settings) {
        settings.payments.provider = PaymentProvider::Wechat;
        settings.wechatpay = self.pay_settings();
    }

    /// A client of this fake (no application needed).
    pub fn client(&self) -> WechatPayClient {
        self.client_with(self.pay_settings())
    }

    pub fn client_with(&self, settings: WechatPaySettings) -> WechatPayClient {
        let config = settings.load("wx_unused").expect("fake settings load");
        WechatPayClient::new(config, Arc::new(Metrics::new().expect("metrics"))).expect("client")
    }

    // ---- switches ----

    /// The next `times` requests fail with `failure`.
    pub fn fail_next(&self, failure: Failure, times: usize) {
        self.shared.state().rules.push_back(Rule {
            failure,
            path_contains: None,
            remaining: Some(times),
        });
    }

    /// Every request whose path contains `path_part` fails, until [`Self::recover`].
    pub fn fail_on(&self, path_part: &str, failure: Failure) {
        self.shared.state().rules.push_back(Rule {
            failure,
            path_contains: Some(path_part.to_owned()),
            remaining: None,
        });
    }

    /// Every request fails, until [`Self::recover`].
    pub fn fail_all(&self, failure: Failure) {
        self.shared.state().rules.push_back(Rule {
            failure,
            path_contains: None,
            remaining: None,
        });
    }

    pub fn recover(&self) {
        self.shared.state().rules.clear();
    }

    /// Refunds succeed at once (default: PROCESSING until [`Self::complete_refund`]).
    pub fn refund_instantly(&self, on: bool) {
        self.shared.state().refund_instantly = on;
    }

    /// Certificate mode: list a second certificate and sign with it from now on.
    pub fn rotate_certificate(&self) {
        let mut state = self.shared.state();
        state.listed = vec![0, 1];
        state.signing = 1;
    }

    /// The serial answers and notifies are signed under now.
    pub fn signing_serial(&self) -> String {
        match self.shared.mode {
            Mode::PublicKey => PUBLIC_KEY_ID.to_owned(),
            Mode::Certificates => CERT_SERIALS[self.shared.state().signing].to_owned(),
        }
    }

    // ---- what it saw ----

    pub fn order(&self, out_trade_no: &str) -> Option<FakeOrder> {
        self.shared.state().orders.get(out_trade_no).cloned()
    }

    pub fn refund(&self, out_refund_no: &str) -> Option<FakeRefund> {
        self.shared.state().refunds.get(out_refund_no).cloned()
    }

    /// Requests so far whose `METHOD path` contains `part`.
    pub fn count(&self, part: &str) -> usize {
        self.shared
            .state()
            .log
            .iter()
            .filter(|(line, _)| line.contains(part))
            .count()
    }

    /// Statuses answered so far, in order, with `METHOD path`.
    pub fn log(&self) -> Vec<(String, u16)> {
        self.shared.state().log.clone()
    }

    // ---- the payer and WeChat Pay's side ----

    /// The resident pays the whole amount: the trade is SUCCESS; answers the
    /// `TRANSACTION.SUCCESS` notify WeChat Pay sends.
    pub fn pay(&self, out_trade_no: &str) -> SignedNotify {
        {
            let mut state = self.shared.state();
            let order = state
                .orders
                .get_mut(out_trade_no)
                .expect("pay: prepay first");
            assert_eq!(order.state, "NOTPAY", "pay: trade is {}", order.state);
            order.state = "SUCCESS".into();
            order.transaction_id = Some(format!("42000{}", digits(23)));
            order.success_time = Some(cst(Utc::now()));
        }
        self.transaction_notify(out_trade_no)
    }

    /// The `TRANSACTION.SUCCESS` notify of a paid trade, signed now (as each
    /// of WeChat Pay's retries is); the notify id is the same every time.
    pub fn transaction_notify(&self, out_trade_no: &str) -> SignedNotify {
        let plain = self.transaction_resource(out_trade_no);
        let id = format!("EV-{}", plain["transaction_id"].as_str().unwrap_or("0"));
        self.notify_with_id(
            &id,
            "TRANSACTION.SUCCESS",
            "transaction",
            &plain,
            Utc::now(),
        )
    }

    /// The decrypted resource of a trade's notify (and its query answer), for
    /// tests that change something before [`Self::notify`].
    pub fn transaction_resource(&self, out_trade_no: &str) -> Value {
        let state = self.shared.state();
        let order = state.orders.get(out_trade_no).expect("known trade");
        transaction_json(order)
    }

    /// A notify of `event_type` with `resource` encrypted, signed now.
    pub fn notify(&self, event_type: &str, original_type: &str, resource: &Value) -> SignedNotify {
        self.notify_at(event_type, original_type, resource, Utc::now())
    }

    /// The same, signed as at `at` (a late or replayed notify).
    pub fn notify_at(
        &self,
        event_type: &str,
        original_type: &str,
        resource: &Value,
        at: DateTime<Utc>,
    ) -> SignedNotify {
        let id = format!("EV-{}", random(20));
        self.notify_with_id(&id, event_type, original_type, resource, at)
    }

    fn notify_with_id(
        &self,
        id: &str,
        event_type: &str,
        original_type: &str,
        resource: &Value,
        at: DateTime<Utc>,
    ) -> SignedNotify {
        let nonce = random(12);
        let ciphertext = self.encrypt(&nonce, original_type, &resource.to_string());
        let summary = match event_type {
            "TRANSACTION.SUCCESS" => "支付成功",
            "REFUND.SUCCESS" => "退款成功",
            "REFUND.ABNORMAL" => "退款异常",
            "REFUND.CLOSED" => "退款关闭",
            _ => "通知",
        };
        let body = json!({
            "id": id,
            "create_time": cst(at),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": ciphertext,
                "associated_data": original_type,
                "nonce": nonce,
            },
        })
        .to_string();
        let (timestamp, nonce, signature, serial) = self.shared.sign(&body, at);
        SignedNotify {
            timestamp,
            nonce,
            signature,
            serial,
            body,
        }
    }

    /// Finishes a PROCESSING refund as `status` (`SUCCESS`, `ABNORMAL` or
    /// `CLOSED`); answers the `REFUND.<status>` notify.
    pub fn complete_refund(&self, out_refund_no: &str, status: &str) -> SignedNotify {
        assert!(["SUCCESS", "ABNORMAL", "CLOSED"].contains(&status));
        let resource = {
            let mut state = self.shared.state();
            let refund = state
                .refunds
                .get_mut(out_refund_no)
                .expect("complete_refund: refund first");
            refund.status = status.into();
            if status == "SUCCESS" {
                refund.success_time = Some(cst(Utc::now()));
            }
            let refund = refund.clone();
            if status == "CLOSED"
                && let Some(order) = state.orders.get_mut(&refund.out_trade_no)
            {
                order.refunded -= refund.refund;
            }
            refund_notify_json(&refund)
        };
        let id = format!(
            "EV-R{}-{status}",
            resource["refund_id"].as_str().unwrap_or("")
        );
        self.notify_with_id(
            &id,
            &format!("REFUND.{status}"),
            "refund",
            &resource,
            Utc::now(),
        )
    }

    /// The notify of a refund as it stands (for retries).
    pub fn refund_notify(&self, out_refund_no: &str) -> SignedNotify {
        let refund = self.refund(out_refund_no).expect("known refund");
        let resource = refund_notify_json(&refund);
        let id = format!("EV-R{}-{}", refund.refund_id, refund.status);
        self.notify_with_id(
            &id,
            &format!("REFUND.{}", refund.status),
            "refund",
            &resource,
            Utc::now(),
        )
    }

    fn encrypt(&self, nonce: &str, aad: &str, plain: &str) -> String {
        let nonce: [u8; 12] = nonce.as_bytes().try_into().expect("12-byte nonce");
        let ciphertext = self
            .shared
            .keys
            .api_v3
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .expect("encrypt");
        BASE64.encode(ciphertext)
    }
}

fn transaction_json(order: &FakeOrder) -> Value {
    let desc = match order.state.as_str() {
        "SUCCESS" => "支付成功",
        "REFUND" => "转入退款",
        "CLOSED" => "已关闭",
        _ => "订单未支付",
    };
    let mut t = json!({
        "appid": order.request["appid"],
        "mchid": order.request["mchid"],
        "out_trade_no": order.out_trade_no,
        "trade_type": "JSAPI",
        "trade_state": order.state,
        "trade_state_desc": desc,
        "attach": order.request.get("attach").cloned().unwrap_or(json!("")),
        "payer": {"openid": order.openid},
        "amount": {"total": order.total, "currency": "CNY"},
    });
    if let Some(id) = &order.transaction_id {
        t["transaction_id"] = json!(id);
        t["bank_type"] = json!("OTHERS");
        t["success_time"] = json!(order.success_time);
        t["amount"] = json!({
            "total": order.total, "payer_total": order.total,
            "currency": "CNY", "payer_currency": "CNY",
        });
    }
    t
}

fn refund_json(refund: &FakeRefund) -> Value {
    let mut r = json!({
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "transaction_id": refund.transaction_id,
        "out_trade_no": refund.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": refund.create_time,
        "status": refund.status,
        "funds_account": "AVAILABLE",
        "amount": {
            "total": refund.total, "refund": refund.refund,
            "payer_total": refund.total, "payer_refund": refund.refund,
            "settlement_total": refund.total, "settlement_refund": refund.refund,
            "discount_refund": 0, "currency": "CNY",
        },
    });
    if let Some(at) = &refund.success_time {
        r["success_time"] = json!(at);
    }
    r
}

/// A refund notify's resource: the refund's fields, `refund_status` for
/// `status`, and the merchant.
fn refund_notify_json(refund: &FakeRefund) -> Value {
    let mut r = refund_json(refund);
    let fields = r.as_object_mut().expect("object");
    for answer_only in ["channel", "create_time", "funds_account"] {
        fields.remove(answer_only);
    }
    let status = fields.remove("status").expect("status");
    fields.insert("refund_status".into(), status);
    fields.insert("mchid".into(), json!(MCH_ID));
    r
}

impl Shared {
    /// Signs `timestamp\nnonce\nbody\n` as of `at`; answers the four header values.
    fn sign(&self, body: &str, at: DateTime<Utc>) -> (String, String, String, String) {
        let signing = self.state().signing;
        let (key, serial) = match self.mode {
            Mode::PublicKey => (&self.keys.platform[0], PUBLIC_KEY_ID),
            Mode::Certificates => (&self.keys.platform[signing], CERT_SERIALS[signing]),
        };
        let timestamp = at.timestamp().to_string();
        let nonce = random(32);
        let message = format!("{timestamp}\n{nonce}\n{body}\n");
        let signature = BASE64.encode(key.sign(message.as_bytes()).to_bytes());
        (timestamp, nonce, signature, serial.to_owned())
    }

    /// Checks `Authorization` the way WeChat Pay does; the refusal is unsigned.
    fn authenticate(&self, req: &Request, state: &mut State) -> Result<(), Reply> {
        let refuse = |why: &str| Reply {
            status: 401,
            body: Some(json!({"code": "SIGN_ERROR", "message": format!("签名错误: {why}")})),
            signed: false,
        };
        let header = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| refuse("no Authorization"))?;
        let params = header
            .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
            .ok_or_else(|| refuse("wrong scheme"))?;
        let mut fields = HashMap::new();
        for part in params.split(',') {
            let (key, value) = part.split_once('=').ok_or_else(|| refuse("bad field"))?;
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .ok_or_else(|| refuse("unquoted field"))?;
            fields.insert(key.trim().to_owned(), value.to_owned());
        }
        let field = |name: &str| {
            fields
                .get(name)
                .cloned()
                .ok_or_else(|| refuse(&format!("no {name}")))
        };
        if field("mchid")? != MCH_ID {
            return Err(refuse("mchid"));
        }
        if field("serial_no")? != MCH_SERIAL {
            return Err(refuse("serial_no"));
        }
        let timestamp = field("timestamp")?;
        let ts: i64 = timestamp.parse().map_err(|_| refuse("timestamp"))?;
        if (Utc::now().timestamp() - ts).abs() > 300 {
            return Err(refuse("timestamp expired"));
        }
        let nonce = field("nonce_str")?;
        if nonce.is_empty() || !state.seen_nonces.insert(nonce.clone()) {
            return Err(refuse("nonce reused"));
        }
        let path = match req.url.query() {
            Some(query) => format!("{}?{query}", req.url.path()),
            None => req.url.path().to_owned(),
        };
        let body = std::str::from_utf8(&req.body).map_err(|_| refuse("body not UTF-8"))?;
        let message = format!("{}\n{path}\n{timestamp}\n{nonce}\n{body}\n", req.method);
        let signature = BASE64
            .decode(field("signature")?)
            .ok()
            .and_then(|bytes| Signature::try_from(bytes.as_slice()).ok())
            .ok_or_else(|| refuse("signature not Base64"))?;
        self.keys
            .merchant
            .verify(message.as_bytes(), &signature)
            .map_err(|_| refuse("signature does not verify"))
    }
}

/// An answer before it is signed.
struct Reply {
    status: u16,
    body: Option<Value>,
    /// WeChat Pay signs every answer to a request it authenticated.
    signed: bool,
}

impl Reply {
    fn ok(status: u16, body: Option<Value>) -> Self {
        Self {
            status,
            body,
            signed: true,
        }
    }

    fn error(status: u16, code: &str, message: &str) -> Self {
        Self::ok(status, Some(json!({ "code": code, "message": message })))
    }
}

struct Responder(Arc<Shared>);

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let shared = &self.0;
        let line = format!("{} {}", req.method, req.url.path());
        let failure = take_failure(&mut shared.state(), &line);
        let reply = match failure {
            Some(Failure::Http500) => {
                shared.state().log.push((line, 500));
                return ResponseTemplate::new(500).set_body_raw(
                    "<html><body>500 Internal Server Error</body></html>",
                    "text/html",
                );
            }
            Some(Failure::SystemError) => Reply::error(500, "SYSTEM_ERROR", "系统错误，请稍后重试"),
            Some(Failure::FrequencyLimited) => Reply::error(429, "FREQUENCY_LIMITED", "频率超限"),
            _ => handle(shared, req),
        };
        shared.state().log.push((line, reply.status));
        let text = reply.body.map(|b| b.to_string()).unwrap_or_default();
        let signed_over = match failure {
            Some(Failure::Unsigned) => None,
            // Signed, but over another body: the signature does not match.
            Some(Failure::ForgedSignature) => Some("{}".to_owned()),
            _ if reply.signed => Some(text.clone()),
            _ => None,
        };
        let mut template =
            ResponseTemplate::new(reply.status).insert_header("Request-ID", random(24).as_str());
        if let Some(signed_text) = signed_over {
            let (timestamp, nonce, signature, serial) = shared.sign(&signed_text, Utc::now());
            template = template
                .insert_header("Wechatpay-Timestamp", timestamp.as_str())
                .insert_header("Wechatpay-Nonce", nonce.as_str())
                .insert_header("Wechatpay-Signature", signature.as_str())
                .insert_header("Wechatpay-Serial", serial.as_str());
        }
        if !text.is_empty() {
            template = template.set_body_raw(text, "application/json");
        }
        if failure == Some(Failure::Timeout) {
            template = template.set_delay(TIMEOUT_DELAY);
        }
        template
    }
}

fn take_failure(state: &mut State, line: &str) -> Option<Failure> {
    let index = state.rules.iter().position(|rule| {
        rule.path_contains
            .as_deref()
            .is_none_or(|part| line.contains(part))
    })?;
    let rule = &mut state.rules[index];
    let failure = rule.failure;
    if let Some(remaining) = rule.remaining.as_mut() {
        *remaining -= 1;
        if *remaining == 0 {
            state.rules.remove(index);
        }
    }
    Some(failure)
}

/// Routes one authenticated request.
fn handle(shared: &Shared, req: &Request) -> Reply {
    let mut state = shared.state();
    if let Err(refusal) = shared.authenticate(req, &mut state) {
        return refusal;
    }
    let accepts_json = req
        .headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json") || v.contains("*/*"));
    if req.headers.get("user-agent").is_none() || !accepts_json {
        return Reply::error(
            400,
            "PARAM_ERROR",
            "请设置User-Agent和Accept: application/json",
        );
    }
    let path = req.url.path().to_owned();
    let method = req.method.as_str();
    let body = if req.body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice::<Value>(&req.body) {
            Ok(body) => body,
            Err(_) => return Reply::error(400, "PARAM_ERROR", "请求体不是JSON"),
        }
    };
    let trade = path.strip_prefix("/v3/pay/transactions/out-trade-no/");
    let result = match (method, path.as_str(), trade) {
        ("POST", "/v3/pay/transactions/jsapi", _) => prepay(&mut state, &body),
        ("GET", _, Some(no)) if !no.contains('/') => {
            if req.url.query() != Some(&format!("mchid={MCH_ID}")) {
                Err(param_error("mchid 与请求不符"))
            } else {
                query(&state, no)
            }
        }
        ("POST", _, Some(rest)) if rest.ends_with("/close") => {
            close(&mut state, rest.trim_end_matches("/close"), &body)
        }
        ("POST", "/v3/refund/domestic/refunds", _) => create_refund(&mut state, &body),
        ("GET", _, _) if path.starts_with("/v3/refund/domestic/refunds/") => {
            let no = path.trim_start_matches("/v3/refund/domestic/refunds/");
            state
                .refunds
                .get(no)
                .map(|r| (200, Some(refund_json(r))))
                .ok_or((404, "RESOURCE_NOT_EXISTS", "退款单不存在".to_owned()))
        }
        ("GET", "/v3/certificates", _) => certificates(shared, &state),
        _ => Err((404, "NOT_FOUND", format!("无此接口 {method} {path}"))),
    };
    match result {
        Ok((status, body)) => Reply::ok(status, body),
        Err((status, code, message)) => Reply::error(status, code, &message),
    }
}

type Outcome = Result<(u16, Option<Value>), (u16, &'static str, String)>;

fn param_error(message: impl Into<String>) -> (u16, &'static str, String) {
    (400, "PARAM_ERROR", message.into())
}

fn valid_number(value: &str, min: usize, max: usize, extra: &str) -> bool {
    (min..=max).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-|*".contains(c) || extra.contains(c))
}

fn prepay(state: &mut State, body: &Value) -> Outcome {
    if body["mchid"] != MCH_ID {
        return Err(param_error("mchid与请求头中的商户号不一致"));
    }
    if body["appid"] != APP_ID {
        return Err((400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配".into()));
    }
    let description = body["description"].as_str().unwrap_or("");
    if description.is_empty() || description.len() > 127 {
        return Err(param_error("description 长度应为1-127"));
    }
    let out_trade_no = body["out_trade_no"].as_str().unwrap_or("");
    if !valid_number(out_trade_no, 6, 32, "") {
        return Err(param_error("out_trade_no 格式错误"));
    }
    let time_expire = body["time_expire"].as_str().unwrap_or("");
    let well_formed = time_expire.len() == 25 && time_expire.as_bytes()[10] == b'T';
    match DateTime::parse_from_rfc3339(time_expire) {
        Ok(at) if well_formed && at > Utc::now() => {}
        _ => return Err(param_error("time_expire 格式错误或已过期")),
    }
    let notify_url = body["notify_url"].as_str().unwrap_or("");
    if !notify_url.starts_with("https://") || notify_url.contains('?') {
        return Err(param_error("notify_url 必须为https且不能携带参数"));
    }
    let total = body["amount"]["total"].as_i64().unwrap_or(0);
    if total < 1 || body["amount"]["currency"] != "CNY" {
        return Err(param_error("amount 错误"));
    }
    let openid = body["payer"]["openid"].as_str().unwrap_or("");
    if openid.is_empty() {
        return Err(param_error("payer.openid 不能为空"));
    }
    if body["attach"].as_str().is_some_and(|a| a.len() > 128) {
        return Err(param_error("attach 过长"));
    }
    if let Some(order) = state.orders.get_mut(out_trade_no) {
        return match order.state.as_str() {
            "SUCCESS" | "REFUND" => Err((403, "ORDERPAID", "该订单已支付".into())),
            "CLOSED" => Err((400, "ORDER_CLOSED", "订单已关闭".into())),
            _ if order.request != *body => Err((403, "OUT_TRADE_NO_USED", "商户订单号重复".into())),
            _ => {
                order.prepay_requests += 1;
                Ok((200, Some(json!({ "prepay_id": order.prepay_id }))))
            }
        };
    }
    let prepay_id = format!("wx{}", random(30));
    state.orders.insert(
        out_trade_no.to_owned(),
        FakeOrder {
            out_trade_no: out_trade_no.to_owned(),
            request: body.clone(),
            prepay_id: prepay_id.clone(),
            state: "NOTPAY".into(),
            total,
            openid: openid.to_owned(),
            transaction_id: None,
            success_time: None,
            refunded: 0,
            prepay_requests: 1,
        },
    );
    Ok((200, Some(json!({ "prepay_id": prepay_id }))))
}

fn query(state: &State, out_trade_no: &str) -> Outcome {
    state
        .orders
        .get(out_trade_no)
        .map(|order| (200, Some(transaction_json(order))))
        .ok_or((404, "ORDER_NOT_EXIST", "订单不存在".into()))
}

fn close(state: &mut State, out_trade_no: &str, body: &Value) -> Outcome {
    if body["mchid"] != MCH_ID {
        return Err(param_error("mchid 错误"));
    }
    let order = state.orders.get_mut(out_trade_no).ok_or((
        404,
        "ORDER_NOT_EXIST",
        "订单不存在".to_owned(),
    ))?;
    match order.state.as_str() {
        "SUCCESS" | "REFUND" => Err((403, "ORDERPAID", "该订单已支付".into())),
        _ => {
            order.state = "CLOSED".into();
            Ok((204, None))
        }
    }
}

fn create_refund(state: &mut State, body: &Value) -> Outcome {
    let out_refund_no = body["out_refund_no"].as_str().unwrap_or("");
    if !valid_number(out_refund_no, 1, 64, "@") {
        return Err(param_error("out_refund_no 格式错误"));
    }
    let refund = body["amount"]["refund"].as_i64().unwrap_or(0);
    let total = body["amount"]["total"].as_i64().unwrap_or(0);
    if refund < 1 || total < 1 || body["amount"]["currency"] != "CNY" {
        return Err(param_error("amount 错误"));
    }
    if let Some(url) = body["notify_url"].as_str()
        && (!url.starts_with("https://") || url.contains('?'))
    {
        return Err(param_error("notify_url 错误"));
    }
    if body["reason"].as_str().is_some_and(|r| r.len() > 80) {
        return Err(param_error("reason 过长"));
    }
    let out_trade_no = body["out_trade_no"].as_str().unwrap_or("");
    if let Some(existing) = state.refunds.get_mut(out_refund_no) {
        if existing.out_trade_no != out_trade_no || existing.refund != refund {
            return Err((400, "INVALID_REQUEST", "退款单号已存在，参数不一致".into()));
        }
        existing.requests += 1;
        return Ok((200, Some(refund_json(existing))));
    }
    let order = state.orders.get_mut(out_trade_no).ok_or((
        404,
        "RESOURCE_NOT_EXISTS",
        "订单不存在".to_owned(),
    ))?;
    if !["SUCCESS", "REFUND"].contains(&order.state.as_str()) {
        return Err((400, "INVALID_REQUEST", "订单未支付，不能退款".into()));
    }
    if total != order.total {
        return Err(param_error("订单金额与实际不符"));
    }
    if refund > order.total - order.refunded {
        return Err((
            400,
            "INVALID_REQUEST",
            "申请退款金额超过订单可退金额".into(),
        ));
    }
    order.refunded += refund;
    order.state = "REFUND".into();
    let now = cst(Utc::now());
    let instantly = state.refund_instantly;
    let order = state.orders[out_trade_no].clone();
    let created = FakeRefund {
        out_refund_no: out_refund_no.to_owned(),
        refund_id: format!("50{}", digits(27)),
        out_trade_no: out_trade_no.to_owned(),
        transaction_id: order.transaction_id.clone().unwrap_or_default(),
        refund,
        total,
        status: if instantly { "SUCCESS" } else { "PROCESSING" }.into(),
        reason: body["reason"].as_str().map(str::to_owned),
        create_time: now.clone(),
        success_time: instantly.then_some(now),
        requests: 1,
    };
    let answer = refund_json(&created);
    state.refunds.insert(out_refund_no.to_owned(), created);
    Ok((200, Some(answer)))
}

fn certificates(shared: &Shared, state: &State) -> Outcome {
    if shared.mode == Mode::PublicKey {
        return Err((403, "NO_AUTH", "已切换为微信支付公钥，无平台证书".into()));
    }
    let data: Vec<Value> = state
        .listed
        .iter()
        .map(|&i| {
            let nonce = random(12);
            let nonce_bytes: [u8; 12] = nonce.as_bytes().try_into().expect("12 bytes");
            let ciphertext = shared
                .keys
                .api_v3
                .encrypt(
                    &Nonce::from(nonce_bytes),
                    Payload {
                        msg: shared.keys.certificates[i].as_bytes(),
                        aad: b"certificate",
                    },
                )
                .expect("encrypt");
            json!({
                "serial_no": CERT_SERIALS[i],
                "effective_time": cst(Utc::now() - chrono::Duration::days(30)),
                "expire_time": cst(Utc::now() + chrono::Duration::days(5 * 365)),
                "encrypt_certificate": {
                    "algorithm": "AEAD_AES_256_GCM",
                    "nonce": nonce,
                    "associated_data": "certificate",
                    "ciphertext": BASE64.encode(ciphertext),
                },
            })
        })
        .collect();
    Ok((200, Some(json!({ "data": data }))))
}
