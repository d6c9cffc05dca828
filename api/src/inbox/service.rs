//! The recipient's side of the inbox: the list (newest first, by cursor),
//! the unread count, and marking read. Every query is scoped to the caller.

use chrono::{DateTime, Utc};
use entity::inbox_message::{self, InboxKind};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// `true`: unread messages only; `false`: read ones only.
    pub unread: Option<bool>,
    /// `next_cursor` of the previous page; absent for the newest messages.
    #[param(pattern = r"^[1-9][0-9]{0,17}$")]
    pub cursor: Option<String>,
    /// Items per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u64>,
}

/// One message of the caller's inbox.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MessageView {
    pub id: i64,
    pub kind: InboxKind,
    pub title: String,
    pub body: String,
    /// What the message is about, for the client to open (`{"type": "order", "order_no": "..."}`).
    #[schema(value_type = Option<Object>)]
    pub target: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl From<inbox_message::Model> for MessageView {
    fn from(m: inbox_message::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            title: m.title,
            body: m.body,
            target: m.target,
            created_at: m.created_at,
            read_at: m.read_at,
        }
    }
}

/// A page of messages, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MessagePage {
    pub items: Vec<MessageView>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The unread count.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
pub struct UnreadCount {
    pub unread: u64,
}

/// What marking read changed.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
pub struct MarkedRead {
    /// Messages that were unread and now are read.
    pub marked: u64,
}

/// The query read and checked: the cursor is the id of the last message seen.
fn checked(q: &MessagesQuery) -> ApiResult<(Option<i64>, u64)> {
    let mut errors = Vec::new();
    let cursor = match q.cursor.as_deref() {
        None => None,
        Some(c) => match c.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                errors.push(FieldError::new("cursor", "游标无效"));
                None
            }
        },
    };
    let size = q.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if size == 0 || size > MAX_PAGE_SIZE {
        errors.push(FieldError::new("page_size", "每页条数须在 1-100 之间"));
    }
    if errors.is_empty() {
        Ok((cursor, size))
    } else {
        Err(ApiError::invalid_query(errors))
    }
}

/// The caller's messages, newest first, older than the cursor.
pub async fn list(
    db: &impl ConnectionTrait,
    user_id: i64,
    q: &MessagesQuery,
) -> ApiResult<MessagePage> {
    let (cursor, size) = checked(q)?;
    let mut select =
        inbox_message::Entity::find().filter(inbox_message::Column::UserId.eq(user_id));
    if let Some(before) = cursor {
        select = select.filter(inbox_message::Column::Id.lt(before));
    }
    select = match q.unread {
        Some(true) => select.filter(inbox_message::Column::ReadAt.is_null()),
        Some(false) => select.filter(inbox_message::Column::ReadAt.is_not_null()),
        None => select,
    };
    // One more than asked: whether there is a next page.
    let mut rows = select
        .order_by_desc(inbox_message::Column::Id)
        .limit(size + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > size;
    rows.truncate(size as usize);
    let next_cursor = more
        .then(|| rows.last().map(|m| m.id.to_string()))
        .flatten();
    Ok(MessagePage {
        items: rows.into_iter().map(MessageView::from).collect(),
        next_cursor,
    })
}

/// The caller's unread messages, counted in the database.
pub async fn count_unread(db: &impl ConnectionTrait, user_id: i64) -> ApiResult<UnreadCount> {
    let unread = inbox_message::Entity::find()
        .filter(inbox_message::Column::UserId.eq(user_id))
        .filter(inbox_message::Column::ReadAt.is_null())
        .count(db)
        .await?;
    Ok(UnreadCount { unread })
}

/// Marks one of the caller's messages read (again: no change); another's is 404.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    user_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<MessageView> {
    inbox_message::Entity::update_many()
        .col_expr(inbox_message::Column::ReadAt, Expr::value(now))
        .filter(inbox_message::Column::Id.eq(id))
        .filter(inbox_message::Column::UserId.eq(user_id))
        .filter(inbox_message::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    inbox_message::Entity::find_by_id(id)
        .filter(inbox_message::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .map(MessageView::from)
        .ok_or_else(|| ApiError::new(ErrorCode::MessageNotFound))
}

/// Marks every unread message of the caller read.
pub async fn mark_all_read(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<MarkedRead> {
    let done = inbox_message::Entity::update_many()
        .col_expr(inbox_message::Column::ReadAt, Expr::value(now))
        .filter(inbox_message::Column::UserId.eq(user_id))
        .filter(inbox_message::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(MarkedRead {
        marked: done.rows_affected,
    })
}
