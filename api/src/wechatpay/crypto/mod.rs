//! The cryptography of API v3, all of it from RustCrypto crates: the
//! merchant's SHA256withRSA signatures (request `Authorization`, `paySign`),
//! verification of WeChat Pay's signatures (answers, notifies) and
//! AEAD_AES_256_GCM decryption with the APIv3 key (notify resources,
//! downloaded certificates).

mod aead;
mod signing;
mod verify;

use rand::Rng;

pub use aead::{ApiV3Key, DecryptError};
pub use signing::MerchantKey;
pub use verify::{PlatformKey, PlatformKeys, SignatureError, SignatureHeaders};

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

fn check_size(bits: usize) -> Result<(), String> {
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "an RSA key of {bits} bits; WeChat Pay keys are {MIN_RSA_BITS}"
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use chrono::{DateTime, Utc};
    use rsa::RsaPrivateKey;
    use rsa::pkcs1v15::SigningKey;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    use sha2::Sha256;

    use super::verify::certificate_serial;
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
