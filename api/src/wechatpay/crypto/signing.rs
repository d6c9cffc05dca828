//! The merchant's side: its private key signs requests (`Authorization`)
//! and the mini-program's payment parameters (`paySign`), SHA256withRSA.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use sha2::Sha256;

use super::check_size;

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
