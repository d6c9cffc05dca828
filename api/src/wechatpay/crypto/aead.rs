//! AEAD_AES_256_GCM decryption with the merchant's APIv3 key (notify
//! resources, downloaded certificates).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
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
