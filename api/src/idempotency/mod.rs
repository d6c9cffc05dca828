//! `Idempotency-Key` for `POST`s that create things (bookings, orders,
//! payments): the first request with a key does the work and its answer is
//! saved; a retry with the same key and body gets that answer again without
//! the work being done twice; the same key with another body is 422
//! `IDEMPOTENCY_KEY_REUSED`. Records live in the database (shared by every API
//! instance) for 24 hours.
//!
//! ```ignore
//! let key = idempotency::key_from(&req)?;
//! let fp = idempotency::fingerprint("POST /bookings", &body);
//! let (status, json) = idempotency::run(&state.db, me.id(), key.as_deref(), &fp, || async {
//!     Ok((StatusCode::CREATED, serde_json::to_value(create(...).await?)?))
//! })
//! .await?;
//! ```

use std::future::Future;
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use chrono::TimeDelta;
use entity::idempotency_key;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, SqlErr,
    sea_query::Expr,
};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode, ErrorDetail};
use crate::{telemetry, time};

/// The request header carrying the key.
pub const HEADER: &str = "Idempotency-Key";
/// How long a key is remembered.
pub const RETENTION: TimeDelta = TimeDelta::hours(24);
/// How long a retry waits for the first request with its key to finish.
pub const WAIT_FOR_FIRST: Duration = Duration::from_secs(5);
/// An in-progress record this old was abandoned (its request was dropped
/// mid-way); a retry takes it over instead of waiting for ever.
pub const ABANDONED_AFTER: TimeDelta = TimeDelta::seconds(60);
const POLL: Duration = Duration::from_millis(50);

const IN_PROGRESS: &str = "in_progress";
const COMPLETED: &str = "completed";

/// A key is 1-64 printable ASCII characters (no spaces).
pub fn valid_key(key: &str) -> bool {
    (1..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// The request's `Idempotency-Key`, None when absent; a malformed key is 422.
pub fn key_from(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(raw) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    match raw.to_str() {
        Ok(key) if valid_key(key) => Ok(Some(key.to_owned())),
        _ => Err(ApiError::field(
            HEADER,
            "幂等键须为 1-64 个可打印 ASCII 字符",
        )),
    }
}

/// What identifies "the same request": the route and the parsed body.
pub fn fingerprint(route: &str, body: &impl Serialize) -> String {
    let mut hasher = Sha256::new();
    hasher.update(route.as_bytes());
    hasher.update(b"\n");
    hasher.update(serde_json::to_vec(body).unwrap_or_default());
    hex::encode(hasher.finalize())
}

/// Runs `work` at most once per (user, key). Without a key it just runs.
///
/// Successful answers and final client errors (4xx other than 429) are saved
/// and replayed with the same status and body; on a server error (or 429) the
/// record is removed so a retry can try again.
pub async fn run<C, F, Fut>(
    db: &C,
    user_id: i64,
    key: Option<&str>,
    fingerprint: &str,
    work: F,
) -> ApiResult<(StatusCode, Value)>
where
    C: ConnectionTrait,
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<(StatusCode, Value)>>,
{
    let Some(key) = key else {
        return work().await;
    };
    let row_id = loop {
        match claim(db, user_id, key, fingerprint).await? {
            Claim::Mine(id) => break id,
            Claim::Answered(status, body) => return Ok((status, body)),
            // The first attempt failed and its record is gone: take over.
            Claim::Vanished => continue,
        }
    };
    let result = work().await;
    let saved = match &result {
        Ok((status, body)) => Some((*status, body.clone())),
        Err(err) if is_final(err) => Some((err.code.status(), error_json(err))),
        Err(_) => None,
    };
    match saved {
        Some((status, body)) => {
            idempotency_key::Entity::update_many()
                .col_expr(idempotency_key::Column::State, Expr::value(COMPLETED))
                .col_expr(
                    idempotency_key::Column::ResponseStatus,
                    Expr::value(i32::from(status.as_u16())),
                )
                .col_expr(
                    idempotency_key::Column::ResponseBody,
                    Expr::value(body.to_string()),
                )
                .filter(idempotency_key::Column::Id.eq(row_id))
                .exec(db)
                .await?;
        }
        None => {
            idempotency_key::Entity::delete_by_id(row_id)
                .exec(db)
                .await?;
        }
    }
    result
}

enum Claim {
    Mine(i64),
    Answered(StatusCode, Value),
    Vanished,
}

/// Inserts the in-progress record, or learns what became of an earlier one.
async fn claim(
    db: &impl ConnectionTrait,
    user_id: i64,
    key: &str,
    fingerprint: &str,
) -> ApiResult<Claim> {
    let now = time::now();
    // Expired keys go first, so a key may be reused after the retention period.
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(now - RETENTION))
        .exec(db)
        .await?;
    let inserted = idempotency_key::ActiveModel {
        user_id: Set(user_id),
        key: Set(key.to_owned()),
        request_hash: Set(fingerprint.to_owned()),
        state: Set(IN_PROGRESS.to_owned()),
        response_status: Set(None),
        response_body: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(row) => return Ok(Claim::Mine(row.id)),
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {}
        Err(err) => return Err(err.into()),
    }
    let deadline = tokio::time::Instant::now() + WAIT_FOR_FIRST;
    loop {
        let Some(row) = idempotency_key::Entity::find()
            .filter(idempotency_key::Column::UserId.eq(user_id))
            .filter(idempotency_key::Column::Key.eq(key))
            .one(db)
            .await?
        else {
            return Ok(Claim::Vanished);
        };
        if row.request_hash != fingerprint {
            return Err(ErrorCode::IdempotencyKeyReused.into());
        }
        if row.state == COMPLETED {
            return Ok(stored_answer(&row));
        }
        if row.created_at < time::now() - ABANDONED_AFTER {
            idempotency_key::Entity::delete_many()
                .filter(idempotency_key::Column::Id.eq(row.id))
                .filter(idempotency_key::Column::State.eq(IN_PROGRESS))
                .exec(db)
                .await?;
            return Ok(Claim::Vanished);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ErrorCode::IdempotencyInProgress.into());
        }
        tokio::time::sleep(POLL).await;
    }
}

fn stored_answer(row: &idempotency_key::Model) -> Claim {
    let status = row
        .response_status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let body = row
        .response_body
        .as_deref()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    Claim::Answered(status, body)
}

/// A client error that the same request would get again: worth replaying.
fn is_final(err: &ApiError) -> bool {
    let status = err.code.status();
    status.is_client_error()
        && status != StatusCode::TOO_MANY_REQUESTS
        && err.code != ErrorCode::IdempotencyInProgress
}

/// The JSON body the error answer carries, as `ApiError` renders it.
fn error_json(err: &ApiError) -> Value {
    let body = ErrorBody {
        error: ErrorDetail {
            code: err.code,
            message: err
                .message
                .clone()
                .unwrap_or_else(|| err.code.message().to_owned()),
            details: err.details.clone(),
        },
        request_id: telemetry::current_request_id(),
    };
    serde_json::to_value(body).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_printable_ascii() {
        assert!(valid_key("a"));
        assert!(valid_key(&"k".repeat(64)));
        assert!(valid_key("550e8400-e29b-41d4-a716-446655440000"));
        assert!(!valid_key(""));
        assert!(!valid_key(&"k".repeat(65)));
        assert!(!valid_key("has space"));
        assert!(!valid_key("键"));
        assert!(!valid_key("tab\t"));
    }

    #[test]
    fn fingerprints_differ_by_route_and_body() {
        let a = fingerprint("POST /bookings", &serde_json::json!({"slot_id": 1}));
        assert_eq!(
            a,
            fingerprint("POST /bookings", &serde_json::json!({"slot_id": 1}))
        );
        assert_ne!(
            a,
            fingerprint("POST /bookings", &serde_json::json!({"slot_id": 2}))
        );
        assert_ne!(
            a,
            fingerprint("POST /orders", &serde_json::json!({"slot_id": 1}))
        );
    }
}
