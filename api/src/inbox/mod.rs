//! The inbox (站内信): every event that is or could be a subscribe message
//! also leaves an item for its recipient, written by [`post`] (or
//! [`post_many`]) with the event's own connection, so the item commits or
//! rolls back with the event.
//!
//! - `service`: the recipient's list, unread count and marking read;
//! - `routes`: `/me/messages...`;
//! - `tracking`: which cached unread counts a request or job must drop
//!   once its writes have committed.
//!
//! Unread counts are cached per user (`cache::keys::inbox_unread`). A write
//! drops the recipient's count after its transaction commits: [`post`]
//! notes the recipient in the running request's (or job round's)
//! [`tracking`] scope, and the scope drops the noted counts when the request
//! or round is over. Notices reach whole communities: their items are not
//! noted one by one; publishing a notice drops every cached count at once
//! (`cache::keys::notices_changed`).

pub mod routes;
pub mod service;
pub mod tracking;

use chrono::{DateTime, Utc};
pub use entity::inbox_message::InboxKind as Kind;
use entity::inbox_message::{self, InboxKind};
use entity::user;
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ActiveEnum, ConnectionTrait, EntityTrait, QuerySelect, QueryTrait, Select, Set};
use serde_json::Value;

pub use self::routes::configure;
use crate::error::ApiResult;

/// Longest title and body stored (characters); longer text is cut.
const TITLE_CHARS: usize = 64;
const BODY_CHARS: usize = 512;
/// Rows per INSERT: well under SQLite's bound-variable limit.
const BATCH: usize = 300;

/// One message, before it is addressed.
#[derive(Clone, Debug)]
pub struct Message {
    pub kind: InboxKind,
    pub title: String,
    pub body: String,
    /// What the client opens: `{"type": "order", "order_no": "..."}`.
    pub target: Option<Value>,
    /// For events that may be recorded twice: one item per recipient and key.
    pub dedupe_key: Option<String>,
}

impl Message {
    pub fn new(kind: InboxKind, title: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            kind,
            title: title.into(),
            body: body.into(),
            target: None,
            dedupe_key: None,
        }
    }

    pub fn target(mut self, target: Value) -> Self {
        self.target = Some(target);
        self
    }

    pub fn once_per(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    fn row(&self, user_id: i64, now: DateTime<Utc>) -> inbox_message::ActiveModel {
        inbox_message::ActiveModel {
            user_id: Set(user_id),
            kind: Set(self.kind),
            title: Set(fit(&self.title, TITLE_CHARS)),
            body: Set(fit(&self.body, BODY_CHARS)),
            target: Set(self.target.clone()),
            dedupe_key: Set(self.dedupe_key.clone()),
            created_at: Set(now),
            read_at: Set(None),
            ..Default::default()
        }
    }
}

/// Writes `message` to `user_id`'s inbox with the event's connection (its
/// transaction), and drops their cached unread count once the request or
/// job round is over.
pub async fn post(conn: &impl ConnectionTrait, user_id: i64, message: Message) -> ApiResult<()> {
    post_many(conn, &[user_id], message).await
}

/// [`post`] to each of `users`, in batched inserts; a user already holding
/// the message's `dedupe_key` is skipped.
pub async fn post_many(
    conn: &impl ConnectionTrait,
    users: &[i64],
    message: Message,
) -> ApiResult<()> {
    post_each(conn, users.iter().map(|u| (*u, &message))).await
}

/// Writes each `(user, message)` pair, in batched inserts.
pub async fn post_each<'m>(
    conn: &impl ConnectionTrait,
    items: impl IntoIterator<Item = (i64, &'m Message)>,
) -> ApiResult<()> {
    let now = crate::time::now();
    let rows: Vec<(i64, inbox_message::ActiveModel)> = items
        .into_iter()
        .map(|(user, message)| (user, message.row(user, now)))
        .collect();
    for chunk in rows.chunks(BATCH) {
        inbox_message::Entity::insert_many(chunk.iter().map(|(_, row)| row.clone()))
            .on_conflict(
                OnConflict::columns([
                    inbox_message::Column::UserId,
                    inbox_message::Column::DedupeKey,
                ])
                .do_nothing()
                .to_owned(),
            )
            .try_insert()
            .exec(conn)
            .await?;
    }
    let users: Vec<i64> = rows.iter().map(|(user, _)| *user).collect();
    tracking::note(&users);
    Ok(())
}

/// Writes `message` to every user `recipients` selects (a query of `users`
/// rows), in one `INSERT … SELECT`, skipping whoever already holds its
/// dedupe key; answers how many were written. Their counts are not noted
/// one by one: the caller drops them all at once (a notice:
/// `cache::keys::notices_changed`).
pub(crate) async fn post_to_all(
    conn: &impl ConnectionTrait,
    recipients: Select<user::Entity>,
    message: &Message,
    now: DateTime<Utc>,
) -> ApiResult<u64> {
    let rows = recipients
        .select_only()
        .column(user::Column::Id)
        .expr(Expr::val(message.kind.to_value()))
        .expr(Expr::val(fit(&message.title, TITLE_CHARS)))
        .expr(Expr::val(fit(&message.body, BODY_CHARS)))
        .expr(Expr::val(message.target.clone()))
        .expr(Expr::val(message.dedupe_key.clone()))
        .expr(Expr::val(now))
        .into_query();
    let mut insert = Query::insert();
    insert
        .into_table(inbox_message::Entity)
        .columns([
            inbox_message::Column::UserId,
            inbox_message::Column::Kind,
            inbox_message::Column::Title,
            inbox_message::Column::Body,
            inbox_message::Column::Target,
            inbox_message::Column::DedupeKey,
            inbox_message::Column::CreatedAt,
        ])
        .select_from(rows)
        .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?
        .on_conflict(
            OnConflict::columns([
                inbox_message::Column::UserId,
                inbox_message::Column::DedupeKey,
            ])
            .do_nothing()
            .to_owned(),
        );
    Ok(conn.execute(&insert).await?.rows_affected())
}

fn fit(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}
