//! The activities' background sweep: reminders the day before and the hour
//! before each session (inbox item and, where granted, a subscribe message;
//! each exactly once: a session's reminder is claimed by a conditional
//! update before anything is sent), and the no-shows of ended sessions.

use std::time::Duration;

use actix_web::web;
use chrono::{DateTime, TimeDelta, Utc};
use entity::{activity, activity_session, signup};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::error::ApiResult;
use crate::inbox::{self, Kind, Message};
use crate::signups::SignupStatus;
use crate::state::AppState;
use crate::subscriptions::sender::deliver;

/// Sessions handled per round and kind.
const BATCH: u64 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reminder {
    DayBefore,
    HourBefore,
}

impl Reminder {
    fn lead(self) -> TimeDelta {
        match self {
            Reminder::DayBefore => TimeDelta::hours(24),
            Reminder::HourBefore => TimeDelta::hours(1),
        }
    }

    fn column(self) -> activity_session::Column {
        match self {
            Reminder::DayBefore => activity_session::Column::DayRemindedAt,
            Reminder::HourBefore => activity_session::Column::HourRemindedAt,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Reminder::DayBefore => "day",
            Reminder::HourBefore => "hour",
        }
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub reminders: u64,
    pub no_shows: u64,
}

/// One round at `state.clock`'s now.
pub async fn sweep(state: &AppState) -> ApiResult<Swept> {
    let now = state.clock.now();
    let mut swept = Swept::default();
    for kind in [Reminder::DayBefore, Reminder::HourBefore] {
        swept.reminders += remind(state, kind, now).await?;
    }
    swept.no_shows = record_no_shows(&state.db, now).await?;
    Ok(swept)
}

/// Sends `kind` for every session starting within its lead time that has
/// not had it; answers how many sign-ups were reminded.
async fn remind(state: &AppState, kind: Reminder, now: DateTime<Utc>) -> ApiResult<u64> {
    let db = &state.db;
    let due = activity_session::Entity::find()
        .filter(kind.column().is_null())
        .filter(activity_session::Column::StartsAt.gt(now))
        .filter(activity_session::Column::StartsAt.lte(now + kind.lead()))
        .order_by_asc(activity_session::Column::StartsAt)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut sent = 0;
    for session in due {
        let claimed = activity_session::Entity::update_many()
            .col_expr(kind.column(), Expr::value(now))
            .filter(activity_session::Column::Id.eq(session.id))
            .filter(kind.column().is_null())
            .exec(db)
            .await?;
        if claimed.rows_affected == 0 {
            continue; // another instance has it
        }
        let Some(act) = activity::Entity::find_by_id(session.activity_id)
            .one(db)
            .await?
        else {
            continue;
        };
        let places = signup::Entity::find()
            .filter(signup::Column::SessionId.eq(session.id))
            .filter(signup::Column::Status.eq(SignupStatus::Confirmed))
            .all(db)
            .await?;
        let when = crate::time::wechat_display(session.starts_at);
        let title = match kind {
            Reminder::DayBefore => "活动明天开始",
            Reminder::HourBefore => "活动即将开始",
        };
        let messages: Vec<(i64, Message)> = places
            .iter()
            .map(|p| {
                let body = format!(
                    "{}：{} {}，地点 {}",
                    p.participant_name, act.title, when, act.place
                );
                let message = Message::new(Kind::Activity, title, body)
                    .target(serde_json::json!({ "type": "signup", "signup_id": p.id }))
                    .once_per(format!("signup-remind-{}:{}", kind.name(), p.id));
                (p.user_id, message)
            })
            .collect();
        inbox::post_each(db, messages.iter().map(|(u, m)| (*u, m))).await?;
        sent += places.len() as u64;
        let template = &state.settings.wechat.templates.activity;
        let mut told = std::collections::HashSet::new();
        for p in &places {
            // One subscribe message per resident, however many they signed up.
            if !told.insert(p.user_id) {
                continue;
            }
            let data = serde_json::json!({
                "thing1": { "value": crate::wechat::fit(&act.title, 20) },
                "time2": { "value": when },
                "thing3": { "value": crate::wechat::fit(&act.place, 20) },
            });
            let page = format!("pages/signups/detail?id={}", p.id);
            if let Err(err) = deliver(state, p.user_id, "activity", template, &page, data).await {
                tracing::warn!(error = %err.code.as_str(), "activity reminder not sent");
            }
        }
    }
    Ok(sent)
}

/// Ended sessions: every place still only confirmed becomes a no-show.
async fn record_no_shows(db: &impl ConnectionTrait, now: DateTime<Utc>) -> ApiResult<u64> {
    let ended = activity_session::Entity::find()
        .filter(activity_session::Column::ClosedAt.is_null())
        .filter(activity_session::Column::EndsAt.lte(now))
        .limit(BATCH)
        .all(db)
        .await?;
    let mut total = 0;
    for session in ended {
        let claimed = activity_session::Entity::update_many()
            .col_expr(activity_session::Column::ClosedAt, Expr::value(now))
            .filter(activity_session::Column::Id.eq(session.id))
            .filter(activity_session::Column::ClosedAt.is_null())
            .exec(db)
            .await?;
        if claimed.rows_affected == 0 {
            continue;
        }
        total += signup::Entity::update_many()
            .col_expr(signup::Column::Status, Expr::value(SignupStatus::NoShow))
            .col_expr(
                signup::Column::CheckinCode,
                Expr::value(Option::<String>::None),
            )
            .col_expr(signup::Column::UpdatedAt, Expr::value(now))
            .filter(signup::Column::SessionId.eq(session.id))
            .filter(signup::Column::Status.eq(SignupStatus::Confirmed))
            .exec(db)
            .await?
            .rows_affected;
        // Those still waiting never had a place: their sign-ups end.
        signup::Entity::update_many()
            .col_expr(signup::Column::Status, Expr::value(SignupStatus::Cancelled))
            .col_expr(signup::Column::LiveKey, Expr::value(Option::<String>::None))
            .col_expr(signup::Column::UpdatedAt, Expr::value(now))
            .filter(signup::Column::SessionId.eq(session.id))
            .filter(signup::Column::Status.eq(SignupStatus::Waiting))
            .exec(db)
            .await?;
    }
    Ok(total)
}

/// Runs [`sweep`] on every instance under the jobs supervisor.
pub fn spawn(state: web::Data<AppState>, interval: Duration) {
    crate::jobs::repeat("activity reminders", interval, move || {
        let state = state.clone();
        async move { crate::inbox::tracking::scope(&state.cache, sweep(&state)).await }
    });
}
