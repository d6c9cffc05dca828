//! Scan-to-log-in tickets (扫码登录). A browser creates a ticket and shows its
//! code; a signed-in user confirms it in the mini-program; the browser, which
//! alone holds the ticket's secret, polls and receives a session for that
//! user once. Confirmation and hand-over are conditional updates, so each
//! happens exactly once however many instances and requests race.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use entity::{console_login_ticket as ticket, user};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::auth::jwt::JwtKeys;
use crate::auth::service::{TokenPair, start_session};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::time;

/// A confirmed ticket can still be collected this long after it expired:
/// the browser polls every couple of seconds, so this is only slack.
const HANDOVER_GRACE_SECS: i64 = 60;
/// Rows are deleted this long after they expired.
const KEEP_SECS: i64 = 3600;

fn random(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Ticket ids are 22 URL-safe characters (a valid mini-program scene).
pub fn well_formed(id: &str) -> bool {
    id.len() == 22
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub struct NewTicket {
    pub id: String,
    /// Only the creating browser knows it; polling needs it.
    pub secret: String,
    pub expires_at: DateTime<Utc>,
}

/// Creates a ticket valid `ttl_secs`, and drops those long expired.
pub async fn create(db: &DatabaseConnection, ttl_secs: i64) -> ApiResult<NewTicket> {
    let now = time::now();
    let txn = crate::db::begin_write(db).await?;
    ticket::Entity::delete_many()
        .filter(ticket::Column::ExpiresAt.lt(now - Duration::seconds(KEEP_SECS)))
        .exec(&txn)
        .await?;
    let created = NewTicket {
        id: random(16),
        secret: random(32),
        expires_at: now + Duration::seconds(ttl_secs),
    };
    ticket::ActiveModel {
        id: Set(created.id.clone()),
        secret_hash: Set(hash(&created.secret)),
        user_id: Set(None),
        created_at: Set(now),
        expires_at: Set(created.expires_at),
        confirmed_at: Set(None),
        consumed_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(created)
}

async fn find(db: &DatabaseConnection, id: &str) -> ApiResult<ticket::Model> {
    if !well_formed(id) {
        return Err(ErrorCode::LoginTicketNotFound.into());
    }
    ticket::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::LoginTicketNotFound))
}

/// Why a ticket cannot be confirmed: someone did first, or it expired.
fn refused(t: &ticket::Model, now: DateTime<Utc>) -> ApiError {
    if t.confirmed_at.is_none() && t.expires_at <= now {
        ErrorCode::LoginTicketExpired.into()
    } else {
        ErrorCode::LoginTicketUsed.into()
    }
}

/// `user_id` confirms the ticket: the first confirmation before expiry wins.
pub async fn confirm(db: &DatabaseConnection, id: &str, user_id: i64) -> ApiResult<()> {
    let found = find(db, id).await?;
    let now = time::now();
    let txn = crate::db::begin_write(db).await?;
    let changed = ticket::Entity::update_many()
        .col_expr(ticket::Column::UserId, Expr::value(user_id))
        .col_expr(ticket::Column::ConfirmedAt, Expr::value(now))
        .filter(ticket::Column::Id.eq(found.id.as_str()))
        .filter(ticket::Column::ConfirmedAt.is_null())
        .filter(ticket::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    if changed.rows_affected == 1 {
        return Ok(());
    }
    let current = find(db, id).await?;
    Err(refused(&current, now))
}

/// Where a ticket stands for the browser that holds its secret.
pub enum Polled {
    Pending {
        expires_at: DateTime<Utc>,
    },
    /// Confirmed: the session for the user who confirmed, handed over now (once).
    HandedOver(Box<TokenPair>),
}

/// The browser asks about its ticket. The first ask after confirmation
/// spends the ticket and starts the user's session in one transaction.
pub async fn poll(
    db: &DatabaseConnection,
    jwt: &JwtKeys,
    refresh_ttl_days: i64,
    id: &str,
    secret: &str,
) -> ApiResult<Polled> {
    let found = find(db, id).await?;
    // Without the secret the ticket does not exist, to anyone who merely saw the code.
    if found.secret_hash != hash(secret) {
        return Err(ErrorCode::LoginTicketNotFound.into());
    }
    let now = time::now();
    let user_id = match (found.user_id, found.confirmed_at, found.consumed_at) {
        (_, _, Some(_)) => return Err(ErrorCode::LoginTicketUsed.into()),
        (Some(user_id), Some(_), None) => user_id,
        _ if found.expires_at > now => {
            return Ok(Polled::Pending {
                expires_at: found.expires_at,
            });
        }
        _ => return Err(ErrorCode::LoginTicketExpired.into()),
    };
    if found.expires_at + Duration::seconds(HANDOVER_GRACE_SECS) <= now {
        return Err(ErrorCode::LoginTicketExpired.into());
    }
    let txn = crate::db::begin_write(db).await?;
    let spent = ticket::Entity::update_many()
        .col_expr(ticket::Column::ConsumedAt, Expr::value(now))
        .filter(ticket::Column::Id.eq(found.id.as_str()))
        .filter(ticket::Column::ConfirmedAt.is_not_null())
        .filter(ticket::Column::ConsumedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(ErrorCode::LoginTicketUsed.into());
    }
    let user = user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::LoginTicketNotFound))?;
    let pair = start_session(&txn, jwt, refresh_ttl_days, user).await?;
    txn.commit().await?;
    Ok(Polled::HandedOver(Box::new(pair)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_scene_safe_and_secrets_are_hashed() {
        let id = super::random(16);
        assert!(super::well_formed(&id), "{id}");
        assert!(!super::well_formed("short"));
        assert!(!super::well_formed(&format!("{}!", &id[..21])));
        let secret = super::random(32);
        assert_eq!(secret.len(), 43);
        assert_ne!(super::hash(&secret), secret);
    }
}
