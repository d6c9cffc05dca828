//! Publishing (now, or by the sweep at `publish_at`) and withdrawal.

use chrono::{DateTime, Utc};
use entity::notice::{self, NoticeStatus};
use entity::notice_delivery::{self, DeliveryStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::draft::administered;
use super::view::{NoticeView, view};
use super::{audience, push, targets};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::inbox::{self, Kind as InboxKind, Message};
use crate::media::MediaStore;
use crate::time;

/// Characters of a notice's text its inbox item shows.
const EXCERPT_CHARS: usize = 80;

/// Notices that may still be published (or scheduled).
const UNPUBLISHED: [NoticeStatus; 2] = [NoticeStatus::Draft, NoticeStatus::Scheduled];

/// Publishes now, or schedules when `publish_at` is in the future. A
/// publication that pushes records its recipients in the same transaction.
pub async fn publish_or_schedule(
    db: &DatabaseConnection,
    media: &MediaStore,
    me: &AuthUser,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<NoticeView> {
    let n = administered(db, me, id).await?;
    if !n.status.is_editable() {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("通知已发布或已撤回"));
    }
    if n.publish_at.is_some_and(|t| t > now) {
        let changed = notice::Entity::update_many()
            .col_expr(notice::Column::Status, Expr::value(NoticeStatus::Scheduled))
            .col_expr(notice::Column::UpdatedAt, Expr::value(now))
            .filter(notice::Column::Id.eq(id))
            .filter(notice::Column::Status.is_in(UNPUBLISHED))
            .exec(db)
            .await?;
        if changed.rows_affected != 1 {
            return Err(ErrorCode::InvalidTransition.into());
        }
    } else if !publish_one(db, id, now).await? {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("通知已发布或已撤回"));
    }
    view(db, media, find(db, id).await?).await
}

/// The start of a notice's text, for its inbox item.
fn excerpt(content: &str) -> String {
    let flat: String = content.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// Moves a draft or scheduled notice to published, once; true when this
/// call did. In the same transaction, every resident it concerns gets an
/// inbox item (one `INSERT … SELECT`; UNIQUE per resident and notice), and
/// an outage to push records its message recipients: a second instance
/// publishing at the same moment changes no row and writes nothing.
#[tracing::instrument(skip_all, fields(notice_id = id))]
pub async fn publish_one(db: &DatabaseConnection, id: i64, now: DateTime<Utc>) -> ApiResult<bool> {
    let txn = crate::db::begin_write(db).await?;
    let changed = notice::Entity::update_many()
        .col_expr(notice::Column::Status, Expr::value(NoticeStatus::Published))
        .col_expr(notice::Column::PublishedAt, Expr::value(now))
        .col_expr(notice::Column::UpdatedAt, Expr::value(now))
        .filter(notice::Column::Id.eq(id))
        .filter(notice::Column::Status.is_in(UNPUBLISHED))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Ok(false);
    }
    if let Some(n) = notice::Entity::find_by_id(id).one(&txn).await? {
        let targets = targets::load_one(&txn, id).await?;
        let message = Message::new(InboxKind::Notice, n.title.clone(), excerpt(&n.content))
            .target(serde_json::json!({ "type": "notice", "id": n.id, "kind": n.kind }))
            .once_per(format!("notice:{}", n.id));
        inbox::post_to_all(&txn, audience::residents(&n, &targets), &message, now).await?;
        if n.push && n.kind.is_outage() {
            push::enqueue(&txn, &n, &targets, now).await?;
        }
    }
    txn.commit().await?;
    Ok(true)
}

/// Hides a published or scheduled notice; messages not yet sent are not sent any more.
pub async fn withdraw_notice(
    db: &DatabaseConnection,
    media: &MediaStore,
    me: &AuthUser,
    id: i64,
) -> ApiResult<NoticeView> {
    administered(db, me, id).await?;
    let now = time::now();
    let changed = notice::Entity::update_many()
        .col_expr(notice::Column::Status, Expr::value(NoticeStatus::Withdrawn))
        .col_expr(notice::Column::UpdatedAt, Expr::value(now))
        .filter(notice::Column::Id.eq(id))
        .filter(notice::Column::Status.is_in([NoticeStatus::Scheduled, NoticeStatus::Published]))
        .exec(db)
        .await?;
    if changed.rows_affected != 1 {
        return Err(
            ApiError::new(ErrorCode::InvalidTransition).message("只有已发布或待发布的通知可以撤回")
        );
    }
    notice_delivery::Entity::update_many()
        .col_expr(
            notice_delivery::Column::Status,
            Expr::value(DeliveryStatus::Skipped),
        )
        .filter(notice_delivery::Column::NoticeId.eq(id))
        .filter(notice_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .exec(db)
        .await?;
    view(db, media, find(db, id).await?).await
}

async fn find(db: &DatabaseConnection, id: i64) -> ApiResult<notice::Model> {
    notice::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NoticeNotFound))
}
