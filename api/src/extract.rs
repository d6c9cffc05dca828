//! Request extractors with this API's error contract: malformed JSON is 400
//! `MALFORMED_JSON`, a well-formed body with a wrong field is 422 naming the
//! field, an oversized body is 413, a bad query is 400 `INVALID_QUERY`, and a
//! path that does not parse (`/goods/abc`) is 404. A NUL character anywhere
//! (a body's string, a query parameter, a path segment) is refused before any
//! handler sees it: 422 naming the field in a body, 400 `INVALID_QUERY` in the
//! URL (PostgreSQL cannot store NUL, SQLite would truncate at it).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode, FieldError};
use crate::fields::body;

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

/// `body` as a `T`. A body that does not fit names every missing or wrong
/// field in `details.fields` (not only the first serde meets), and a list
/// longer than `fields::body::MAX_LIST_ITEMS` anywhere in it is refused.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    refuse_nul_in_json::<T>(body)?;
    let overlong = body::overlong_lists(body);
    if !overlong.is_empty() {
        return Err(ApiError::validation(overlong));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => v,
        Err(err) => {
            if err
                .inner()
                .to_string()
                .contains("invalid type: floating point")
                && let Some(normalised) = integral_numbers_as_integers(body)
            {
                return parse_json(&normalised);
            }
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
                    let mut every = body::every_field_error::<T>(body);
                    if !every.iter().any(|e| e.field == field) {
                        every.insert(0, FieldError::new(field, message));
                    }
                    ApiError::validation(every)
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

/// JSON Schema counts a number with no fraction (`3.0`, `1e2`) as an
/// integer, so such a body is what the document allows: it is rewritten with
/// those numbers as integers (when they fit an `i64`) for the typed parse.
/// None when nothing changed (the refusal stands).
fn integral_numbers_as_integers(body: &[u8]) -> Option<Vec<u8>> {
    fn walk(v: &mut serde_json::Value) -> bool {
        match v {
            serde_json::Value::Number(n) if n.is_f64() => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && (-9.0e18..=9.0e18).contains(&f) => {
                    *v = serde_json::Value::from(f as i64);
                    true
                }
                _ => false,
            },
            serde_json::Value::Array(items) => items.iter_mut().fold(false, |c, x| walk(x) | c),
            serde_json::Value::Object(map) => map.values_mut().fold(false, |c, x| walk(x) | c),
            _ => false,
        }
    }
    let mut value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if !walk(&mut value) {
        return None;
    }
    serde_json::to_vec(&value).ok()
}

/// A JSON string can carry NUL only escaped (`\u0000`): only a body with
/// that escape is walked, to name the field holding it. Fields `T` does not
/// read are ignored whatever they hold (NUL included), as every unknown
/// field is: only NUL that would reach a handler is refused.
fn refuse_nul_in_json<T: DeserializeOwned>(body: &[u8]) -> Result<(), ApiError> {
    let has_escape = body
        .windows(6)
        .any(|w| w[0] == b'\\' && w[1] == b'u' && w[2..].iter().all(|b| *b == b'0'));
    if !has_escape {
        return Ok(());
    }
    // Malformed bodies are left to the typed parse, which names the problem.
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Ok(());
    };
    let mut found = Vec::new();
    nul_paths(&value, &mut Vec::new(), &mut found);
    if found.is_empty() {
        return Ok(());
    }
    // The parts of the body `T` ignores, as paths of keys and indexes.
    let mut ignored: Vec<Vec<String>> = Vec::new();
    let _ = serde_ignored::deserialize::<_, _, T>(value, |path| {
        ignored.push(segments(&path));
    });
    let read = found
        .into_iter()
        .find(|at| !ignored.iter().any(|skip| at.starts_with(skip)));
    match read {
        Some(at) => Err(ApiError::validation(vec![FieldError::new(
            display_path(&at),
            "不能包含 NUL 字符",
        )])),
        None => Ok(()),
    }
}

/// `path` as its keys and indexes (options and newtypes add no step).
fn segments(path: &serde_ignored::Path<'_>) -> Vec<String> {
    use serde_ignored::Path;
    match path {
        Path::Root => Vec::new(),
        Path::Seq { parent, index } => {
            let mut v = segments(parent);
            v.push(index.to_string());
            v
        }
        Path::Map { parent, key } => {
            let mut v = segments(parent);
            v.push(key.clone());
            v
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => segments(parent),
    }
}

/// `a.b[2]` for the steps `["a", "b", "2"]` (the body itself: `body`).
fn display_path(at: &[String]) -> String {
    if at.is_empty() {
        return "body".to_owned();
    }
    let mut out = String::new();
    for step in at {
        if step.parse::<usize>().is_ok() && !out.is_empty() {
            out.push_str(&format!("[{step}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(step);
        }
    }
    out
}

/// Every place (as steps) of a string or key holding NUL.
fn nul_paths(value: &serde_json::Value, at: &mut Vec<String>, found: &mut Vec<Vec<String>>) {
    match value {
        serde_json::Value::String(s) if s.contains('\0') => found.push(at.clone()),
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                at.push(i.to_string());
                nul_paths(v, at, found);
                at.pop();
            }
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                at.push(k.clone());
                if k.contains('\0') {
                    found.push(at.clone());
                } else {
                    nul_paths(v, at, found);
                }
                at.pop();
            }
        }
        _ => {}
    }
}

/// Middleware: a NUL character in the URL (`%00` in a path segment or a query
/// parameter) is 400 `INVALID_QUERY`, naming the parameters holding it.
pub async fn refuse_nul_in_url(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let has_nul = |s: &str| s.as_bytes().windows(3).any(|w| w == b"%00");
    let in_path = has_nul(req.uri().path());
    let query = req.uri().query().unwrap_or("");
    if !in_path && !has_nul(query) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let mut fields: Vec<FieldError> = web::Query::<Vec<(String, String)>>::from_query(query)
        .map(web::Query::into_inner)
        .unwrap_or_default()
        .into_iter()
        .filter(|(name, value)| name.contains('\0') || value.contains('\0'))
        .map(|(name, _)| FieldError::new(name.replace('\0', ""), "不能包含 NUL 字符"))
        .collect();
    if in_path {
        fields.push(FieldError::new("path", "不能包含 NUL 字符"));
    }
    let err =
        ApiError::new(ErrorCode::InvalidQuery).details(serde_json::json!({ "fields": fields }));
    Ok(req.error_response(err).map_into_right_body())
}

/// The most bytes all request headers together may take (names and values).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Middleware: request headers over `MAX_HEADER_BYTES` in all are 431
/// `HEADERS_TOO_LARGE`, before anything reads them.
pub async fn refuse_large_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let size: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if size <= MAX_HEADER_BYTES {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let err = ApiError::new(ErrorCode::HeadersTooLarge)
        .details(serde_json::json!({ "limit_bytes": MAX_HEADER_BYTES }));
    Ok(req.error_response(err).map_into_right_body())
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
    /// JSON Schema's integers include `3.0` and `3e0`; a fraction is still refused.
    #[test]
    fn integral_numbers_are_integers_and_fractions_are_not() {
        assert_eq!(
            parse_json::<Body>(b"{\"quantity\": 3.0}").unwrap().quantity,
            3
        );
        assert_eq!(
            parse_json::<Body>(b"{\"quantity\": -2e2}")
                .unwrap()
                .quantity,
            -200
        );
        let err = parse_json::<Body>(b"{\"quantity\": 2.5}").unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationFailed);
        let err = parse_json::<Body>(b"{\"quantity\": 1e300}").unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationFailed);
    }
}
