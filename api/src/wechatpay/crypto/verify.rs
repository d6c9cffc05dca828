//! WeChat Pay's side: the keys it signs with (its public key or platform
//! certificates) and the verification of its signed answers and notifies.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use rsa::RsaPublicKey;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::traits::PublicKeyParts;
use sha2::Sha256;
use x509_cert::Certificate;
use x509_cert::der::{DecodePem, Encode};

use super::{MAX_CLOCK_SKEW_SECS, check_size};

/// One key WeChat Pay signs with, named by the serial its signatures carry
/// (`Wechatpay-Serial`): the WeChat Pay public key (`PUB_KEY_ID_...`) or a
/// platform certificate (its serial number in upper-case hex).
#[derive(Clone)]
pub struct PlatformKey {
    serial: String,
    verifying: VerifyingKey<Sha256>,
    /// Not believed after this (a certificate's end of validity).
    expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for PlatformKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformKey")
            .field("serial", &self.serial)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl PlatformKey {
    /// The WeChat Pay public key (`BEGIN PUBLIC KEY`, or PKCS#1) and its id.
    pub fn from_public_key_pem(id: &str, pem: &str) -> Result<Self, String> {
        let pem = pem.trim();
        let key = RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
            .map_err(|_| "not a PEM RSA public key".to_owned())?;
        check_size(key.n().bits())?;
        Ok(Self {
            serial: id.to_owned(),
            verifying: VerifyingKey::new(key),
            expires_at: None,
        })
    }

    /// A platform certificate (PEM): its key, serial number and end of validity.
    pub fn from_certificate_pem(pem: &str) -> Result<Self, String> {
        let cert = Certificate::from_pem(pem.trim().as_bytes())
            .map_err(|e| format!("not a PEM X.509 certificate: {e}"))?;
        let tbs = &cert.tbs_certificate;
        let spki = tbs
            .subject_public_key_info
            .to_der()
            .map_err(|e| format!("certificate key unreadable: {e}"))?;
        let key = RsaPublicKey::from_public_key_der(&spki)
            .map_err(|_| "the certificate's key is not RSA".to_owned())?;
        check_size(key.n().bits())?;
        let not_after = i64::try_from(tbs.validity.not_after.to_unix_duration().as_secs())
            .ok()
            .and_then(|secs| DateTime::from_timestamp(secs, 0));
        Ok(Self {
            serial: certificate_serial(tbs.serial_number.as_bytes()),
            verifying: VerifyingKey::new(key),
            expires_at: not_after,
        })
    }

    pub fn serial(&self) -> &str {
        &self.serial
    }

    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.expires_at
    }

    /// Keeps the earlier of the certificate's own end and `at`.
    pub(crate) fn expiring_by(mut self, at: Option<DateTime<Utc>>) -> Self {
        self.expires_at = match (self.expires_at, at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self
    }

    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|end| now < end)
    }

    /// True when `signature` (Base64) is this key's signature of `message`.
    pub fn verifies(&self, message: &[u8], signature: &str) -> bool {
        let Ok(bytes) = BASE64.decode(signature.trim()) else {
            return false;
        };
        let Ok(signature) = Signature::try_from(bytes.as_slice()) else {
            return false;
        };
        self.verifying.verify(message, &signature).is_ok()
    }
}

/// A certificate serial number as WeChat Pay writes it: upper-case hex of the
/// positive integer, without DER's leading zero byte.
pub(super) fn certificate_serial(der_integer: &[u8]) -> String {
    let start = der_integer
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(der_integer.len().saturating_sub(1));
    hex::encode_upper(&der_integer[start..])
}

/// The keys WeChat Pay may be signing with now.
#[derive(Clone, Debug, Default)]
pub struct PlatformKeys(Vec<PlatformKey>);

impl PlatformKeys {
    pub fn new(keys: Vec<PlatformKey>) -> Self {
        Self(keys)
    }

    /// The key named `serial`, unless it has expired.
    pub fn find(&self, serial: &str, now: DateTime<Utc>) -> Option<&PlatformKey> {
        self.0
            .iter()
            .find(|k| k.serial.eq_ignore_ascii_case(serial) && k.is_valid_at(now))
    }

    pub fn iter(&self) -> impl Iterator<Item = &PlatformKey> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The `Wechatpay-*` headers of a signed answer or notify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHeaders {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("header {0} is missing")]
    MissingHeader(&'static str),
    #[error("Wechatpay-Timestamp is not a number")]
    BadTimestamp,
    #[error("signed {0} s away from now (more than 5 minutes)")]
    Stale(i64),
    #[error("no key with serial {0}")]
    UnknownSerial(String),
    #[error("the signature does not verify")]
    BadSignature,
}

impl SignatureHeaders {
    pub const TIMESTAMP: &'static str = "Wechatpay-Timestamp";
    pub const NONCE: &'static str = "Wechatpay-Nonce";
    pub const SIGNATURE: &'static str = "Wechatpay-Signature";
    pub const SERIAL: &'static str = "Wechatpay-Serial";

    /// Reads the four headers through `get` (a header-map look-up by name).
    pub fn from_lookup<'a>(
        get: impl Fn(&'static str) -> Option<&'a str>,
    ) -> Result<Self, SignatureError> {
        let read = |name: &'static str| {
            get(name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .ok_or(SignatureError::MissingHeader(name))
        };
        Ok(Self {
            timestamp: read(Self::TIMESTAMP)?,
            nonce: read(Self::NONCE)?,
            signature: read(Self::SIGNATURE)?,
            serial: read(Self::SERIAL)?,
        })
    }

    /// Refuses a timestamp more than 5 minutes from `now`, either way.
    pub fn check_fresh(&self, now: DateTime<Utc>) -> Result<(), SignatureError> {
        let ts: i64 = self
            .timestamp
            .parse()
            .map_err(|_| SignatureError::BadTimestamp)?;
        let skew = now.timestamp().saturating_sub(ts);
        if skew.abs() > MAX_CLOCK_SKEW_SECS {
            return Err(SignatureError::Stale(skew));
        }
        Ok(())
    }

    /// Verifies `body` as signed with these headers by one of `keys`: fresh,
    /// from the key the serial names, over `timestamp\nnonce\nbody\n`.
    pub fn verify(
        &self,
        body: &[u8],
        keys: &PlatformKeys,
        now: DateTime<Utc>,
    ) -> Result<(), SignatureError> {
        self.check_fresh(now)?;
        let key = keys
            .find(&self.serial, now)
            .ok_or_else(|| SignatureError::UnknownSerial(self.serial.clone()))?;
        let mut message =
            Vec::with_capacity(self.timestamp.len() + self.nonce.len() + body.len() + 3);
        message.extend_from_slice(self.timestamp.as_bytes());
        message.push(b'\n');
        message.extend_from_slice(self.nonce.as_bytes());
        message.push(b'\n');
        message.extend_from_slice(body);
        message.push(b'\n');
        if key.verifies(&message, &self.signature) {
            Ok(())
        } else {
            Err(SignatureError::BadSignature)
        }
    }
}
