//! `Idempotency-Key` for `POST`s that create things (bookings, orders): the
//! first request with a key does the work and its answer is saved; a retry
//! with the same key and body gets that answer again without the work being
//! done twice; the same key with another body is 422 `IDEMPOTENCY_KEY_REUSED`.
//! Records live in the database (shared by every API instance) for 24 hours.
//!
//! The record is inserted at the end of the work's own transaction, under a
//! unique (user, key) index, so work and record commit together or not at
//! all: a crash mid-request leaves nothing behind. Of two requests with one
//! key running at once, the second to insert waits for the first to commit
//! (PostgreSQL's unique index; on SQLite the write gate runs them one after
//! the other), hits the duplicate, rolls its own work back and answers with
//! the first one's answer.
//!
//! ```ignore
//! let key = IdempotencyKey::from_request(&req)?;
//! let fp = idempotency::fingerprint("POST /bookings", &body);
//! let write = match idempotency::begin(&state.db, me.id(), key.as_ref(), &fp).await? {
//!     Begun::Replay(status, body) => return Ok(HttpResponse::build(status).json(body)),
//!     Begun::Fresh(write) => write,
//! };
//! let result = create(write.txn(), ...).await.map(|v| (StatusCode::CREATED, v));
//! let (status, body) = write.finish(&state.db, result).await?;
//! ```

use std::collections::HashSet;
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use chrono::TimeDelta;
use entity::idempotency_key;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set,
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
/// An in-progress record (written by older versions, which committed the
/// record before the work) this old was abandoned; a retry takes it over.
pub const ABANDONED_AFTER: TimeDelta = TimeDelta::seconds(60);
/// How often expired records are deleted.
pub const PURGE_EVERY: Duration = Duration::from_secs(600);

const COMPLETED: &str = "completed";

/// An `Idempotency-Key` a client sent: 1-64 printable ASCII characters (no spaces).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        if (1..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err("幂等键须为 1-64 个可打印 ASCII 字符")
        }
    }

    /// The request's key, None when it sent none; a malformed key is 422.
    pub fn from_request(req: &HttpRequest) -> ApiResult<Option<Self>> {
        let Some(raw) = req.headers().get(HEADER) else {
            return Ok(None);
        };
        let parsed = raw
            .to_str()
            .map_err(|_| "幂等键须为 1-64 个可打印 ASCII 字符")
            .and_then(Self::parse);
        match parsed {
            Ok(key) => Ok(Some(key)),
            Err(message) => Err(ApiError::field(HEADER, message)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
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
    /// This request does the work, in the write's transaction.
    Fresh(IdempotentWrite),
}

/// A write transaction, and the key its answer will be saved under.
pub struct IdempotentWrite {
    txn: WriteTxn,
    key: Option<Key>,
    early: Early,
}

/// Whether the work saved its answer before its last writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Early {
    NotYet,
    Saved,
    /// A request with the same key committed first.
    Lost,
}

struct Key {
    user_id: i64,
    key: String,
    fingerprint: String,
}

/// What the database holds for a key.
enum Recorded {
    Nothing,
    Answer(StatusCode, Value),
}

/// Replays the answer of a finished request with this key, or begins the
/// write transaction for this one. Without a key it is just the transaction.
pub async fn begin(
    db: &DatabaseConnection,
    user_id: i64,
    key: Option<&IdempotencyKey>,
    fingerprint: &str,
) -> ApiResult<Begun> {
    Ok(match check(db, user_id, key, fingerprint).await? {
        Checked::Replay(status, body) => Begun::Replay(status, body),
        Checked::Fresh(answer_key) => Begun::Fresh(answer_key.begin(db).await?),
    })
}

/// What `check` found.
pub enum Checked {
    /// A request with this key already finished: its answer, to send again.
    Replay(StatusCode, Value),
    /// This request is to do the work, its answer saved under this key.
    Fresh(AnswerKey),
}

/// The key (if any) a request's answer is to be saved under. From
/// [`check`], once no answer was found for the key; or made directly with
/// [`AnswerKey::new`] by work whose batch saves answers with [`save_all`], where a
/// key already taken shows up as a conflict (and the request then goes
/// through [`check`]).
pub struct AnswerKey(Option<Key>);

impl AnswerKey {
    pub fn new(user_id: i64, key: Option<&IdempotencyKey>, fingerprint: &str) -> Self {
        AnswerKey(key.map(|key| Key {
            user_id,
            key: key.as_str().to_owned(),
            fingerprint: fingerprint.to_owned(),
        }))
    }

    /// Begins the write transaction whose answer is saved under this key.
    pub async fn begin(self, db: &DatabaseConnection) -> ApiResult<IdempotentWrite> {
        Ok(IdempotentWrite {
            txn: begin_write(db).await?,
            key: self.0,
            early: Early::NotYet,
        })
    }
}

/// Looks up the answer of a finished request with this key, without
/// beginning any transaction.
pub async fn check(
    db: &DatabaseConnection,
    user_id: i64,
    key: Option<&IdempotencyKey>,
    fingerprint: &str,
) -> ApiResult<Checked> {
    let answer_key = AnswerKey::new(user_id, key, fingerprint);
    if let Some(k) = &answer_key.0
        && let Recorded::Answer(status, body) = recorded(db, k).await?
    {
        return Ok(Checked::Replay(status, body));
    }
    Ok(Checked::Fresh(answer_key))
}

/// Inserts the answers of a batch of work, at most one per user, under
/// their keys (answers without a key are skipped), in the
/// batch's transaction. Returns the users whose key was taken already: the
/// batch is then to be rolled back and done again without them.
pub async fn save_all<'a>(
    conn: &impl ConnectionTrait,
    answers: impl IntoIterator<Item = (&'a AnswerKey, StatusCode, &'a Value)>,
) -> ApiResult<HashSet<i64>> {
    let now = time::now();
    let mut taken = HashSet::new();
    let mut rows = Vec::new();
    for (answer_key, status, body) in answers {
        if let Some(k) = &answer_key.0 {
            taken.insert(k.user_id);
            rows.push(record(k, status, body, now));
        }
    }
    if rows.is_empty() {
        return Ok(taken);
    }
    let saved = idempotency_key::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                idempotency_key::Column::UserId,
                idempotency_key::Column::Key,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_with_returning(conn)
        .await?;
    for row in saved {
        taken.remove(&row.user_id);
    }
    Ok(taken)
}

/// The answer recorded for `k`; a record past its retention, or left in
/// progress by an older version that crashed, is cleared and counts as none.
async fn recorded(db: &DatabaseConnection, k: &Key) -> ApiResult<Recorded> {
    let Some(row) = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::UserId.eq(k.user_id))
        .filter(idempotency_key::Column::Key.eq(k.key.as_str()))
        .one(db)
        .await?
    else {
        return Ok(Recorded::Nothing);
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
        return Ok(Recorded::Nothing);
    }
    if row.request_hash != k.fingerprint {
        return Err(ErrorCode::IdempotencyKeyReused.into());
    }
    if row.state != COMPLETED {
        return Err(ErrorCode::IdempotencyInProgress.into());
    }
    let (status, body) = stored_answer(&row);
    Ok(Recorded::Answer(status, body))
}

impl IdempotentWrite {
    /// The transaction the work runs in.
    pub fn txn(&self) -> &WriteTxn {
        &self.txn
    }

    /// Saves the answer before the work's last write, for work that ends on a
    /// hot row (a campaign's counters): PostgreSQL then holds that row's lock
    /// only until the commit rather than also through this insert. False when
    /// a request with the same key committed first: the work stops there, and
    /// `finish`, whatever it is given, answers with that request's answer. An
    /// error after this rolls the saved answer back with the work.
    pub async fn save_answer_early(&mut self, status: StatusCode, body: &Value) -> ApiResult<bool> {
        let Some(k) = &self.key else {
            return Ok(true);
        };
        let saved = save(&self.txn, k, status, body).await?;
        self.early = if saved { Early::Saved } else { Early::Lost };
        Ok(saved)
    }

    /// Ends the write with the work's result. Success saves the answer with
    /// the work and commits both. Any error rolls the work back; a final
    /// client error (4xx other than 429) is then saved to be replayed, while
    /// after a server error (or 429) the key stays free so a retry runs again.
    /// Should a request with the same key have committed first, its answer
    /// is the answer.
    pub async fn finish(
        self,
        db: &DatabaseConnection,
        result: ApiResult<(StatusCode, Value)>,
    ) -> ApiResult<(StatusCode, Value)> {
        let IdempotentWrite { txn, key, early } = self;
        if let (Early::Lost, Some(k)) = (early, &key) {
            txn.rollback().await?;
            return replay(db, k).await;
        }
        match (result, key) {
            (Ok(answer), None) => {
                txn.commit().await?;
                Ok(answer)
            }
            (Ok(answer), Some(_)) if early == Early::Saved => {
                txn.commit().await?;
                Ok(answer)
            }
            (Ok((status, body)), Some(k)) => {
                if save(&txn, &k, status, &body).await? {
                    txn.commit().await?;
                    Ok((status, body))
                } else {
                    txn.rollback().await?;
                    replay(db, &k).await
                }
            }
            (Err(err), key) => {
                txn.rollback().await?;
                match key {
                    Some(k) if is_final(&err) => {
                        let txn = begin_write(db).await?;
                        if save(&txn, &k, err.code.status(), &error_json(&err)).await? {
                            txn.commit().await?;
                            Err(err)
                        } else {
                            txn.rollback().await?;
                            replay(db, &k).await
                        }
                    }
                    _ => Err(err),
                }
            }
        }
    }
}

/// Inserts the answer under its key; false when the key is already taken.
async fn save(
    conn: &impl ConnectionTrait,
    k: &Key,
    status: StatusCode,
    body: &Value,
) -> ApiResult<bool> {
    match record(k, status, body, time::now()).insert(conn).await {
        Ok(_) => Ok(true),
        Err(err) if crate::db::is_duplicate(&err) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// The completed record of an answer.
fn record(
    k: &Key,
    status: StatusCode,
    body: &Value,
    now: chrono::DateTime<chrono::Utc>,
) -> idempotency_key::ActiveModel {
    idempotency_key::ActiveModel {
        user_id: Set(k.user_id),
        key: Set(k.key.clone()),
        request_hash: Set(k.fingerprint.clone()),
        state: Set(COMPLETED.to_owned()),
        response_status: Set(Some(i32::from(status.as_u16()))),
        response_body: Set(Some(body.to_string())),
        created_at: Set(now),
        ..Default::default()
    }
}

/// The answer of the request that saved `k` first.
async fn replay(db: &DatabaseConnection, k: &Key) -> ApiResult<(StatusCode, Value)> {
    match recorded(db, k).await? {
        Recorded::Answer(status, body) => Ok((status, body)),
        // It expired in between: vanishingly rare; the client may retry.
        Recorded::Nothing => Err(ErrorCode::IdempotencyInProgress.into()),
    }
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
    crate::jobs::repeat("idempotency key purge", PURGE_EVERY, move || {
        let db = db.clone();
        async move { purge_expired(&db).await }
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
        let valid = |k: &str| IdempotencyKey::parse(k).is_ok();
        assert!(valid("a"));
        assert!(valid(&"k".repeat(64)));
        assert!(valid("550e8400-e29b-41d4-a716-446655440000"));
        assert!(!valid(""));
        assert!(!valid(&"k".repeat(65)));
        assert!(!valid("has space"));
        assert!(!valid("键"));
        assert!(!valid("tab\t"));
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
