//! Residents signing up (themselves or a family member), cancelling, and
//! reading their sign-ups. Places come from the `signups` engine.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use chrono::{DateTime, Datelike, TimeDelta, Utc};
use entity::activity::{self, ActivityStatus};
use entity::{activity_community, activity_session, signup};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::birth_dates::{age_on, verified};
use super::service::find_session;
use crate::auth::{AuthUser, Role};
use crate::community_links::communities_of_one;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::idempotency::{self, Begun, IdempotencyKey};
use crate::inbox::{self, Kind, Message};
use crate::pagination::{Page, Paged};
use crate::signups::{self, Participant, SignupStatus};

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct NewSignup {
    /// One of the caller's family members (the caller signs up as guardian);
    /// absent: the caller themselves.
    pub family_member_id: Option<i64>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SignupView {
    pub id: i64,
    pub session_id: i64,
    pub activity_id: i64,
    pub activity_title: String,
    pub place: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub participant_name: String,
    pub family_member_id: Option<i64>,
    pub status: SignupStatus,
    /// On the waiting list: 1 = next to get a place.
    pub waiting_position: Option<u64>,
    /// The one-time code the organiser scans (to the resident, while confirmed).
    pub checkin_code: Option<String>,
    pub checked_in_at: Option<DateTime<Utc>>,
    /// `code`, `scan` or `roster`.
    pub checkin_method: Option<String>,
    /// Points the activity awards for attending.
    pub points: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SignupQuery {
    pub status: Option<SignupStatus>,
}

/// Views of `rows` (their sessions and activities read in two queries).
pub async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<signup::Model>,
) -> ApiResult<Vec<SignupView>> {
    let session_ids: Vec<i64> = rows.iter().map(|r| r.session_id).collect();
    let activity_ids: Vec<i64> = rows.iter().map(|r| r.activity_id).collect();
    let sessions: HashMap<i64, activity_session::Model> = activity_session::Entity::find()
        .filter(activity_session::Column::Id.is_in(session_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let activities: HashMap<i64, activity::Model> = activity::Entity::find()
        .filter(activity::Column::Id.is_in(activity_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let (Some(s), Some(a)) = (sessions.get(&r.session_id), activities.get(&r.activity_id))
        else {
            continue;
        };
        out.push(SignupView {
            waiting_position: signups::waiting_position(db, &r).await?,
            id: r.id,
            session_id: r.session_id,
            activity_id: r.activity_id,
            activity_title: a.title.clone(),
            place: a.place.clone(),
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            participant_name: r.participant_name,
            family_member_id: r.family_member_id,
            status: r.status,
            checkin_code: r
                .checkin_code
                .filter(|_| r.status == SignupStatus::Confirmed),
            checked_in_at: r.checked_in_at,
            checkin_method: r.checkin_method,
            points: a.points,
            created_at: r.created_at,
        });
    }
    Ok(out)
}

pub async fn one_view(db: &impl ConnectionTrait, row: signup::Model) -> ApiResult<SignupView> {
    views(db, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ApiError::new(ErrorCode::SignupNotFound))
}

/// 409 `NOT_ELIGIBLE` (with `details.reason`) unless the participant may join.
fn not_eligible(reason: &str, message: &str) -> ApiError {
    ApiError::new(ErrorCode::NotEligible)
        .message(message)
        .details(serde_json::json!({ "reason": reason }))
}

/// Signs up once per `Idempotency-Key`: a retry with the same body gets the
/// first answer again and takes no second place.
pub async fn sign_up(
    db: &DatabaseConnection,
    me: &AuthUser,
    session_id: i64,
    new: NewSignup,
    key: Option<IdempotencyKey>,
    now: DateTime<Utc>,
) -> ApiResult<(StatusCode, Value)> {
    me.require(Role::Resident)?;
    let route = format!("POST /activity-sessions/{session_id}/signups");
    let fingerprint = idempotency::fingerprint(&route, &new);
    let write = match idempotency::begin(db, me.id(), key.as_ref(), &fingerprint).await? {
        Begun::Replay(status, json) => return Ok((status, json)),
        Begun::Fresh(write) => write,
    };
    let created = create(write.txn(), me, session_id, &new, now)
        .await
        .and_then(|v| Ok((StatusCode::CREATED, serde_json::to_value(v)?)));
    write.finish(db, created).await
}

async fn create(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    session_id: i64,
    new: &NewSignup,
    now: DateTime<Utc>,
) -> ApiResult<SignupView> {
    let (session, found) = find_session(db, session_id).await?;
    let (participant, age) = match new.family_member_id {
        Some(id) => {
            let member = super::family::own(db, me, id).await?;
            let who = Participant {
                user_id: me.id(),
                family_member_id: Some(member.id),
                name: member.name,
            };
            // Only the birth year is known: the age reached this year.
            (who, Some(now.year() - member.birth_year))
        }
        None => {
            let who = Participant {
                user_id: me.id(),
                family_member_id: None,
                name: me.user.nickname.clone(),
            };
            let born = verified(db, me.id()).await?;
            (who, born.map(|b| age_on(b, now.date_naive())))
        }
    };
    if found.status != ActivityStatus::Published
        || now < found.signup_opens_at
        || now >= found.signup_closes_at
        || session.starts_at <= now
    {
        return Err(
            ApiError::new(ErrorCode::SignupClosed).details(serde_json::json!({
                "signup_opens_at": found.signup_opens_at,
                "signup_closes_at": found.signup_closes_at,
            })),
        );
    }
    let open_to = communities_of_one::<activity_community::Entity>(db, found.id).await?;
    if !me.user.community_id.is_some_and(|c| open_to.contains(&c)) {
        return Err(not_eligible("community", "该活动只面向指定社区的居民"));
    }
    if found.min_age.is_some() || found.max_age.is_some() {
        let Some(age) = age else {
            return Err(not_eligible(
                "age_unverified",
                "该活动有年龄要求，请先由社区或网格员核实出生日期",
            ));
        };
        if found.min_age.is_some_and(|lo| age < lo) || found.max_age.is_some_and(|hi| age > hi) {
            return Err(not_eligible("age", "年龄不符合该活动的要求"));
        }
    }
    let saved =
        signups::sign_up(db, session.id, found.id, found.waitlist, &participant, now).await?;
    // Built from what is in hand: the session's row is locked until commit.
    Ok(SignupView {
        waiting_position: signups::waiting_position(db, &saved).await?,
        id: saved.id,
        session_id: session.id,
        activity_id: found.id,
        activity_title: found.title,
        place: found.place,
        starts_at: session.starts_at,
        ends_at: session.ends_at,
        participant_name: saved.participant_name,
        family_member_id: saved.family_member_id,
        status: saved.status,
        checkin_code: saved.checkin_code,
        checked_in_at: None,
        checkin_method: None,
        points: found.points,
        created_at: saved.created_at,
    })
}

/// The caller's sign-up, or 404 `SIGNUP_NOT_FOUND` (another resident's too).
pub async fn own(db: &impl ConnectionTrait, me: &AuthUser, id: i64) -> ApiResult<signup::Model> {
    signup::Entity::find_by_id(id)
        .filter(signup::Column::UserId.eq(me.id()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::SignupNotFound))
}

/// Cancels the caller's sign-up before the activity's cut-off; a place it
/// held goes at once to the first one waiting, who is told in their inbox.
pub async fn cancel(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<SignupView> {
    let found = own(db, me, id).await?;
    let (session, act) = find_session(db, found.session_id).await?;
    let cutoff = session
        .starts_at
        .checked_sub_signed(TimeDelta::minutes(i64::from(act.cancel_cutoff_minutes)))
        .unwrap_or(session.starts_at);
    if now >= cutoff {
        return Err(ApiError::new(ErrorCode::CancelCutoffPassed)
            .details(serde_json::json!({ "cancel_until": cutoff })));
    }
    let txn = crate::db::begin_write(db).await?;
    let promoted = signups::cancel(&*txn, &found, now).await?;
    if let Some(p) = &promoted {
        let message = Message::new(
            Kind::Activity,
            "候补成功",
            format!(
                "{} 已获得「{}」{} 的名额",
                p.participant_name,
                act.title,
                crate::time::wechat_display(session.starts_at)
            ),
        )
        .target(serde_json::json!({ "type": "signup", "signup_id": p.id }))
        .once_per(format!("signup-promoted:{}", p.id));
        inbox::post(&*txn, p.user_id, message).await?;
    }
    txn.commit().await?;
    one_view(db, own(db, me, id).await?).await
}

/// The caller's sign-ups, newest first.
pub async fn list_mine(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    status: Option<SignupStatus>,
    page: Page,
) -> ApiResult<Paged<SignupView>> {
    let mut query = signup::Entity::find().filter(signup::Column::UserId.eq(me.id()));
    if let Some(s) = status {
        query = query.filter(signup::Column::Status.eq(s));
    }
    page.fetch(db, query.order_by_desc(signup::Column::Id))
        .await?
        .map_batch(|rows| views(db, rows))
        .await
}
