//! Residents of a grid, their care profiles, visits.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use entity::{building, care_profile, user, visit};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{CareTag, CareTier, visit_interval};
use crate::auth::{AuthUser, Role, join_roles};
use crate::calendar::local_date;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::{Fields, bad_query, query_text};
use crate::pagination::{Page, PageParams, Paged};
use crate::requests::Ctx;
use crate::requests::report::{self, ReportInput};

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ResidentView {
    pub user_id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub community_id: i64,
    pub grid_id: i64,
    pub building_id: i64,
    pub building_name: String,
    pub room: Option<String>,
    /// Uses the mini-program (has WeChat).
    pub wechat: bool,
    /// An offline profile an admin created.
    pub offline: bool,
    pub tier: Option<CareTier>,
    pub tags: Vec<CareTag>,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
    pub note: String,
    /// Days between visits by tier and tags; null = no visits scheduled.
    pub visit_interval_days: Option<i64>,
    pub last_visited_on: Option<NaiveDate>,
    pub next_visit_due: Option<NaiveDate>,
    /// The next visit is past due.
    pub visit_overdue: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResidentQuery {
    /// One of the caller's grids (default: all of them).
    pub grid_id: Option<i64>,
    /// Only this care tier.
    pub tier: Option<String>,
    /// Name or phone contains this.
    pub q: Option<String>,
    /// 1-based page number (default 1).
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    /// Items per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u64>,
}

/// A care profile, replaced whole.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CareInput {
    /// `red`, `orange`, `yellow`, `blue`, `green`; null or absent = untiered.
    pub tier: Option<String>,
    /// Tags; `living_alone_elderly`, `disabled` and `petitioner` (三必访)
    /// mean a visit at least every 30 days.
    pub tags: Option<Vec<String>>,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
    /// Up to 500 characters.
    pub note: Option<String>,
}

/// An offline resident (no WeChat) an admin registers.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct OfflineInput {
    /// A building of a community the admin administers.
    pub building_id: Option<i64>,
    pub room: Option<String>,
    /// 1-20 characters.
    #[schema(max_length = 20, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: Option<String>,
    /// The resident's phone (required: the grid worker calls it).
    #[schema(pattern = r"^(1[0-9]{10}|0[0-9]{2,3}-[0-9]{7,8})$")]
    pub phone: Option<String>,
    /// 1-20 characters.
    #[schema(max_length = 20, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub guardian_name: Option<String>,
    #[schema(pattern = r"^(1[0-9]{10}|0[0-9]{2,3}-[0-9]{7,8})$")]
    pub guardian_phone: Option<String>,
    #[schema(value_type = Option<crate::grid::CareTier>)]
    pub tier: Option<String>,
    #[schema(value_type = Option<Vec<crate::grid::CareTag>>)]
    pub tags: Option<Vec<String>>,
    pub note: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct VisitInput {
    pub resident_id: Option<i64>,
    /// `YYYY-MM-DD`, not in the future.
    pub visited_on: Option<String>,
    /// What was seen and said, 1-1000 characters.
    #[schema(max_length = 1000, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub notes: Option<String>,
    /// Needs found, up to 500 characters.
    #[schema(max_length = 500)]
    pub needs: Option<String>,
    /// A request to file for the resident from this visit (代办; consent
    /// defaults to 走访时当面征得同意).
    pub request: Option<ReportInput>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitView {
    pub id: i64,
    pub resident_id: i64,
    pub resident_name: String,
    pub grid_id: i64,
    pub worker_id: i64,
    pub visited_on: NaiveDate,
    pub notes: String,
    pub needs: String,
    /// The request filed from the visit.
    pub request_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitQuery {
    pub resident_id: Option<i64>,
    /// 1-based page number (default 1).
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    /// Items per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u64>,
}

pub use crate::pagination::PageParams as PageQuery;

fn page(page: Option<u64>, page_size: Option<u64>) -> ApiResult<Page> {
    Page::try_from(PageParams { page, page_size })
}

fn date(s: Option<&str>) -> Option<NaiveDate> {
    s?.parse().ok()
}

fn split_tags(raw: &str) -> Vec<CareTag> {
    raw.split(',')
        .filter_map(|t| CareTag::parse(t.trim()))
        .collect()
}

fn join_tags(tags: &[CareTag]) -> String {
    tags.iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The next visit: the interval after the last visit (or after `since`
/// when there was none yet).
fn next_due(
    tier: Option<CareTier>,
    tags: &[CareTag],
    last: Option<NaiveDate>,
    since: NaiveDate,
) -> Option<NaiveDate> {
    let days = visit_interval(tier, tags)?;
    Some(last.unwrap_or(since) + TimeDelta::days(days))
}

/// Users living in buildings of `grids`.
fn living_in(grids: &[i64]) -> Condition {
    Condition::all().add(
        user::Column::BuildingId.in_subquery(
            Query::select()
                .column(building::Column::Id)
                .from(building::Entity)
                .and_where(Expr::col(building::Column::GridId).is_in(grids.to_vec()))
                .to_owned(),
        ),
    )
}

/// The resident if the caller reaches them: a grid worker of their grid or
/// (with `admins_too`) an admin of their community. 404 otherwise.
pub async fn reach(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    user_id: i64,
    admins_too: bool,
) -> ApiResult<(user::Model, building::Model)> {
    let not_found = || ApiError::new(ErrorCode::UserNotFound);
    let resident = user::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    let b = match resident.building_id {
        Some(b) => building::Entity::find_by_id(b).one(conn).await?,
        None => None,
    }
    .ok_or_else(not_found)?;
    let works = me.has(Role::GridWorker)
        && entity::grid_worker::Entity::find_by_id((me.id(), b.grid_id))
            .one(conn)
            .await?
            .is_some();
    let administers = admins_too
        && match me.require_admin_of(conn, b.community_id).await {
            Ok(()) => true,
            Err(e) if e.code == ErrorCode::Forbidden => false,
            Err(e) => return Err(e),
        };
    if works || administers {
        Ok((resident, b))
    } else {
        Err(not_found())
    }
}

async fn views(
    conn: &impl ConnectionTrait,
    users: Vec<user::Model>,
    today: NaiveDate,
) -> ApiResult<Vec<ResidentView>> {
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let profiles: HashMap<i64, care_profile::Model> = care_profile::Entity::find()
        .filter(care_profile::Column::UserId.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.user_id, p))
        .collect();
    let buildings: HashMap<i64, building::Model> = building::Entity::find()
        .filter(building::Column::Id.is_in(users.iter().filter_map(|u| u.building_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    Ok(users
        .into_iter()
        .filter_map(|u| {
            let b = buildings.get(&u.building_id?)?;
            let p = profiles.get(&u.id);
            let tier = p.and_then(|p| p.tier.as_deref()).and_then(CareTier::parse);
            let tags = p.map(|p| split_tags(&p.tags)).unwrap_or_default();
            let next_visit_due = p.and_then(|p| date(p.next_visit_due.as_deref()));
            Some(ResidentView {
                user_id: u.id,
                name: u.nickname,
                phone: u.phone,
                community_id: b.community_id,
                grid_id: b.grid_id,
                building_id: b.id,
                building_name: b.name.clone(),
                room: u.room,
                wechat: u.openid.is_some(),
                offline: p.is_some_and(|p| p.offline),
                visit_interval_days: visit_interval(tier, &tags),
                tier,
                tags,
                guardian_name: p.and_then(|p| p.guardian_name.clone()),
                guardian_phone: p.and_then(|p| p.guardian_phone.clone()),
                note: p.map(|p| p.note.clone()).unwrap_or_default(),
                last_visited_on: p.and_then(|p| date(p.last_visited_on.as_deref())),
                visit_overdue: next_visit_due.is_some_and(|d| d < today),
                next_visit_due,
            })
        })
        .collect())
}

/// The residents of the caller's grids (or of `q.grid_id`, one of them).
pub async fn residents(
    conn: &impl ConnectionTrait,
    grids: &[i64],
    q: &ResidentQuery,
    today: NaiveDate,
) -> ApiResult<Paged<ResidentView>> {
    let page = page(q.page, q.page_size)?;
    let grids: Vec<i64> = match q.grid_id {
        Some(g) if grids.contains(&g) => vec![g],
        Some(_) => return Err(ErrorCode::Forbidden.into()),
        None => grids.to_vec(),
    };
    let mut select = user::Entity::find()
        .filter(living_in(&grids))
        .order_by_asc(user::Column::BuildingId)
        .order_by_asc(user::Column::Room)
        .order_by_asc(user::Column::Id);
    if let Some(raw) = q.tier.as_deref() {
        let tier = CareTier::parse(raw).ok_or_else(|| bad_query("tier", "未知的关怀等级"))?;
        select = select.filter(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(care_profile::Column::UserId)
                    .from(care_profile::Entity)
                    .and_where(Expr::col(care_profile::Column::Tier).eq(tier.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(keyword) = query_text("q", q.q.as_deref(), 50)? {
        let like = crate::fields::contains(&keyword);
        select = select.filter(
            Condition::any()
                .add(Expr::col(user::Column::Nickname).like(like.clone()))
                .add(Expr::col(user::Column::Phone).like(like)),
        );
    }
    page.fetch(conn, select)
        .await?
        .map_batch(|rows| views(conn, rows, today))
        .await
}

struct Care {
    tier: Option<CareTier>,
    tags: Vec<CareTag>,
    guardian_name: Option<String>,
    guardian_phone: Option<String>,
    note: String,
}

fn parse_care(
    f: &mut Fields,
    tier: Option<&str>,
    tags: Option<&[String]>,
    guardian_name: Option<&str>,
    guardian_phone: Option<&str>,
    note: Option<&str>,
) -> Care {
    let tier = tier.and_then(|raw| {
        CareTier::parse(raw).or_else(|| {
            f.push("tier", "须为 red、orange、yellow、blue 或 green");
            None
        })
    });
    let mut parsed = Vec::new();
    for raw in tags.unwrap_or_default() {
        match CareTag::parse(raw) {
            Some(t) if !parsed.contains(&t) => parsed.push(t),
            Some(_) => {}
            None => f.push("tags", format!("未知的标签 {raw}")),
        }
    }
    Care {
        tier,
        tags: parsed,
        guardian_name: f.optional_text("guardian_name", guardian_name, 20),
        guardian_phone: f.phone("guardian_phone", guardian_phone),
        note: f.optional_text("note", note, 500).unwrap_or_default(),
    }
}

/// Replaces a resident's care profile (their grid worker, or an admin of their community).
#[tracing::instrument(skip_all, fields(user_id = me.id(), resident_id = user_id))]
pub async fn set_care(
    db: &DatabaseConnection,
    me: &AuthUser,
    user_id: i64,
    input: &CareInput,
    now: DateTime<Utc>,
) -> ApiResult<ResidentView> {
    me.require_any(&[Role::GridWorker, Role::CommunityAdmin, Role::PlatformAdmin])?;
    let (resident, _) = reach(db, me, user_id, true).await?;
    let mut f = Fields::new();
    let care = parse_care(
        &mut f,
        input.tier.as_deref(),
        input.tags.as_deref(),
        input.guardian_name.as_deref(),
        input.guardian_phone.as_deref(),
        input.note.as_deref(),
    );
    f.finish()?;
    let today = local_date(now);
    let txn = crate::db::begin_write(db).await?;
    let existing = care_profile::Entity::find_by_id(resident.id)
        .one(&txn)
        .await?;
    let last = existing
        .as_ref()
        .and_then(|p| date(p.last_visited_on.as_deref()));
    let next = next_due(care.tier, &care.tags, last, today).map(|d| d.to_string());
    let is_new = existing.is_none();
    let mut active = match existing {
        Some(p) => p.into_active_model(),
        None => care_profile::ActiveModel {
            user_id: Set(resident.id),
            offline: Set(false),
            last_visited_on: Set(None),
            created_by: Set(me.id()),
            created_at: Set(now),
            ..Default::default()
        },
    };
    active.tier = Set(care.tier.map(|t| t.as_str().to_owned()));
    active.tags = Set(join_tags(&care.tags));
    active.guardian_name = Set(care.guardian_name);
    active.guardian_phone = Set(care.guardian_phone);
    active.note = Set(care.note);
    active.next_visit_due = Set(next);
    active.updated_at = Set(now);
    if is_new {
        // Two first edits at once: the second is told to retry.
        crate::db::or_conflict(active.insert(&txn).await, ErrorCode::Conflict)?;
    } else {
        active.update(&txn).await?;
    }
    txn.commit().await?;
    let mut out = views(db, vec![resident], today).await?;
    out.pop().ok_or_else(|| ErrorCode::UserNotFound.into())
}

/// Registers an offline resident of a building in the admin's community.
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
pub async fn create_offline(
    db: &DatabaseConnection,
    me: &AuthUser,
    input: &OfflineInput,
    now: DateTime<Utc>,
) -> ApiResult<ResidentView> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let mut f = Fields::new();
    let building = match f.required("building_id", input.building_id) {
        Some(id) => {
            let found = building::Entity::find_by_id(id).one(db).await?;
            match &found {
                Some(b) => me.require_admin_of(db, b.community_id).await?,
                None => f.push("building_id", "楼栋不存在"),
            }
            found
        }
        None => None,
    };
    let name = f.text("name", input.name.as_deref(), 1, 20);
    let phone = f.phone("phone", input.phone.as_deref());
    if input.phone.is_none() {
        f.push("phone", "必填");
    }
    let room = f.optional_text("room", input.room.as_deref(), 16);
    let care = parse_care(
        &mut f,
        input.tier.as_deref(),
        input.tags.as_deref(),
        input.guardian_name.as_deref(),
        input.guardian_phone.as_deref(),
        input.note.as_deref(),
    );
    f.finish()?;
    let Some(building) = building else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "offline resident without a building"
        )));
    };
    let today = local_date(now);
    let txn = crate::db::begin_write(db).await?;
    let person = user::ActiveModel {
        nickname: Set(name),
        phone: Set(phone),
        roles: Set(join_roles(&[Role::Resident])),
        community_id: Set(Some(building.community_id)),
        building_id: Set(Some(building.id)),
        room: Set(room),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    care_profile::ActiveModel {
        user_id: Set(person.id),
        tier: Set(care.tier.map(|t| t.as_str().to_owned())),
        tags: Set(join_tags(&care.tags)),
        guardian_name: Set(care.guardian_name),
        guardian_phone: Set(care.guardian_phone),
        note: Set(care.note),
        offline: Set(true),
        last_visited_on: Set(None),
        next_visit_due: Set(next_due(care.tier, &care.tags, None, today).map(|d| d.to_string())),
        created_by: Set(me.id()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    let mut out = views(db, vec![person], today).await?;
    out.pop().ok_or_else(|| ErrorCode::UserNotFound.into())
}

fn visit_view(v: visit::Model, names: &HashMap<i64, String>) -> VisitView {
    VisitView {
        resident_name: names.get(&v.resident_id).cloned().unwrap_or_default(),
        visited_on: date(Some(&v.visited_on)).unwrap_or_default(),
        id: v.id,
        resident_id: v.resident_id,
        grid_id: v.grid_id,
        worker_id: v.worker_id,
        notes: v.notes,
        needs: v.needs,
        request_id: v.request_id,
        created_at: v.created_at,
    }
}

/// Names every field of a nested body's 422 under `prefix.`.
fn nested(err: ApiError, prefix: &str) -> ApiError {
    if err.code != ErrorCode::ValidationFailed {
        return err;
    }
    let mut err = err;
    if let Some(fields) = err
        .details
        .as_mut()
        .and_then(|d| d.get_mut("fields"))
        .and_then(|f| f.as_array_mut())
    {
        for field in fields {
            if let Some(name) = field
                .get("field")
                .and_then(|n| n.as_str())
                .map(str::to_owned)
            {
                field["field"] = serde_json::Value::String(format!("{prefix}.{name}"));
            }
        }
    }
    err
}

/// Logs a visit by a grid worker to a resident of their grid; files the
/// request found, if any, for the resident in the same transaction.
#[tracing::instrument(skip_all, fields(user_id = me.id(), resident_id = input.resident_id))]
pub async fn log_visit(
    db: &DatabaseConnection,
    ctx: Ctx<'_>,
    me: &AuthUser,
    input: VisitInput,
) -> ApiResult<VisitView> {
    me.require(Role::GridWorker)?;
    let mut f = Fields::new();
    let resident_id = f.required("resident_id", input.resident_id);
    f.finish()?;
    let (resident, b) = reach(db, me, resident_id.unwrap_or_default(), false).await?;
    let today = local_date(ctx.now);
    let visited_on = f.date("visited_on", input.visited_on.as_deref());
    if visited_on.is_some_and(|d| d > today) {
        f.push("visited_on", "不能晚于今天");
    }
    let notes = f.text("notes", input.notes.as_deref(), 1, 1000);
    let needs = f
        .optional_text("needs", input.needs.as_deref(), 500)
        .unwrap_or_default();
    f.finish()?;
    let visited_on = visited_on.unwrap_or(today);
    let txn = crate::db::begin_write(db).await?;
    let request_id = match input.request {
        Some(mut request) => {
            request.on_behalf_of_user_id = Some(resident.id);
            if request.consent.is_none() {
                request.consent = Some("走访时当面征得同意".to_owned());
            }
            if request.building_id.is_none()
                && request.component_id.is_none()
                && request.lat.is_none()
            {
                request.building_id = Some(b.id);
            }
            let filed = report::create(&txn, ctx, me, &request)
                .await
                .map_err(|e| nested(e, "request"))?;
            Some(filed.id)
        }
        None => None,
    };
    let saved = visit::ActiveModel {
        resident_id: Set(resident.id),
        grid_id: Set(b.grid_id),
        worker_id: Set(me.id()),
        visited_on: Set(visited_on.to_string()),
        notes: Set(notes),
        needs: Set(needs),
        request_id: Set(request_id),
        created_at: Set(ctx.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let existing = care_profile::Entity::find_by_id(resident.id)
        .one(&txn)
        .await?;
    let last = existing
        .as_ref()
        .and_then(|p| date(p.last_visited_on.as_deref()))
        .map_or(visited_on, |d| std::cmp::max(d, visited_on));
    match existing {
        Some(p) => {
            let tier = p.tier.as_deref().and_then(CareTier::parse);
            let tags = split_tags(&p.tags);
            let mut active = p.into_active_model();
            active.last_visited_on = Set(Some(last.to_string()));
            active.next_visit_due =
                Set(next_due(tier, &tags, Some(last), today).map(|d| d.to_string()));
            active.updated_at = Set(ctx.now);
            active.update(&txn).await?;
        }
        None => {
            let inserted = care_profile::ActiveModel {
                user_id: Set(resident.id),
                tier: Set(None),
                tags: Set(String::new()),
                guardian_name: Set(None),
                guardian_phone: Set(None),
                note: Set(String::new()),
                offline: Set(false),
                last_visited_on: Set(Some(last.to_string())),
                next_visit_due: Set(None),
                created_by: Set(me.id()),
                created_at: Set(ctx.now),
                updated_at: Set(ctx.now),
            }
            .insert(&txn)
            .await;
            crate::db::or_conflict(inserted, ErrorCode::Conflict)?;
        }
    }
    txn.commit().await?;
    let names = HashMap::from([(resident.id, resident.nickname)]);
    Ok(visit_view(saved, &names))
}

/// Visits in the caller's grids, newest first.
pub async fn visits(
    conn: &impl ConnectionTrait,
    grids: &[i64],
    q: &VisitQuery,
) -> ApiResult<Paged<VisitView>> {
    let page = page(q.page, q.page_size)?;
    let mut select = visit::Entity::find()
        .filter(visit::Column::GridId.is_in(grids.to_vec()))
        .order_by_desc(visit::Column::VisitedOn)
        .order_by_desc(visit::Column::Id);
    if let Some(r) = q.resident_id {
        select = select.filter(visit::Column::ResidentId.eq(r));
    }
    let found = page.fetch(conn, select).await?;
    let names: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(found.items.iter().map(|v| v.resident_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.nickname))
        .collect();
    Ok(found.map(|v| visit_view(v, &names)))
}

/// Residents of the caller's grids whose next visit is past due, the longest overdue first.
pub async fn overdue_visits(
    conn: &impl ConnectionTrait,
    grids: &[i64],
    q: &PageQuery,
    today: NaiveDate,
) -> ApiResult<Paged<ResidentView>> {
    let page = page(q.page, q.page_size)?;
    let residents = Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .cond_where(living_in(grids))
        .to_owned();
    let due = page
        .fetch(
            conn,
            care_profile::Entity::find()
                .filter(care_profile::Column::NextVisitDue.lt(today.to_string()))
                .filter(care_profile::Column::UserId.in_subquery(residents))
                .order_by_asc(care_profile::Column::NextVisitDue)
                .order_by_asc(care_profile::Column::UserId),
        )
        .await?;
    due.map_batch(|profiles| async move {
        let order: Vec<i64> = profiles.iter().map(|p| p.user_id).collect();
        let mut users: HashMap<i64, user::Model> = user::Entity::find()
            .filter(user::Column::Id.is_in(order.clone()))
            .all(conn)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let rows = order.iter().filter_map(|id| users.remove(id)).collect();
        views(conn, rows, today).await
    })
    .await
}
