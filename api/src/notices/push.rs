//! Scheduled publishing and the outage push fan-out.
//!
//! Recipients are rows (`notice_deliveries`, UNIQUE(notice_id, user_id)),
//! written in the same transaction that publishes the notice. A sender first
//! leases a row (a conditional update setting `locked_until` on a `pending`
//! row whose lease is free), prepares the message, and only then marks it
//! `sending` and calls WeChat, so two instances never send the same row. A
//! process killed while preparing leaves a `pending` row whose lease runs
//! out: another sender takes it (nothing was sent, nothing is lost). A row
//! left `sending` may have reached WeChat, so it is marked failed rather
//! than sent again (at most one message per resident).
//! Transient WeChat errors (-1, 5xx, timeouts) put the row back to `pending`
//! with a backoff, up to `MAX_ATTEMPTS`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::notice::NoticeStatus;
use entity::notice_delivery::DeliveryStatus;
use entity::{notice, notice_delivery, subscription_grant, user};
use futures_util::StreamExt;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use super::audience;
use super::publish::publish_one;
use super::targets::{self, TargetBuildings};
use crate::error::ApiResult;
use crate::state::AppState;
use crate::wechat::{WechatError, fit};

pub const MAX_ATTEMPTS: i32 = 3;
/// A claimed row not finished within this long is considered lost.
const CLAIM_SECS: i64 = 60;
const BATCH: u64 = 200;
const PARALLEL: usize = 16;

/// Records one pending delivery per affected resident holding an `outage`
/// grant. Runs inside the publishing transaction.
pub async fn enqueue(
    txn: &impl ConnectionTrait,
    n: &notice::Model,
    targets: &TargetBuildings,
    now: DateTime<Utc>,
) -> ApiResult<u64> {
    let select = audience::residents(n, targets)
        .select_only()
        .column(user::Column::Id)
        .filter(
            user::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(subscription_grant::Column::UserId)
                    .from(subscription_grant::Entity)
                    .and_where(Expr::col(subscription_grant::Column::Topic).eq("outage"))
                    .and_where(Expr::col(subscription_grant::Column::Remaining).gt(0))
                    .to_owned(),
            ),
        );
    let users: Vec<i64> = select.into_tuple().all(txn).await?;
    for chunk in users.chunks(500) {
        let rows = chunk.iter().map(|u| notice_delivery::ActiveModel {
            notice_id: Set(n.id),
            user_id: Set(*u),
            status: Set(DeliveryStatus::Pending),
            attempts: Set(0),
            next_attempt_at: Set(now),
            locked_until: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            ..Default::default()
        });
        notice_delivery::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    notice_delivery::Column::NoticeId,
                    notice_delivery::Column::UserId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .try_insert()
            .exec(txn)
            .await?;
    }
    Ok(users.len() as u64)
}

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    pub published: u64,
    pub sent: u64,
    pub failed: u64,
    pub retried: u64,
    pub skipped: u64,
}

/// Publishes due scheduled notices and delivers owed messages, as of `now`.
pub async fn sweep(state: &AppState, now: DateTime<Utc>) -> ApiResult<SweepReport> {
    let mut report = SweepReport::default();
    let due: Vec<i64> = notice::Entity::find()
        .select_only()
        .column(notice::Column::Id)
        .filter(notice::Column::Status.eq(NoticeStatus::Scheduled))
        .filter(notice::Column::PublishAt.lte(now))
        .into_tuple()
        .all(&state.db)
        .await?;
    for id in due {
        if publish_one(&state.db, id, now).await? {
            report.published += 1;
        }
    }
    if report.published > 0 {
        crate::cache::keys::notices_changed(&state.cache).await;
    }
    // Rows a killed sender left behind: never sent twice, so failed.
    notice_delivery::Entity::update_many()
        .col_expr(
            notice_delivery::Column::Status,
            Expr::value(DeliveryStatus::Failed),
        )
        .col_expr(
            notice_delivery::Column::LastError,
            Expr::value("sender stopped mid-send"),
        )
        .filter(notice_delivery::Column::Status.eq(DeliveryStatus::Sending))
        .filter(notice_delivery::Column::LockedUntil.lt(now))
        .exec(&state.db)
        .await?;
    loop {
        let batch: Vec<notice_delivery::Model> = notice_delivery::Entity::find()
            .filter(notice_delivery::Column::Status.eq(DeliveryStatus::Pending))
            .filter(notice_delivery::Column::NextAttemptAt.lte(now))
            .filter(lease_free(now))
            .order_by_asc(notice_delivery::Column::Id)
            .limit(BATCH)
            .all(&state.db)
            .await?;
        if batch.is_empty() {
            break;
        }
        let outcomes: Vec<ApiResult<Outcome>> = futures_util::stream::iter(batch)
            .map(|row| deliver_one(state, row, now))
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        let mut progressed = false;
        for outcome in outcomes {
            match outcome? {
                Outcome::Lost => {}
                Outcome::Sent => (report.sent, progressed) = (report.sent + 1, true),
                Outcome::Failed => (report.failed, progressed) = (report.failed + 1, true),
                Outcome::Retry => (report.retried, progressed) = (report.retried + 1, true),
                Outcome::Skipped => (report.skipped, progressed) = (report.skipped + 1, true),
            }
        }
        if !progressed {
            break;
        }
    }
    Ok(report)
}

enum Outcome {
    /// Another sender claimed the row first.
    Lost,
    Sent,
    Failed,
    Retry,
    Skipped,
}

async fn finish(
    state: &AppState,
    id: i64,
    status: DeliveryStatus,
    error: Option<String>,
) -> ApiResult<()> {
    notice_delivery::Entity::update_many()
        .col_expr(notice_delivery::Column::Status, Expr::value(status))
        .col_expr(notice_delivery::Column::LastError, Expr::value(error))
        .col_expr(
            notice_delivery::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(notice_delivery::Column::Id.eq(id))
        .filter(
            notice_delivery::Column::Status
                .is_in([DeliveryStatus::Pending, DeliveryStatus::Sending]),
        )
        .filter(notice_delivery::Column::LockedUntil.is_not_null())
        .exec(&state.db)
        .await?;
    Ok(())
}

/// No sender holds the row's lease (never leased, or the lease ran out).
fn lease_free(now: DateTime<Utc>) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(notice_delivery::Column::LockedUntil.is_null())
        .add(notice_delivery::Column::LockedUntil.lt(now))
}

fn wechat_time(t: Option<DateTime<Utc>>) -> String {
    t.map(crate::time::wechat_display).unwrap_or_default()
}

#[tracing::instrument(level = "debug", skip_all, fields(notice_id = row.notice_id, user_id = row.user_id))]
async fn deliver_one(
    state: &AppState,
    row: notice_delivery::Model,
    now: DateTime<Utc>,
) -> ApiResult<Outcome> {
    // The lease: the row stays `pending` while the message is prepared.
    let claimed = notice_delivery::Entity::update_many()
        .col_expr(
            notice_delivery::Column::Attempts,
            Expr::col(notice_delivery::Column::Attempts).add(1),
        )
        .col_expr(
            notice_delivery::Column::LockedUntil,
            Expr::value(now + chrono::Duration::seconds(CLAIM_SECS)),
        )
        .filter(notice_delivery::Column::Id.eq(row.id))
        .filter(notice_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .filter(lease_free(now))
        .exec(&state.db)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(Outcome::Lost);
    }
    let attempt = row.attempts + 1;
    let template = state.settings.wechat.templates.outage.clone();
    let (Some(n), Some(openid)) = (
        notice::Entity::find_by_id(row.notice_id)
            .one(&state.db)
            .await?,
        user::Entity::find_by_id(row.user_id)
            .one(&state.db)
            .await?
            .and_then(|u| u.openid),
    ) else {
        finish(
            state,
            row.id,
            DeliveryStatus::Skipped,
            Some("notice or user gone".into()),
        )
        .await?;
        return Ok(Outcome::Skipped);
    };
    if n.status != NoticeStatus::Published || template.is_empty() {
        finish(
            state,
            row.id,
            DeliveryStatus::Skipped,
            Some("withdrawn, or no outage template configured".into()),
        )
        .await?;
        return Ok(Outcome::Skipped);
    }
    // The grant is spent on the first attempt only; retries reuse it.
    if attempt == 1 && !crate::subscriptions::consume(&state.db, row.user_id, "outage").await? {
        finish(
            state,
            row.id,
            DeliveryStatus::Skipped,
            Some("no outage grant left".into()),
        )
        .await?;
        return Ok(Outcome::Skipped);
    }
    let buildings = match targets::load_one(&state.db, n.id).await? {
        TargetBuildings::Whole => "全社区".to_owned(),
        TargetBuildings::Only(ids) => format!("{}栋楼", ids.len()),
    };
    let data = json!({
        "thing1": { "value": fit(&n.title, 20) },
        "time2": { "value": wechat_time(n.starts_at) },
        "time3": { "value": wechat_time(n.ends_at) },
        "thing4": { "value": fit(&buildings, 20) },
    });
    let page = format!("pages/notice/detail?id={}", n.id);
    // From here the message may reach WeChat: a row left `sending` is never
    // sent again.
    notice_delivery::Entity::update_many()
        .col_expr(
            notice_delivery::Column::Status,
            Expr::value(DeliveryStatus::Sending),
        )
        .filter(notice_delivery::Column::Id.eq(row.id))
        .filter(notice_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .exec(&state.db)
        .await?;
    match state
        .wechat
        .send_subscribe_message(&openid, &template, &page, data)
        .await
    {
        Ok(()) => {
            finish(state, row.id, DeliveryStatus::Sent, None).await?;
            Ok(Outcome::Sent)
        }
        Err(WechatError::Refused) => {
            crate::subscriptions::zero(&state.db, row.user_id, "outage").await?;
            finish(
                state,
                row.id,
                DeliveryStatus::Failed,
                Some("43101: refused or no quota".into()),
            )
            .await?;
            Ok(Outcome::Failed)
        }
        Err(err @ WechatError::Unavailable(_)) if attempt < MAX_ATTEMPTS => {
            let backoff = chrono::Duration::seconds(2i64.pow(attempt as u32));
            notice_delivery::Entity::update_many()
                .col_expr(
                    notice_delivery::Column::Status,
                    Expr::value(DeliveryStatus::Pending),
                )
                .col_expr(
                    notice_delivery::Column::NextAttemptAt,
                    Expr::value(now + backoff),
                )
                .col_expr(
                    notice_delivery::Column::LockedUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(
                    notice_delivery::Column::LastError,
                    Expr::value(err.to_string()),
                )
                .filter(notice_delivery::Column::Id.eq(row.id))
                .filter(notice_delivery::Column::Status.eq(DeliveryStatus::Sending))
                .exec(&state.db)
                .await?;
            Ok(Outcome::Retry)
        }
        Err(err) => {
            finish(state, row.id, DeliveryStatus::Failed, Some(err.to_string())).await?;
            Ok(Outcome::Failed)
        }
    }
}

/// Runs the sweep in the background every `interval`.
pub fn spawn(state: actix_web::web::Data<AppState>, interval: Duration) {
    crate::jobs::repeat("notice sweep", interval, move || {
        let state = state.clone();
        async move { sweep(&state, crate::time::now()).await }
    });
}
