//! Short-lived URLs of private objects: HMAC-SHA256 over the key and the
//! expiry, checked in constant time. A bad or missing signature and an
//! expired link are both 403 (`SIGNATURE_INVALID`, `MEDIA_URL_EXPIRED`);
//! the signature is checked first, so an expiry is only believed once it is
//! known to be ours.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::ErrorCode;

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks URLs with `media.signing_key`.
#[derive(Clone)]
pub struct UrlSigner(HmacSha256);

impl UrlSigner {
    pub fn new(key: &[u8]) -> anyhow::Result<Self> {
        Ok(Self(HmacSha256::new_from_slice(key).map_err(|e| {
            anyhow::anyhow!("media.signing_key unusable: {e}")
        })?))
    }

    fn mac(&self, object: &str, expires: i64) -> HmacSha256 {
        let mut mac = self.0.clone();
        mac.update(object.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// The hex signature of `object` valid until `expires` (Unix seconds).
    pub fn sign(&self, object: &str, expires: i64) -> String {
        hex::encode(self.mac(object, expires).finalize().into_bytes())
    }

    /// Whether `sig` signs `object` until `expires`, and `expires` is not
    /// before `now`.
    pub fn verify(&self, object: &str, expires: i64, sig: &str, now: i64) -> Result<(), ErrorCode> {
        let sig = hex::decode(sig).map_err(|_| ErrorCode::SignatureInvalid)?;
        self.mac(object, expires)
            .verify_slice(&sig)
            .map_err(|_| ErrorCode::SignatureInvalid)?;
        if expires < now {
            return Err(ErrorCode::MediaUrlExpired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_for_its_key_and_expiry_only() {
        let signer = UrlSigner::new(b"k").unwrap();
        let sig = signer.sign("abc.jpg", 1000);
        assert_eq!(signer.verify("abc.jpg", 1000, &sig, 999), Ok(()));
        assert_eq!(signer.verify("abc.jpg", 1000, &sig, 1000), Ok(()));
        assert_eq!(
            signer.verify("abc.jpg", 1000, &sig, 1001),
            Err(ErrorCode::MediaUrlExpired)
        );
        assert_eq!(
            signer.verify("abc.jpg", 2000, &sig, 999),
            Err(ErrorCode::SignatureInvalid)
        );
        assert_eq!(
            signer.verify("abd.jpg", 1000, &sig, 999),
            Err(ErrorCode::SignatureInvalid)
        );
        let other = UrlSigner::new(b"other").unwrap();
        assert_eq!(
            other.verify("abc.jpg", 1000, &sig, 999),
            Err(ErrorCode::SignatureInvalid)
        );
        assert_eq!(
            signer.verify("abc.jpg", 1000, "zz", 999),
            Err(ErrorCode::SignatureInvalid)
        );
        assert_eq!(
            signer.verify("abc.jpg", 1000, &sig[..10], 999),
            Err(ErrorCode::SignatureInvalid)
        );
    }
}
