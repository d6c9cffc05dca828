//! Access tokens: HS256 JWTs that name the user and the session they belong to.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The session (refresh-token family) this token was issued in.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    pub typ: String,
}

const ACCESS: &str = "access";

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl_secs: i64,
}

impl JwtKeys {
    pub fn new(secret: &SecretString, access_ttl_secs: i64) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        // Only HS256: tokens signed otherwise, or with `alg: none`, never validate.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            access_ttl_secs,
        }
    }

    pub fn issue_access(&self, user_id: i64, session_id: &str) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            sid: session_id.to_owned(),
            iat: now,
            exp: now + self.access_ttl_secs,
            typ: ACCESS.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    pub fn decode_access(&self, token: &str) -> Result<Claims, ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => ApiError::new(ErrorCode::TokenExpired),
                _ => ApiError::new(ErrorCode::TokenInvalid),
            })?;
        if data.claims.typ != ACCESS {
            return Err(ErrorCode::TokenInvalid.into());
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> JwtKeys {
        JwtKeys::new(&SecretString::from(secret.to_owned()), 7200)
    }

    #[test]
    fn round_trip_and_rejections() {
        let k = keys("a-secret-of-enough-length-for-tests");
        let token = k.issue_access(7, "sess").unwrap();
        let claims = k.decode_access(&token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.sid.as_str()), ("7", "sess"));

        let other = keys("another-secret-of-enough-length-xx");
        assert_eq!(
            other.decode_access(&token).unwrap_err().code,
            ErrorCode::TokenInvalid
        );

        let mut tampered = token.clone();
        tampered.push('x');
        assert_eq!(
            k.decode_access(&tampered).unwrap_err().code,
            ErrorCode::TokenInvalid
        );

        let expired = JwtKeys::new(
            &SecretString::from("a-secret-of-enough-length-for-tests".to_owned()),
            -10,
        );
        let old = expired.issue_access(7, "sess").unwrap();
        assert_eq!(
            k.decode_access(&old).unwrap_err().code,
            ErrorCode::TokenExpired
        );
    }
}
