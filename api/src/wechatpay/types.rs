//! What the client sends and what WeChat Pay answers, typed. Amounts are
//! integer fen (分) as on the wire; [`crate::money::Money::from_fen`] turns
//! them into money.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// WeChat Pay's limit on `description`, in bytes.
pub const DESCRIPTION_MAX_BYTES: usize = 127;
/// WeChat Pay's limit on a refund's `reason`, in bytes.
pub const REFUND_REASON_MAX_BYTES: usize = 80;
/// WeChat Pay's limit on `attach`, in bytes.
pub const ATTACH_MAX_BYTES: usize = 128;
/// How long a `prepay_id` can be paid with.
pub const PREPAY_VALIDITY: chrono::Duration = chrono::Duration::hours(2);

/// Cuts `text` to at most `max` bytes without splitting a character.
pub fn truncate_bytes(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A merchant order number: 6-32 of `[0-9A-Za-z_-|*]`, unique per merchant.
/// The only way to name a trade to WeChat Pay, so it also goes into URL paths
/// unescaped.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OutTradeNo(String);

/// A merchant refund number: 1-64 of `[0-9A-Za-z_-|*@]`. Fixed per refund,
/// so retrying a refund never refunds twice.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OutRefundNo(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidNumber(String);

fn check_number(value: &str, min: usize, max: usize, extra: &str) -> Result<(), InvalidNumber> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "_-|*".contains(c) || extra.contains(c);
    if !(min..=max).contains(&value.len()) || !value.chars().all(ok_char) {
        return Err(InvalidNumber(format!(
            "{value:?} is not {min}-{max} of [0-9A-Za-z_-|*{extra}]"
        )));
    }
    Ok(())
}

impl OutTradeNo {
    pub fn new(value: &str) -> Result<Self, InvalidNumber> {
        check_number(value, 6, 32, "")?;
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl OutRefundNo {
    pub fn new(value: &str) -> Result<Self, InvalidNumber> {
        check_number(value, 1, 64, "@")?;
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A JSAPI prepay (`POST /v3/pay/transactions/jsapi`) for one order.
#[derive(Clone, Debug)]
pub struct JsapiPrepay<'a> {
    pub out_trade_no: &'a OutTradeNo,
    /// Shown to the payer; cut to 127 bytes on a character boundary.
    pub description: &'a str,
    /// The order's amount in fen, at least 1.
    pub amount_fen: i64,
    /// The payer's openid under the configured app id.
    pub payer_openid: &'a str,
    /// The order's payment deadline: WeChat Pay refuses payment after it.
    pub time_expire: DateTime<Utc>,
    /// Echoed back in queries and notifies (at most 128 bytes).
    pub attach: Option<&'a str>,
}

/// A prepay WeChat Pay accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepay {
    pub prepay_id: String,
    /// When the prepay id stops working (2 hours after it was asked for):
    /// until then, pay again by re-signing it with
    /// [`super::WechatPayClient::request_payment`].
    pub valid_until: DateTime<Utc>,
}

/// The parameters of the mini-program's `wx.requestPayment`, field names as
/// the mini-program expects them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RequestPayment {
    /// Seconds since the epoch, as a string.
    #[serde(rename = "timeStamp")]
    pub time_stamp: String,
    #[serde(rename = "nonceStr")]
    pub nonce_str: String,
    /// `prepay_id=...`
    pub package: String,
    /// Always `RSA`.
    #[serde(rename = "signType")]
    pub sign_type: String,
    /// Base64 SHA256withRSA over `appId\ntimeStamp\nnonceStr\npackage\n`.
    #[serde(rename = "paySign")]
    pub pay_sign: String,
}

/// A trade's state at WeChat Pay (`trade_state`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum TradeState {
    /// Paid.
    Success,
    /// Paid, then (partly) refunded.
    Refund,
    NotPay,
    Closed,
    Revoked,
    UserPaying,
    PayError,
    Other(String),
}

impl From<String> for TradeState {
    fn from(s: String) -> Self {
        match s.as_str() {
            "SUCCESS" => Self::Success,
            "REFUND" => Self::Refund,
            "NOTPAY" => Self::NotPay,
            "CLOSED" => Self::Closed,
            "REVOKED" => Self::Revoked,
            "USERPAYING" => Self::UserPaying,
            "PAYERROR" => Self::PayError,
            _ => Self::Other(s),
        }
    }
}

impl TradeState {
    /// The money was received (a later refund does not undo that).
    pub fn is_paid(&self) -> bool {
        matches!(self, Self::Success | Self::Refund)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Payer {
    #[serde(default)]
    pub openid: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TransactionAmount {
    /// The order amount, fen.
    #[serde(default)]
    pub total: i64,
    /// What the payer paid, fen (less than `total` with coupons).
    pub payer_total: Option<i64>,
    #[serde(default)]
    pub currency: String,
    pub payer_currency: Option<String>,
}

/// A trade, as the query and the `TRANSACTION.SUCCESS` notify describe it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Transaction {
    #[serde(default)]
    pub appid: String,
    #[serde(default)]
    pub mchid: String,
    pub out_trade_no: String,
    /// WeChat Pay's id of the payment; present once paid.
    pub transaction_id: Option<String>,
    pub trade_type: Option<String>,
    pub trade_state: TradeState,
    pub trade_state_desc: Option<String>,
    pub bank_type: Option<String>,
    pub attach: Option<String>,
    /// RFC 3339; see [`Transaction::success_at`].
    pub success_time: Option<String>,
    #[serde(default)]
    pub payer: Payer,
    #[serde(default)]
    pub amount: TransactionAmount,
}

impl Transaction {
    /// When it was paid.
    pub fn success_at(&self) -> Option<DateTime<Utc>> {
        parse_time(self.success_time.as_deref())
    }

    /// True when WeChat Pay received exactly `amount_fen` CNY for the order.
    pub fn paid_exactly(&self, amount_fen: i64) -> bool {
        self.trade_state.is_paid()
            && self.amount.total == amount_fen
            && self.amount.currency == "CNY"
    }
}

fn parse_time(value: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A refund (`POST /v3/refund/domestic/refunds`) of a paid order.
#[derive(Clone, Debug)]
pub struct RefundRequest<'a> {
    pub out_trade_no: &'a OutTradeNo,
    /// Fixed per refund: asking again with it never refunds twice.
    pub out_refund_no: &'a OutRefundNo,
    /// Shown to the payer; cut to 80 bytes.
    pub reason: Option<&'a str>,
    /// Fen to give back, at least 1 and at most what is left of `total_fen`.
    pub refund_fen: i64,
    /// The order's amount, fen, as paid.
    pub total_fen: i64,
}

/// A refund's state at WeChat Pay (`status`, or `refund_status` in notifies).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum RefundStatus {
    /// The money is back with the payer.
    Success,
    /// Accepted, not finished: wait for the notify or query later.
    Processing,
    /// Closed without refunding.
    Closed,
    /// Stuck (the payer's card was cancelled, ...): needs a person.
    Abnormal,
    Other(String),
}

impl From<String> for RefundStatus {
    fn from(s: String) -> Self {
        match s.as_str() {
            "SUCCESS" => Self::Success,
            "PROCESSING" => Self::Processing,
            "CLOSED" => Self::Closed,
            "ABNORMAL" => Self::Abnormal,
            _ => Self::Other(s),
        }
    }
}

impl RefundStatus {
    /// True once the refund will not change any more.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Success | Self::Closed)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct RefundAmount {
    /// The order amount, fen.
    #[serde(default)]
    pub total: i64,
    /// This refund, fen.
    #[serde(default)]
    pub refund: i64,
    pub payer_total: Option<i64>,
    pub payer_refund: Option<i64>,
    pub currency: Option<String>,
}

/// A refund as created, queried or notified.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Refund {
    /// WeChat Pay's id of the refund.
    pub refund_id: String,
    pub out_refund_no: String,
    pub transaction_id: Option<String>,
    pub out_trade_no: Option<String>,
    /// `status` in answers, `refund_status` in notifies.
    #[serde(alias = "refund_status")]
    pub status: RefundStatus,
    pub channel: Option<String>,
    pub user_received_account: Option<String>,
    /// RFC 3339; see [`Refund::success_at`].
    pub success_time: Option<String>,
    pub create_time: Option<String>,
    /// Present in notifies.
    pub mchid: Option<String>,
    #[serde(default)]
    pub amount: RefundAmount,
}

impl Refund {
    /// When the money reached the payer.
    pub fn success_at(&self) -> Option<DateTime<Utc>> {
        parse_time(self.success_time.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_cut_to_127_bytes_on_a_character_boundary() {
        let ascii = "a".repeat(200);
        assert_eq!(truncate_bytes(&ascii, DESCRIPTION_MAX_BYTES).len(), 127);
        // 43 three-byte characters are 129 bytes: 42 fit (126 bytes).
        let chinese = "葡".repeat(43);
        let cut = truncate_bytes(&chinese, DESCRIPTION_MAX_BYTES);
        assert_eq!(cut.len(), 126);
        assert_eq!(cut.chars().count(), 42);
        // A 4-byte character straddling the limit goes whole.
        let mixed = format!("{}🍇tail", "a".repeat(125));
        assert_eq!(
            truncate_bytes(&mixed, DESCRIPTION_MAX_BYTES),
            "a".repeat(125)
        );
        assert_eq!(
            truncate_bytes("阳光玫瑰", DESCRIPTION_MAX_BYTES),
            "阳光玫瑰"
        );
        assert_eq!(truncate_bytes("", DESCRIPTION_MAX_BYTES), "");
    }

    #[test]
    fn trade_and_refund_numbers_follow_wechat_pay_rules() {
        assert!(OutTradeNo::new("20261201ABCDEFGH12345678").is_ok());
        assert!(OutTradeNo::new("a_b-c|d*e").is_ok());
        assert!(OutTradeNo::new("short").is_err());
        assert!(OutTradeNo::new(&"9".repeat(33)).is_err());
        assert!(OutTradeNo::new("has space").is_err());
        assert!(OutTradeNo::new("../../v3/x").is_err());
        assert!(OutTradeNo::new("订单号123456").is_err());
        assert!(OutRefundNo::new("R1").is_ok());
        assert!(OutRefundNo::new("R@1").is_ok());
        assert!(OutRefundNo::new("").is_err());
        assert!(OutRefundNo::new(&"r".repeat(65)).is_err());
    }

    #[test]
    fn unknown_states_are_kept_not_refused() {
        let t: Transaction = serde_json::from_value(serde_json::json!({
            "out_trade_no": "20261201ABCDEFGH12345678",
            "trade_state": "SOMETHING_NEW",
        }))
        .unwrap();
        assert_eq!(t.trade_state, TradeState::Other("SOMETHING_NEW".into()));
        assert!(!t.paid_exactly(0));
        let r: Refund = serde_json::from_value(serde_json::json!({
            "refund_id": "50000000382019052709732678859",
            "out_refund_no": "R1",
            "refund_status": "ABNORMAL",
        }))
        .unwrap();
        assert_eq!(r.status, RefundStatus::Abnormal);
        assert!(!r.status.is_final());
    }

    #[test]
    fn paid_exactly_checks_state_amount_and_currency() {
        let mut t: Transaction = serde_json::from_value(serde_json::json!({
            "out_trade_no": "20261201ABCDEFGH12345678",
            "trade_state": "SUCCESS",
            "success_time": "2026-12-01T20:15:08+08:00",
            "amount": {"total": 1990, "payer_total": 1990, "currency": "CNY"},
        }))
        .unwrap();
        assert!(t.paid_exactly(1990));
        assert!(!t.paid_exactly(1991));
        assert_eq!(
            t.success_at().unwrap().to_rfc3339(),
            "2026-12-01T12:15:08+00:00"
        );
        t.amount.currency = "USD".into();
        assert!(!t.paid_exactly(1990));
        t.amount.currency = "CNY".into();
        t.trade_state = TradeState::NotPay;
        assert!(!t.paid_exactly(1990));
    }
}
