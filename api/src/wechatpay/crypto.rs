//! The cryptography of API v3, all of it from RustCrypto crates: the
//! merchant's SHA256withRSA signatures (request `Authorization`, `paySign`),
//! verification of WeChat Pay's signatures (answers, notifies) and
//! AEAD_AES_256_GCM decryption with the APIv3 key (notify resources,
//! downloaded certificates).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use rand::Rng;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use x509_cert::Certificate;
use x509_cert::der::{DecodePem, Encode};

/// WeChat Pay refuses signatures over messages older or newer than this.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;
/// API v3 keys are RSA 2048; a smaller key is a wrong file.
const MIN_RSA_BITS: usize = 2048;

/// A random 32-character `[0-9A-Za-z]` nonce, as WeChat Pay's own.
pub fn nonce() -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

/// The merchant's private key and the serial number of its certificate:
/// signs requests and the mini-program's payment parameters.
#[derive(Clone)]
pub struct MerchantKey {
    signing: SigningKey<Sha256>,
    serial_no: String,
}

impl std::fmt::Debug for MerchantKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MerchantKey")
            .field("serial_no", &self.serial_no)
            .finish_non_exhaustive()
    }
}

impl MerchantKey {
    /// From a PEM private key, PKCS#8 (`BEGIN PRIVATE KEY`, as the merchant
    /// platform hands it out) or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    pub fn from_pem(pem: &str, serial_no: &str) -> Result<Self, String> {
        let pem = pem.trim();
        let key = RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
            .map_err(|_| "not a PEM RSA private key (PKCS#8 or PKCS#1)".to_owned())?;
        check_size(key.n().bits())?;
        Ok(Self {
            signing: SigningKey::new(key),
            serial_no: serial_no.to_owned(),
        })
    }

    pub fn serial_no(&self) -> &str {
        &self.serial_no
    }

    /// Base64(SHA256withRSA(message)), PKCS#1 v1.5 as WeChat Pay expects.
    pub fn sign(&self, message: &[u8]) -> String {
        BASE64.encode(self.signing.sign(message).to_bytes())
    }

    /// The `Authorization` header of one request: the signature covers
    /// `METHOD\nPATH?query\ntimestamp\nnonce\nbody\n` (an empty body still
    /// ends its line).
    pub fn authorization(
        &self,
        mch_id: &str,
        method: &str,
        path_and_query: &str,
        body: &str,
        timestamp: i64,
        nonce: &str,
    ) -> String {
        let message = format!("{method}\n{path_and_query}\n{timestamp}\n{nonce}\n{body}\n");
        format!(
            "WECHATPAY2-SHA256-RSA2048 mchid=\"{mch_id}\",nonce_str=\"{nonce}\",timestamp=\"{timestamp}\",serial_no=\"{}\",signature=\"{}\"",
            self.serial_no,
            self.sign(message.as_bytes())
        )
    }
}

fn check_size(bits: usize) -> Result<(), String> {
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "an RSA key of {bits} bits; WeChat Pay keys are {MIN_RSA_BITS}"
        ));
    }
    Ok(())
}

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
fn certificate_serial(der_integer: &[u8]) -> String {
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

/// The merchant's 32-byte APIv3 key, which decrypts what WeChat Pay encrypts
/// for us (AEAD_AES_256_GCM).
#[derive(Clone)]
pub struct ApiV3Key(Aes256Gcm);

impl std::fmt::Debug for ApiV3Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiV3Key(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("the ciphertext is not Base64")]
    NotBase64,
    #[error("the nonce is {0} bytes, not 12")]
    BadNonce(usize),
    #[error("decryption failed: wrong APIv3 key, or tampered ciphertext or associated data")]
    Failed,
}

impl ApiV3Key {
    /// Exactly 32 bytes, as set on the merchant platform.
    pub fn new(key: &[u8]) -> Result<Self, String> {
        if key.len() != 32 {
            return Err(format!("{} bytes; it must be exactly 32", key.len()));
        }
        Aes256Gcm::new_from_slice(key)
            .map(Self)
            .map_err(|_| "unusable key".to_owned())
    }

    /// Decrypts a resource: `ciphertext` is Base64 of the encrypted bytes
    /// followed by the 16-byte tag, `nonce` 12 bytes, `associated_data` the AAD.
    pub fn decrypt(
        &self,
        nonce: &str,
        associated_data: &str,
        ciphertext: &str,
    ) -> Result<Vec<u8>, DecryptError> {
        let bytes = BASE64
            .decode(ciphertext.trim())
            .map_err(|_| DecryptError::NotBase64)?;
        let nonce: [u8; 12] = nonce
            .as_bytes()
            .try_into()
            .map_err(|_| DecryptError::BadNonce(nonce.len()))?;
        self.0
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &bytes,
                    aad: associated_data.as_bytes(),
                },
            )
            .map_err(|_| DecryptError::Failed)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/wechatpay");

    pub fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
    }

    pub fn merchant() -> MerchantKey {
        MerchantKey::from_pem(&fixture("merchant_key.pem"), "5A1B2C3D").unwrap()
    }

    pub fn platform() -> PlatformKey {
        PlatformKey::from_public_key_pem(
            "PUB_KEY_ID_0114232134912410000000000000TEST",
            &fixture("platform_public.pem"),
        )
        .unwrap()
    }

    #[test]
    fn signs_exactly_as_openssl_does() {
        // sign_vector.sig.b64 = `openssl dgst -sha256 -sign merchant_key.pem
        // sign_vector.msg | base64 -w0`; PKCS#1 v1.5 is deterministic.
        let message = std::fs::read(format!("{FIXTURES}/sign_vector.msg")).unwrap();
        let expected = fixture("sign_vector.sig.b64");
        assert_eq!(merchant().sign(&message), expected.trim());
        let pkcs1 = MerchantKey::from_pem(&fixture("merchant_key_pkcs1.pem"), "5A1B2C3D").unwrap();
        assert_eq!(pkcs1.sign(&message), expected.trim());
    }

    #[test]
    fn authorization_header_carries_every_part() {
        let header = merchant().authorization(
            "1230000109",
            "GET",
            "/v3/certificates",
            "",
            1764630000,
            "NONCE",
        );
        assert!(header.starts_with("WECHATPAY2-SHA256-RSA2048 mchid=\"1230000109\",nonce_str=\"NONCE\",timestamp=\"1764630000\",serial_no=\"5A1B2C3D\",signature=\""));
        let signature = header
            .rsplit_once("signature=\"")
            .unwrap()
            .1
            .trim_end_matches('"');
        let public =
            PlatformKey::from_public_key_pem("m", &fixture("merchant_public.pem")).unwrap();
        assert!(public.verifies(b"GET\n/v3/certificates\n1764630000\nNONCE\n\n", signature));
        assert!(!public.verifies(b"GET\n/v3/certificates\n1764630000\nNONCE\n", signature));
    }

    #[test]
    fn keys_that_do_not_parse_are_refused() {
        assert!(MerchantKey::from_pem("not a key", "s").is_err());
        assert!(MerchantKey::from_pem(&fixture("merchant_public.pem"), "s").is_err());
        assert!(PlatformKey::from_public_key_pem("id", &fixture("merchant_key.pem")).is_err());
        assert!(PlatformKey::from_certificate_pem(&fixture("platform_public.pem")).is_err());
    }

    #[test]
    fn a_certificate_gives_its_serial_key_and_end() {
        let cert = PlatformKey::from_certificate_pem(&fixture("platform_cert.pem")).unwrap();
        assert_eq!(cert.serial(), "3C4A9F1E22B7D05A6E8813F4C2A19B7D5E6F0A21");
        assert!(cert.expires_at().unwrap().to_rfc3339().starts_with("2126-"));
        // The same key as the plain public key file.
        let message = b"1764591310\nnonce\nbody\n";
        let signature = {
            let key = RsaPrivateKey::from_pkcs8_pem(&fixture("platform_key.pem")).unwrap();
            BASE64.encode(SigningKey::<Sha256>::new(key).sign(message).to_bytes())
        };
        assert!(cert.verifies(message, &signature));
        assert!(platform().verifies(message, &signature));
        assert_eq!(certificate_serial(&[0x00, 0x8F, 0x01]), "8F01");
    }

    fn vector_headers() -> SignatureHeaders {
        let text = fixture("notify_vector.headers");
        let line = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                .unwrap()
                .to_owned()
        };
        SignatureHeaders {
            timestamp: line("Wechatpay-Timestamp"),
            nonce: line("Wechatpay-Nonce"),
            signature: line("Wechatpay-Signature"),
            serial: line("Wechatpay-Serial"),
        }
    }

    pub fn vector() -> (SignatureHeaders, Vec<u8>, DateTime<Utc>) {
        let headers = vector_headers();
        let body = std::fs::read(format!("{FIXTURES}/notify_vector.body.json")).unwrap();
        let at = DateTime::from_timestamp(headers.timestamp.parse().unwrap(), 0).unwrap();
        (headers, body, at)
    }

    #[test]
    fn verifies_a_body_signed_by_openssl() {
        // notify_vector.*: signed with `openssl dgst -sha256 -sign platform_key.pem`.
        let (headers, body, at) = vector();
        let keys = PlatformKeys::new(vec![platform()]);
        assert_eq!(headers.verify(&body, &keys, at), Ok(()));
        assert_eq!(
            headers.verify(&body, &keys, at + chrono::Duration::seconds(299)),
            Ok(())
        );
    }

    #[test]
    fn a_body_tampered_by_one_byte_fails() {
        let (headers, mut body, at) = vector();
        let keys = PlatformKeys::new(vec![platform()]);
        for i in [0, body.len() / 2, body.len() - 1] {
            body[i] ^= 0x01;
            assert_eq!(
                headers.verify(&body, &keys, at),
                Err(SignatureError::BadSignature),
                "byte {i}"
            );
            body[i] ^= 0x01;
        }
        let mut forged = headers.clone();
        forged.nonce.push('x');
        assert_eq!(
            forged.verify(&body, &keys, at),
            Err(SignatureError::BadSignature)
        );
        // WeChat Pay's own probe: a deliberately wrong signature.
        forged = headers.clone();
        forged.signature = format!("WECHATPAY/SIGNTEST/{}", headers.signature);
        assert_eq!(
            forged.verify(&body, &keys, at),
            Err(SignatureError::BadSignature)
        );
    }

    #[test]
    fn a_wrong_serial_or_another_key_fails() {
        let (mut headers, body, at) = vector();
        let keys = PlatformKeys::new(vec![platform()]);
        headers.serial = "PUB_KEY_ID_0000000000000000000000000000OTHER".into();
        assert_eq!(
            headers.verify(&body, &keys, at),
            Err(SignatureError::UnknownSerial(headers.serial.clone()))
        );
        // The right serial on the wrong key (the merchant's) is no better.
        let (headers, body, at) = vector();
        let impostor =
            PlatformKey::from_public_key_pem(&headers.serial, &fixture("merchant_public.pem"))
                .unwrap();
        assert_eq!(
            headers.verify(&body, &PlatformKeys::new(vec![impostor]), at),
            Err(SignatureError::BadSignature)
        );
    }

    #[test]
    fn six_minutes_old_or_ahead_fails() {
        let (headers, body, at) = vector();
        let keys = PlatformKeys::new(vec![platform()]);
        let six = chrono::Duration::minutes(6);
        assert_eq!(
            headers.verify(&body, &keys, at + six),
            Err(SignatureError::Stale(360))
        );
        assert_eq!(
            headers.verify(&body, &keys, at - six),
            Err(SignatureError::Stale(-360))
        );
        let mut bad = headers.clone();
        bad.timestamp = "soon".into();
        assert_eq!(
            bad.verify(&body, &keys, at),
            Err(SignatureError::BadTimestamp)
        );
    }

    #[test]
    fn an_expired_certificate_is_not_believed() {
        let cert = PlatformKey::from_certificate_pem(&fixture("platform_cert.pem"))
            .unwrap()
            .expiring_by(DateTime::from_timestamp(1764591000, 0));
        let (mut headers, body, at) = vector();
        headers.serial = cert.serial().to_owned();
        assert_eq!(
            headers.verify(&body, &PlatformKeys::new(vec![cert]), at),
            Err(SignatureError::UnknownSerial(headers.serial.clone()))
        );
    }

    #[test]
    fn missing_headers_are_named() {
        let err =
            SignatureHeaders::from_lookup(|name| (name != SignatureHeaders::SERIAL).then_some("1"))
                .unwrap_err();
        assert_eq!(err, SignatureError::MissingHeader("Wechatpay-Serial"));
    }

    fn aes_vector() -> serde_json::Value {
        serde_json::from_str(&fixture("aes_vector.json")).unwrap()
    }

    #[test]
    fn decrypts_what_python_cryptography_encrypted() {
        let v = aes_vector();
        let key = ApiV3Key::new(v["api_v3_key"].as_str().unwrap().as_bytes()).unwrap();
        let plain = key
            .decrypt(
                v["nonce"].as_str().unwrap(),
                v["associated_data"].as_str().unwrap(),
                v["ciphertext"].as_str().unwrap(),
            )
            .unwrap();
        assert_eq!(String::from_utf8(plain).unwrap(), v["plaintext"]);
    }

    #[test]
    fn a_tampered_tag_ciphertext_or_aad_fails() {
        let v = aes_vector();
        let key = ApiV3Key::new(v["api_v3_key"].as_str().unwrap().as_bytes()).unwrap();
        let nonce = v["nonce"].as_str().unwrap();
        let aad = v["associated_data"].as_str().unwrap();
        let mut bytes = BASE64.decode(v["ciphertext"].as_str().unwrap()).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x80; // inside the 16-byte tag
        assert_eq!(
            key.decrypt(nonce, aad, &BASE64.encode(&bytes)),
            Err(DecryptError::Failed)
        );
        bytes[last] ^= 0x80;
        bytes[0] ^= 0x01;
        assert_eq!(
            key.decrypt(nonce, aad, &BASE64.encode(&bytes)),
            Err(DecryptError::Failed)
        );
        assert_eq!(
            key.decrypt(nonce, "certificate", v["ciphertext"].as_str().unwrap()),
            Err(DecryptError::Failed)
        );
        let other = ApiV3Key::new(b"another-32-byte-key-for-the-test").unwrap();
        assert_eq!(
            other.decrypt(nonce, aad, v["ciphertext"].as_str().unwrap()),
            Err(DecryptError::Failed)
        );
        assert_eq!(
            key.decrypt("short", aad, v["ciphertext"].as_str().unwrap()),
            Err(DecryptError::BadNonce(5))
        );
        assert_eq!(key.decrypt(nonce, aad, "%%%"), Err(DecryptError::NotBase64));
    }

    #[test]
    fn api_v3_keys_are_exactly_32_bytes() {
        assert!(ApiV3Key::new(&[7; 32]).is_ok());
        assert!(ApiV3Key::new(&[7; 31]).is_err());
        assert!(ApiV3Key::new(&[7; 33]).is_err());
    }

    #[test]
    fn nonces_are_32_alphanumerics_and_differ() {
        let (a, b) = (nonce(), nonce());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
