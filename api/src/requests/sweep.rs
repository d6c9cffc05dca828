//! The sweeps every instance runs: requests whose running clock ran out are
//! marked overdue and escalated one step, and resolutions left unrated for
//! 48 hours are rated satisfied.
//!
//! Each request is claimed with a conditional `UPDATE` that only matches the
//! row as it was read (same deadline, not yet marked, same escalation), in
//! the transaction that writes its timeline entries and messages: however
//! many instances sweep at once, each clock escalates exactly once.

use chrono::{DateTime, Utc};
use entity::request;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use super::flow::{Actor, record};
use super::{AUTO_RATE_AFTER, Ctx, Escalation, EventKind, Status};
use crate::error::ApiResult;

/// Rows claimed per round.
const BATCH: u64 = 200;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub escalated: u64,
    pub auto_rated: u64,
}

pub async fn run(db: &DatabaseConnection, ctx: Ctx<'_>) -> ApiResult<Swept> {
    Ok(Swept {
        escalated: mark_overdue(db, ctx.now).await?,
        auto_rated: rate_unrated(db, ctx.now).await?,
    })
}

/// Marks every request whose running clock ran out by `now` overdue and
/// escalates it one step; answers how many this caller claimed.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_overdue(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<u64> {
    let due = request::Entity::find()
        .filter(request::Column::Status.is_in(Status::LIVE))
        .filter(request::Column::OverdueSince.is_null())
        .filter(request::Column::DueAt.lte(now))
        .order_by_asc(request::Column::DueAt)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut escalated = 0;
    for r in due {
        let Some(due_at) = r.due_at else { continue };
        let next = Escalation::from_level(r.escalation).next();
        let txn = crate::db::begin_write(db).await?;
        let claimed = request::Entity::update_many()
            .col_expr(request::Column::OverdueSince, Expr::value(now))
            .col_expr(request::Column::Escalation, Expr::value(next.level()))
            .col_expr(request::Column::UpdatedAt, Expr::value(now))
            .filter(request::Column::Id.eq(r.id))
            .filter(request::Column::Status.eq(r.status))
            .filter(request::Column::DueAt.eq(due_at))
            .filter(request::Column::OverdueSince.is_null())
            .filter(request::Column::Escalation.eq(r.escalation))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let Some(updated) = request::Entity::find_by_id(r.id).one(&txn).await? else {
            continue;
        };
        record(
            &txn,
            &updated,
            EventKind::Overdue,
            Actor::system(),
            "",
            json!({ "status": r.status, "due_at": due_at }),
            now,
        )
        .await?;
        let from = Escalation::from_level(r.escalation);
        // At the top of the ladder a late clock is recorded, not escalated again.
        if next != from {
            record(
                &txn,
                &updated,
                EventKind::Escalated,
                Actor::system(),
                "",
                json!({ "from": from, "to": next }),
                now,
            )
            .await?;
        }
        txn.commit().await?;
        escalated += 1;
    }
    Ok(escalated)
}

/// Rates 5 (satisfied) every resolution left unrated for 48 hours by `now`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn rate_unrated(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<u64> {
    let due = request::Entity::find()
        .filter(request::Column::Status.eq(Status::Resolved))
        .filter(request::Column::ResolvedAt.lte(now - AUTO_RATE_AFTER))
        .order_by_asc(request::Column::ResolvedAt)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut rated = 0;
    for r in due {
        let txn = crate::db::begin_write(db).await?;
        let claimed = request::Entity::update_many()
            .col_expr(request::Column::Status, Expr::value(Status::Closed))
            .col_expr(request::Column::Rating, Expr::value(5i16))
            .col_expr(request::Column::RatingAuto, Expr::value(true))
            .col_expr(request::Column::RatedAt, Expr::value(now))
            .col_expr(request::Column::UpdatedAt, Expr::value(now))
            .filter(request::Column::Id.eq(r.id))
            .filter(request::Column::Status.eq(Status::Resolved))
            .filter(request::Column::ResolvedAt.eq(r.resolved_at))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let Some(updated) = request::Entity::find_by_id(r.id).one(&txn).await? else {
            continue;
        };
        record(
            &txn,
            &updated,
            EventKind::AutoRated,
            Actor::system(),
            "超过 48 小时未评价，默认满意",
            json!({ "rating": 5 }),
            now,
        )
        .await?;
        txn.commit().await?;
        rated += 1;
    }
    Ok(rated)
}
