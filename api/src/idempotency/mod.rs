//! `Idempotency-Key` for `POST`s that create things (bookings, orders): the
//! first request with a key does the work and its answer is saved; a retry
//! with the same key and body gets that answer again without the work being
//! done twice; the same key with another body is 422 `IDEMPOTENCY_KEY_REUSED`.
//! Records live in the database (shared by every API instance) for 24 hours.
//!
//! The record is written in the same transaction as the work, so the two
//! commit or vanish together: a crash mid-request leaves nothing behind, and a
//! concurrent request with the same key waits on the database (PostgreSQL's
//! unique index, SQLite's write gate) until the first commits, then replays
//! its answer.
//!
//! ```ignore
//! let key = idempotency::key_from(&req)?;
//! let fp = idempotency::fingerprint("POST /bookings", &body);
//! let attempt = match idempotency::begin(&state.db, me.id(), key.as_deref(), &fp).await? {
//!     Begun::Replay(status, body) => return Ok(HttpResponse::build(status).json(body)),
//!     Begun::Fresh(attempt) => attempt,
//! };
//! let result = create(attempt.txn(), ...).await.map(|v| (StatusCode::CREATED, v));
//! let (status, body) = attempt.finish(&state.db, result).await?;
//! ```

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use chrono::TimeDelta;
use entity::idempotency_key;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set, SqlErr, sea_query::Expr,
};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::db::{WriteTxn, begin_write};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode, ErrorDetail};
use crate::{telemetry, time};

/// The request header carrying the key.
pub const HEADER: &str = "Idempotency-Key";
/// How long a key is remembered.
pub const RETENTION: TimeDelta = TimeDelta::hours(24);
/// An in-progress record (written by versions that committed the record
/// before the work) this old was abandoned; a retry takes it over.
pub const ABANDONED_AFTER: TimeDelta = TimeDelta::seconds(60);
/// How often expired records are deleted.
pub const PURGE_EVERY: Duration = Duration::from_secs(600);

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

/// What `begin` found.
pub enum Begun {
    /// A request with this key already finished: its answer, to send again.
    Replay(StatusCode, Value),
    /// This request does the work, in the attempt's transaction.
    Fresh(Attempt),
}

/// A write transaction holding the (uncommitted) record of its key, if any.
pub struct Attempt {
    txn: WriteTxn,
    claim: Option<Claim>,
}

struct Claim {
    row_id: i64,
    user_id: i64,
    key: String,
    fingerprint: String,
}

/// Begins the write transaction for a request and claims its key in it.
/// Without a key it is just the transaction.
pub async fn begin(
    db: &DatabaseConnection,
    user_id: i64,
    key: Option<&str>,
    fingerprint: &str,
) -> ApiResult<Begun> {
    let Some(key) = key else {
        return Ok(Begun::Fresh(Attempt {
            txn: begin_write(db).await?,
            claim: None,
        }));
    };
    // A record that expires or is abandoned between our tries is cleared and
    // the key claimed again; a few rounds settle any such race.
    for _ in 0..3 {
        let txn = begin_write(db).await?;
        let inserted = idempotency_key::ActiveModel {
            user_id: Set(user_id),
            key: Set(key.to_owned()),
            request_hash: Set(fingerprint.to_owned()),
            state: Set(IN_PROGRESS.to_owned()),
            response_status: Set(None),
            response_body: Set(None),
            created_at: Set(time::now()),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        match inserted {
            Ok(row) => {
                return Ok(Begun::Fresh(Attempt {
                    txn,
                    claim: Some(Claim {
                        row_id: row.id,
                        user_id,
                        key: key.to_owned(),
                        fingerprint: fingerprint.to_owned(),
                    }),
                }));
            }
            Err(err) if is_duplicate(&err) => txn.rollback().await?,
            Err(err) => return Err(err.into()),
        }
        // A request with this key committed before us.
        let Some(row) = idempotency_key::Entity::find()
            .filter(idempotency_key::Column::UserId.eq(user_id))
            .filter(idempotency_key::Column::Key.eq(key))
            .one(db)
            .await?
        else {
            continue;
        };
        let now = time::now();
        let expired = row.created_at < now - RETENTION;
        let abandoned = row.state != COMPLETED && row.created_at < now - ABANDONED_AFTER;
        if expired || abandoned {
            idempotency_key::Entity::delete_many()
                .filter(idempotency_key::Column::Id.eq(row.id))
                .filter(idempotency_key::Column::CreatedAt.eq(row.created_at))
                .exec(db)
                .await?;
            continue;
        }
        if row.request_hash != fingerprint {
            return Err(ErrorCode::IdempotencyKeyReused.into());
        }
        if row.state == COMPLETED {
            let (status, body) = stored_answer(&row);
            return Ok(Begun::Replay(status, body));
        }
        return Err(ErrorCode::IdempotencyInProgress.into());
    }
    Err(ErrorCode::IdempotencyInProgress.into())
}

impl Attempt {
    /// The transaction the work runs in.
    pub fn txn(&self) -> &WriteTxn {
        &self.txn
    }

    /// Ends the attempt with the work's result. Success saves the answer with
    /// the work and commits both. Any error rolls the work back; a final
    /// client error (4xx other than 429) is then saved to be replayed, while
    /// after a server error (or 429) the key stays free so a retry runs again.
    pub async fn finish(
        self,
        db: &DatabaseConnection,
        result: ApiResult<(StatusCode, Value)>,
    ) -> ApiResult<(StatusCode, Value)> {
        let Attempt { txn, claim } = self;
        let (status, body) = match result {
            Ok(answer) => answer,
            Err(err) => {
                txn.rollback().await?;
                if let Some(claim) = claim.filter(|_| is_final(&err)) {
                    save_error(db, &claim, &err).await?;
                }
                return Err(err);
            }
        };
        if let Some(claim) = claim {
            complete(&txn, claim.row_id, status, &body).await?;
        }
        txn.commit().await?;
        Ok((status, body))
    }
}

async fn complete(
    conn: &impl ConnectionTrait,
    row_id: i64,
    status: StatusCode,
    body: &Value,
) -> Result<(), DbErr> {
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
        .exec(conn)
        .await?;
    Ok(())
}

/// Records a final error answer once the work is rolled back. Should a
/// request with the same key have committed meanwhile, its answer stands.
async fn save_error(db: &DatabaseConnection, claim: &Claim, err: &ApiError) -> ApiResult<()> {
    let txn = begin_write(db).await?;
    let saved = idempotency_key::ActiveModel {
        user_id: Set(claim.user_id),
        key: Set(claim.key.clone()),
        request_hash: Set(claim.fingerprint.clone()),
        state: Set(COMPLETED.to_owned()),
        response_status: Set(Some(i32::from(err.code.status().as_u16()))),
        response_body: Set(Some(error_json(err).to_string())),
        created_at: Set(time::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    match saved {
        Ok(_) => txn.commit().await?,
        Err(e) if is_duplicate(&e) => txn.rollback().await?,
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

fn is_duplicate(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Deletes the records past their retention.
pub async fn purge_expired(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let deleted = idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(time::now() - RETENTION))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// Runs `purge_expired` in the background every `PURGE_EVERY`.
pub fn spawn_purge(db: DatabaseConnection) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PURGE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(err) = purge_expired(&db).await {
                tracing::warn!(error = %err, "purging expired idempotency keys failed; will retry");
            }
        }
    });
}

fn stored_answer(row: &idempotency_key::Model) -> (StatusCode, Value) {
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
    (status, body)
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
