//! Request extractors with this API's error contract: malformed JSON is 400
//! `MALFORMED_JSON`, a well-formed body with a wrong field is 422 naming the
//! field, an oversized body is 413, a bad query is 400 `INVALID_QUERY`, and a
//! path that does not parse (`/goods/abc`) is 404.

use actix_web::dev::Payload;
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode, FieldError};

/// The largest JSON body accepted (`server.body_limit`), registered as app_data.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

/// Fallback body limit when none is registered (unit tests).
const DEFAULT_LIMIT: usize = 1024 * 1024;

/// A JSON body, parsed with field paths for 422 answers.
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<BodyLimit>()
            .map_or(DEFAULT_LIMIT, |limit| limit.0);
        let declared = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|len| len > limit) {
                return Err(ErrorCode::PayloadTooLarge.into());
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| ApiError::new(ErrorCode::MalformedJson))?;
                if body.len() + chunk.len() > limit {
                    return Err(ErrorCode::PayloadTooLarge.into());
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(Json)
        })
    }
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => v,
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            return Err(match inner.classify() {
                serde_json::error::Category::Data => {
                    let message = strip_position(&inner);
                    let field = missing_field(&message)
                        .map(|name| {
                            if path == "." {
                                name.to_owned()
                            } else {
                                format!("{path}.{name}")
                            }
                        })
                        .unwrap_or_else(|| if path == "." { "body".to_owned() } else { path });
                    ApiError::validation(vec![FieldError::new(field, message)])
                }
                _ => ApiError::new(ErrorCode::MalformedJson)
                    .details(serde_json::json!({ "reason": inner.to_string() })),
            });
        }
    };
    de.end().map_err(|e| {
        ApiError::new(ErrorCode::MalformedJson)
            .details(serde_json::json!({ "reason": e.to_string() }))
    })?;
    Ok(value)
}

/// "missing field `quantity`" → "quantity".
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}

/// serde's messages end with " at line 1 column 12"; the field path says more.
fn strip_position(err: &serde_json::Error) -> String {
    let msg = err.to_string();
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg,
    }
}

pub fn query_error(err: QueryPayloadError, req: &HttpRequest) -> actix_web::Error {
    let reason = err.to_string();
    // serde names the value it refused (`unknown variant `lost``), not the
    // parameter: name the parameters holding that value.
    let fields: Vec<FieldError> =
        web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map(web::Query::into_inner)
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, value)| !value.is_empty() && reason.contains(&format!("`{value}`")))
            .map(|(name, _)| FieldError::new(name, reason.clone()))
            .collect();
    let details = if fields.is_empty() {
        serde_json::json!({ "reason": reason })
    } else {
        serde_json::json!({ "reason": reason, "fields": fields })
    };
    ApiError::new(ErrorCode::InvalidQuery)
        .details(details)
        .into()
}

pub fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::new(ErrorCode::NotFound).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        quantity: i64,
    }

    #[test]
    fn syntax_errors_are_400_and_type_errors_name_the_field() {
        let err = parse_json::<Body>(b"{\"quantity\": ").unwrap_err();
        assert_eq!(err.code, ErrorCode::MalformedJson);
        let err = parse_json::<Body>(b"{\"quantity\": \"two\"}").unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationFailed);
        let details = err.details.unwrap().to_string();
        assert!(details.contains("\"field\":\"quantity\""), "{details}");
        let err = parse_json::<Body>(b"{}").unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationFailed);
        assert!(
            err.details
                .unwrap()
                .to_string()
                .contains("\"field\":\"quantity\"")
        );
        let err = parse_json::<Body>(b"{\"quantity\": 1} x").unwrap_err();
        assert_eq!(err.code, ErrorCode::MalformedJson);
        assert_eq!(
            parse_json::<Body>(b"{\"quantity\": 1}").unwrap().quantity,
            1
        );
    }
}
