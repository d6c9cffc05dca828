//! Publishing activities (who may run a community's activities), and
//! reading them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::activity::{self, ActivityStatus};
use entity::{activity_community, activity_organiser, activity_session, signup};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::draft::{ActivityDraft, NewActivity};
use crate::auth::{AuthUser, Role};
use crate::community_links::{self, communities_of, communities_of_one, linked_to};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::media::MediaStore;
use crate::pagination::{Page, Paged};
use crate::signups::SignupStatus;
use crate::uploads::Purpose;
use crate::uploads::refs::{self, Resolver};

/// Whether the caller may publish and run `community_id`'s activities: its
/// admin (a platform admin: any), or an organiser it authorised.
pub async fn may_run(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    community_id: i64,
) -> ApiResult<bool> {
    if me.has(Role::PlatformAdmin) || me.has(Role::CommunityAdmin) {
        if let Some(own) = me.admin_communities(db).await? {
            if own.contains(&community_id) {
                return Ok(true);
            }
        } else {
            return Ok(true);
        }
    }
    Ok(
        activity_organiser::Entity::find_by_id((community_id, me.id()))
            .one(db)
            .await?
            .is_some(),
    )
}

/// 403 unless the caller runs some community's activities (an admin, or
/// an authorised organiser): checked before the body is read.
pub async fn require_any_runner(db: &impl ConnectionTrait, me: &AuthUser) -> ApiResult<()> {
    if me.has(Role::PlatformAdmin) || me.has(Role::CommunityAdmin) {
        return Ok(());
    }
    let organises = activity_organiser::Entity::find()
        .filter(activity_organiser::Column::UserId.eq(me.id()))
        .one(db)
        .await?
        .is_some();
    if organises {
        Ok(())
    } else {
        Err(ErrorCode::Forbidden.into())
    }
}

/// 403 unless [`may_run`].
pub async fn require_runner(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    community_id: i64,
) -> ApiResult<()> {
    if may_run(db, me, community_id).await? {
        Ok(())
    } else {
        Err(ErrorCode::Forbidden.into())
    }
}

/// A session as residents and organisers see it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    /// Places held.
    pub taken: i32,
    pub remaining: i32,
    /// Names on the waiting list.
    pub waiting: u64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ActivityView {
    pub id: i64,
    pub community_id: i64,
    /// Communities whose residents may join.
    pub community_ids: Vec<i64>,
    pub title: String,
    pub description: String,
    /// Image URLs.
    pub images: Vec<String>,
    pub place: String,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub capacity: i32,
    pub signup_opens_at: DateTime<Utc>,
    pub signup_closes_at: DateTime<Utc>,
    pub cancel_cutoff_minutes: i32,
    pub waitlist: bool,
    /// Points for attending.
    pub points: i32,
    pub status: ActivityStatus,
    /// Every session, in time order (in lists: only the next one still to start, if any).
    pub sessions: Vec<SessionView>,
    pub session_count: u64,
    pub created_at: DateTime<Utc>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Activities open to this community's residents.
    pub community_id: Option<i64>,
}

/// Publishes an activity with its sessions, in the caller's transaction.
pub async fn create(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    new: &NewActivity,
    now: DateTime<Utc>,
) -> ApiResult<activity::Model> {
    require_runner(db, me, new.community_id).await?;
    let draft = ActivityDraft::parse(new, now)?;
    let mut errors = crate::fields::FieldErrors::default();
    let ids =
        community_links::check_community_ids(db, &mut errors, &draft.community_ids, 50).await?;
    errors.finish()?;
    for c in &ids {
        if !may_run(db, me, *c).await? {
            return Err(ApiError::new(ErrorCode::Forbidden)
                .message("只能向自己管理的社区开放活动")
                .details(serde_json::json!({ "community_id": c })));
        }
    }
    refs::claim_all(db, me.id(), Purpose::NoticeImage, "images", &draft.images).await?;
    let saved = activity::ActiveModel {
        community_id: Set(new.community_id),
        title: Set(draft.title),
        description: Set(draft.description),
        images: Set(refs::to_json(&draft.images)),
        place: Set(draft.place),
        min_age: Set(draft.min_age),
        max_age: Set(draft.max_age),
        capacity: Set(draft.capacity),
        signup_opens_at: Set(draft.signup_opens_at),
        signup_closes_at: Set(draft.signup_closes_at),
        cancel_cutoff_minutes: Set(draft.cancel_cutoff_minutes),
        waitlist: Set(draft.waitlist),
        points: Set(draft.points),
        status: Set(ActivityStatus::Published),
        created_by: Set(me.id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    community_links::link::<activity_community::Entity>(db, saved.id, &ids).await?;
    let sessions = draft.windows.iter().map(|w| activity_session::ActiveModel {
        activity_id: Set(saved.id),
        starts_at: Set(w.starts_at),
        ends_at: Set(w.ends_at),
        capacity: Set(draft.capacity),
        taken: Set(0),
        checkin_secret: Set(new_secret()),
        day_reminded_at: Set(None),
        hour_reminded_at: Set(None),
        closed_at: Set(None),
        ..Default::default()
    });
    activity_session::Entity::insert_many(sessions)
        .exec(db)
        .await?;
    Ok(saved)
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A published activity, or 404 `ACTIVITY_NOT_FOUND`.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<activity::Model> {
    activity::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::ActivityNotFound))
}

/// A session and its activity, or 404 `SESSION_NOT_FOUND`.
pub async fn find_session(
    db: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<(activity_session::Model, activity::Model)> {
    let session = activity_session::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::SessionNotFound))?;
    let found = find(db, session.activity_id).await?;
    Ok((session, found))
}

/// Waiting sign-ups per session.
async fn waiting_counts(
    db: &impl ConnectionTrait,
    sessions: &[i64],
) -> ApiResult<HashMap<i64, u64>> {
    let rows: Vec<(i64, i64)> = signup::Entity::find()
        .select_only()
        .column(signup::Column::SessionId)
        .column_as(signup::Column::Id.count(), "n")
        .filter(signup::Column::SessionId.is_in(sessions.iter().copied()))
        .filter(signup::Column::Status.eq(SignupStatus::Waiting))
        .group_by(signup::Column::SessionId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(s, n)| (s, u64::try_from(n).unwrap_or(0)))
        .collect())
}

pub async fn session_views(
    db: &impl ConnectionTrait,
    rows: Vec<activity_session::Model>,
) -> ApiResult<Vec<SessionView>> {
    let ids: Vec<i64> = rows.iter().map(|s| s.id).collect();
    let waiting = waiting_counts(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|s| SessionView {
            id: s.id,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            capacity: s.capacity,
            taken: s.taken,
            remaining: (s.capacity - s.taken).max(0),
            waiting: waiting.get(&s.id).copied().unwrap_or(0),
        })
        .collect())
}

fn view(
    a: activity::Model,
    community_ids: Vec<i64>,
    resolver: &Resolver,
    sessions: Vec<SessionView>,
    session_count: u64,
) -> ActivityView {
    ActivityView {
        id: a.id,
        community_id: a.community_id,
        community_ids,
        title: a.title,
        description: a.description,
        images: refs::from_json(&a.images)
            .iter()
            .filter_map(|r| resolver.url(r))
            .collect(),
        place: a.place,
        min_age: a.min_age,
        max_age: a.max_age,
        capacity: a.capacity,
        signup_opens_at: a.signup_opens_at,
        signup_closes_at: a.signup_closes_at,
        cancel_cutoff_minutes: a.cancel_cutoff_minutes,
        waitlist: a.waitlist,
        points: a.points,
        status: a.status,
        sessions,
        session_count,
        created_at: a.created_at,
    }
}

/// One activity with every session.
pub async fn detail(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    a: activity::Model,
) -> ApiResult<ActivityView> {
    let rows = activity_session::Entity::find()
        .filter(activity_session::Column::ActivityId.eq(a.id))
        .order_by_asc(activity_session::Column::StartsAt)
        .all(db)
        .await?;
    let count = rows.len() as u64;
    let sessions = session_views(db, rows).await?;
    let communities = communities_of_one::<activity_community::Entity>(db, a.id).await?;
    let resolver = Resolver::load(db, media, refs::from_json(&a.images).iter()).await?;
    Ok(view(a, communities, &resolver, sessions, count))
}

/// A page of activities, newest first, each with its next session.
pub async fn list(
    db: &DatabaseConnection,
    media: &MediaStore,
    communities: Option<Vec<i64>>,
    only_published: bool,
    page: Page,
    now: DateTime<Utc>,
) -> ApiResult<Paged<ActivityView>> {
    let mut query = activity::Entity::find();
    if let Some(c) = communities {
        query = query
            .filter(activity::Column::Id.in_subquery(linked_to::<activity_community::Entity>(c)));
    }
    if only_published {
        query = query.filter(activity::Column::Status.eq(ActivityStatus::Published));
    }
    let paged = page
        .fetch(db, query.order_by_desc(activity::Column::Id))
        .await?;
    let ids: Vec<i64> = paged.items.iter().map(|a| a.id).collect();
    let mut links = communities_of::<activity_community::Entity>(db, &ids).await?;
    let sessions = activity_session::Entity::find()
        .filter(activity_session::Column::ActivityId.is_in(ids.clone()))
        .order_by_asc(activity_session::Column::StartsAt)
        .all(db)
        .await?;
    let mut counts: HashMap<i64, u64> = HashMap::new();
    let mut next: HashMap<i64, activity_session::Model> = HashMap::new();
    for s in sessions {
        *counts.entry(s.activity_id).or_default() += 1;
        if s.starts_at > now && !next.contains_key(&s.activity_id) {
            next.insert(s.activity_id, s);
        }
    }
    let (owners, rows): (Vec<i64>, Vec<activity_session::Model>) = next.into_iter().unzip();
    let mut next_views: HashMap<i64, SessionView> = owners
        .into_iter()
        .zip(session_views(db, rows).await?)
        .collect();
    let resolver = Resolver::load_lists(db, media, paged.items.iter().map(|a| a.images.as_str()))
        .await?
        .0;
    Ok(paged.map(|a| {
        let id = a.id;
        view(
            a,
            links.remove(&id).unwrap_or_default(),
            &resolver,
            next_views.remove(&id).into_iter().collect(),
            counts.get(&id).copied().unwrap_or(0),
        )
    }))
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct NewOrganiser {
    /// The organisation's account (a user who logged in to the mini-program).
    pub user_id: i64,
    /// The organisation: a school, a clinic, a volunteer team; 1-64 characters.
    #[schema(max_length = 64, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrganiserView {
    pub community_id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// Authorises a user to publish and run the community's activities.
pub async fn add_organiser(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    community_id: i64,
    new: &NewOrganiser,
    now: DateTime<Utc>,
) -> ApiResult<OrganiserView> {
    me.require_admin_of(db, community_id).await?;
    let mut errors = crate::fields::FieldErrors::default();
    let name = errors.text("name", &new.name, 1, 64);
    let exists = entity::user::Entity::find_by_id(new.user_id)
        .one(db)
        .await?
        .is_some_and(|u| u.erased_at.is_none() && u.openid.is_some());
    if !exists {
        errors.push("user_id", "须为已登录过小程序的用户");
    }
    errors.finish()?;
    let inserted = activity_organiser::ActiveModel {
        community_id: Set(community_id),
        user_id: Set(new.user_id),
        name: Set(name),
        created_at: Set(now),
    }
    .insert(db)
    .await;
    let saved = crate::db::or_conflict(inserted, ErrorCode::AlreadyExists)?;
    Ok(OrganiserView {
        community_id: saved.community_id,
        user_id: saved.user_id,
        name: saved.name,
        created_at: saved.created_at,
    })
}
