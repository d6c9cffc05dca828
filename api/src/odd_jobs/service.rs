//! Employers, posting jobs, the lists, reports and take-downs.

use chrono::{DateTime, Utc};
use entity::{job_organisation, job_report, merchant_community, odd_job, odd_job_community, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::draft::{JobDraft, JobInput};
use super::{JobStatus, PayUnit};
use crate::auth::{AuthUser, Role};
use crate::community_links;
use crate::db::{begin_write, or_conflict};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::Fields;
use crate::inbox::{self, Kind, Message};
use crate::merchants::service as merchants;
use crate::money::Money;
use crate::pagination::{Page, Paged};

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct OrganisationInput {
    /// 1-64 characters.
    #[schema(value_type = String, required = true, max_length = 64, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: Option<String>,
    /// The organisation's account (a user who has logged in): it posts the jobs.
    #[schema(value_type = i64, required = true)]
    pub user_id: Option<i64>,
    /// A community the caller administers; its jobs are for it.
    pub community_id: Option<i64>,
    #[schema(pattern = r"^(1[0-9]{10}|0[0-9]{2,3}-[0-9]{7,8})$")]
    pub contact_phone: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrganisationView {
    pub id: i64,
    pub name: String,
    pub user_id: i64,
    pub community_id: i64,
    pub contact_phone: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct JobView {
    pub id: i64,
    pub merchant_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub title: String,
    pub requirements: String,
    pub pay: Money,
    pub pay_unit: PayUnit,
    pub place: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub headcount: i32,
    pub accepted_count: i32,
    pub contact_name: String,
    pub contact_phone: String,
    pub community_ids: Vec<i64>,
    pub status: JobStatus,
    /// Past `ends_at`: gone from the lists.
    pub expired: bool,
    pub takedown_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// Jobs open to this community.
    pub community_id: Option<i64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReasonInput {
    /// 1-200 characters.
    #[schema(value_type = String, required = true, max_length = 200, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub id: i64,
    pub job_id: i64,
    pub job_title: String,
    pub job_status: JobStatus,
    pub reporter_id: i64,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> ApiResult<odd_job::Model> {
    odd_job::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::JobNotFound))
}

pub fn status_of(j: &odd_job::Model) -> JobStatus {
    JobStatus::parse(&j.status).unwrap_or(JobStatus::Closed)
}

/// Open and not past its end: in the lists, taking applications.
pub fn is_live(j: &odd_job::Model, now: DateTime<Utc>) -> bool {
    status_of(j) == JobStatus::Open && j.ends_at > now
}

pub async fn views(
    conn: &impl ConnectionTrait,
    rows: Vec<odd_job::Model>,
    now: DateTime<Utc>,
) -> ApiResult<Vec<JobView>> {
    let ids: Vec<i64> = rows.iter().map(|j| j.id).collect();
    let mut links =
        community_links::communities_of::<odd_job_community::Entity>(conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|j| JobView {
            status: status_of(&j),
            expired: j.ends_at <= now,
            community_ids: links.remove(&j.id).unwrap_or_default(),
            pay: Money::from_fen(j.pay_fen),
            pay_unit: PayUnit::parse(&j.pay_unit).unwrap_or(PayUnit::Job),
            id: j.id,
            merchant_id: j.merchant_id,
            organisation_id: j.organisation_id,
            title: j.title,
            requirements: j.requirements,
            place: j.place,
            starts_at: j.starts_at,
            ends_at: j.ends_at,
            headcount: j.headcount,
            accepted_count: j.accepted_count,
            contact_name: j.contact_name,
            contact_phone: j.contact_phone,
            takedown_reason: j.takedown_reason,
            created_at: j.created_at,
        })
        .collect())
}

pub async fn view(
    conn: &impl ConnectionTrait,
    j: odd_job::Model,
    now: DateTime<Utc>,
) -> ApiResult<JobView> {
    views(conn, vec![j], now)
        .await?
        .pop()
        .ok_or_else(|| ApiError::new(ErrorCode::JobNotFound))
}

/// `POST /admin/job-organisations`.
pub async fn register_organisation(
    db: &DatabaseConnection,
    me: &AuthUser,
    input: &OrganisationInput,
    now: DateTime<Utc>,
) -> ApiResult<OrganisationView> {
    me.admin_communities(db).await?;
    let mut f = Fields::new();
    let name = f.text("name", input.name.as_deref(), 1, 64);
    let user_id = f.required("user_id", input.user_id);
    let community_id = f.required("community_id", input.community_id);
    let phone = match input.contact_phone.as_deref() {
        None => f.required("contact_phone", None),
        p => f.phone("contact_phone", p),
    };
    if let Some(u) = user_id
        && user::Entity::find_by_id(u)
            .one(db)
            .await?
            .is_none_or(|u| u.erased_at.is_some() || u.openid.is_none())
    {
        f.push("user_id", "用户不存在");
    }
    f.finish()?;
    let (Some(user_id), Some(community_id), Some(phone)) = (user_id, community_id, phone) else {
        return Err(ErrorCode::ValidationFailed.into());
    };
    me.require_admin_of(db, community_id).await?;
    let saved = job_organisation::ActiveModel {
        name: Set(name),
        user_id: Set(user_id),
        community_id: Set(community_id),
        contact_phone: Set(phone),
        created_by: Set(me.id()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(OrganisationView {
        id: saved.id,
        name: saved.name,
        user_id: saved.user_id,
        community_id: saved.community_id,
        contact_phone: saved.contact_phone,
        created_at: saved.created_at,
    })
}

/// `POST /odd-jobs`: as the merchant's owner (active merchant, among the
/// communities it serves) or the organisation's account (its community).
pub async fn post(
    db: &DatabaseConnection,
    me: &AuthUser,
    input: &JobInput,
    now: DateTime<Utc>,
) -> ApiResult<JobView> {
    let allowed: Vec<i64> = if let Some(mid) = input.merchant_id {
        me.require(Role::Merchant)?;
        let m = merchants::require_owner(db, mid, me).await?;
        if !merchants::is_active(&m) {
            return Err(ErrorCode::MerchantStatusConflict.into());
        }
        community_links::communities_of_one::<merchant_community::Entity>(db, m.id).await?
    } else if let Some(oid) = input.organisation_id {
        let o = job_organisation::Entity::find_by_id(oid)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
        if o.user_id != me.id() {
            return Err(ErrorCode::Forbidden.into());
        }
        vec![o.community_id]
    } else {
        Vec::new()
    };
    let mut f = Fields::new();
    let parsed = JobDraft::parse(input, now, &mut f);
    if let Some(ids) = &input.community_ids
        && ids.iter().any(|c| !allowed.contains(c))
    {
        f.push("community_ids", "只能面向发布者服务的社区");
    }
    f.finish()?;
    let d = parsed.ok_or_else(|| ApiError::new(ErrorCode::ValidationFailed))?;
    let txn = begin_write(db).await?;
    let saved = odd_job::ActiveModel {
        merchant_id: Set(input.merchant_id),
        organisation_id: Set(input.organisation_id),
        posted_by: Set(me.id()),
        title: Set(d.title),
        requirements: Set(d.requirements),
        pay_fen: Set(d.pay.fen()),
        pay_unit: Set(d.pay_unit.as_str().to_owned()),
        place: Set(d.place),
        starts_at: Set(d.starts_at),
        ends_at: Set(d.ends_at),
        headcount: Set(d.headcount),
        accepted_count: Set(0),
        contact_name: Set(d.contact_name),
        contact_phone: Set(d.contact_phone),
        status: Set(JobStatus::Open.as_str().to_owned()),
        takedown_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    community_links::link::<odd_job_community::Entity>(&*txn, saved.id, &d.community_ids).await?;
    txn.commit().await?;
    view(db, saved, now).await
}

/// `GET /odd-jobs`: open jobs not past their end, newest first.
pub async fn list_open(
    db: &impl ConnectionTrait,
    community_id: Option<i64>,
    page: Page,
    now: DateTime<Utc>,
) -> ApiResult<Paged<JobView>> {
    let mut select = odd_job::Entity::find()
        .filter(odd_job::Column::Status.eq(JobStatus::Open.as_str()))
        .filter(odd_job::Column::EndsAt.gt(now))
        .order_by_desc(odd_job::Column::Id);
    if let Some(c) = community_id {
        select = select.filter(
            odd_job::Column::Id
                .in_subquery(community_links::linked_to::<odd_job_community::Entity>([c])),
        );
    }
    let rows = page.fetch(db, select).await?;
    let items = views(db, rows.items, now).await?;
    Ok(Paged::new(items, page, rows.total))
}

/// `GET /odd-jobs/{id}`: a live job to anyone; any job to its poster.
pub async fn detail(
    db: &impl ConnectionTrait,
    me: Option<&AuthUser>,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<JobView> {
    let j = find(db, id).await?;
    if !is_live(&j, now) && me.is_none_or(|me| me.id() != j.posted_by) {
        return Err(ErrorCode::JobNotFound.into());
    }
    view(db, j, now).await
}

/// `GET /me/odd-jobs`: the jobs the caller posted, every state.
pub async fn list_mine(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    page: Page,
    now: DateTime<Utc>,
) -> ApiResult<Paged<JobView>> {
    let select = odd_job::Entity::find()
        .filter(odd_job::Column::PostedBy.eq(me.id()))
        .order_by_desc(odd_job::Column::Id);
    let rows = page.fetch(db, select).await?;
    let items = views(db, rows.items, now).await?;
    Ok(Paged::new(items, page, rows.total))
}

/// The job `id` when the caller posted it (404 otherwise).
pub async fn posted_by_me(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<odd_job::Model> {
    let j = find(conn, id).await?;
    if j.posted_by != me.id() {
        return Err(ErrorCode::JobNotFound.into());
    }
    Ok(j)
}

/// Moves job `id` from one of `from` to `to`; 409 `INVALID_TRANSITION` when
/// it is in none of them any more.
async fn transition(
    conn: &impl ConnectionTrait,
    id: i64,
    from: &[JobStatus],
    to: JobStatus,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mut update = odd_job::Entity::update_many()
        .col_expr(odd_job::Column::Status, Expr::value(to.as_str()))
        .col_expr(odd_job::Column::UpdatedAt, Expr::value(now));
    if reason.is_some() {
        update = update.col_expr(odd_job::Column::TakedownReason, Expr::value(reason));
    }
    let done = update
        .filter(odd_job::Column::Id.eq(id))
        .filter(odd_job::Column::Status.is_in(from.iter().map(|s| s.as_str())))
        .exec(conn)
        .await?;
    if done.rows_affected == 0 {
        return Err(ErrorCode::InvalidTransition.into());
    }
    Ok(())
}

/// `POST /odd-jobs/{id}/close`: the poster stops taking applications.
pub async fn close(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<JobView> {
    posted_by_me(db, me, id).await?;
    transition(
        db,
        id,
        &[JobStatus::Open, JobStatus::Filled],
        JobStatus::Closed,
        None,
        now,
    )
    .await?;
    view(db, find(db, id).await?, now).await
}

/// `POST /odd-jobs/{id}/reports`: a resident who may see the job reports it, once.
pub async fn report(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    input: &ReasonInput,
    now: DateTime<Utc>,
) -> ApiResult<ReportView> {
    me.require(Role::Resident)?;
    let j = find(db, id).await?;
    if !is_live(&j, now) {
        return Err(ErrorCode::JobNotFound.into());
    }
    let mut f = Fields::new();
    let reason = f.text("reason", input.reason.as_deref(), 1, 200);
    f.finish()?;
    let inserted = job_report::ActiveModel {
        job_id: Set(j.id),
        reporter_id: Set(me.id()),
        reason: Set(reason),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    let saved = or_conflict(inserted, ErrorCode::AlreadyReported)?;
    Ok(ReportView {
        id: saved.id,
        job_id: j.id,
        job_title: j.title.clone(),
        job_status: status_of(&j),
        reporter_id: saved.reporter_id,
        reason: saved.reason,
        created_at: saved.created_at,
    })
}

/// `GET /admin/job-reports`: reports on jobs of the caller's communities, newest first.
pub async fn reports(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    community_id: Option<i64>,
    page: Page,
) -> ApiResult<Paged<ReportView>> {
    let mut select = job_report::Entity::find().order_by_desc(job_report::Column::Id);
    if let Some(scope) = me.admin_scope(db, community_id).await? {
        select = select.filter(job_report::Column::JobId.in_subquery(
            community_links::linked_to::<odd_job_community::Entity>(scope),
        ));
    }
    let rows = page.fetch(db, select).await?;
    let ids: Vec<i64> = rows.items.iter().map(|r| r.job_id).collect();
    let jobs: std::collections::HashMap<i64, odd_job::Model> = odd_job::Entity::find()
        .filter(odd_job::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|j| (j.id, j))
        .collect();
    Ok(rows.map(|r| {
        let job = jobs.get(&r.job_id);
        ReportView {
            id: r.id,
            job_id: r.job_id,
            job_title: job.map(|j| j.title.clone()).unwrap_or_default(),
            job_status: job.map_or(JobStatus::Closed, status_of),
            reporter_id: r.reporter_id,
            reason: r.reason,
            created_at: r.created_at,
        }
    }))
}

/// `POST /admin/odd-jobs/{id}/take-down`: an admin of one of the job's
/// communities removes it; its poster hears why.
pub async fn take_down(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    input: &ReasonInput,
    now: DateTime<Utc>,
) -> ApiResult<JobView> {
    let j = find(db, id).await?;
    let linked = community_links::communities_of_one::<odd_job_community::Entity>(db, j.id).await?;
    me.require_admin_of_any(db, &linked).await?;
    let mut f = Fields::new();
    let reason = f.text("reason", input.reason.as_deref(), 1, 200);
    f.finish()?;
    let txn = begin_write(db).await?;
    transition(
        &*txn,
        id,
        &[JobStatus::Open, JobStatus::Filled, JobStatus::Closed],
        JobStatus::TakenDown,
        Some(reason.clone()),
        now,
    )
    .await?;
    inbox::post(
        &*txn,
        j.posted_by,
        Message::new(
            Kind::OddJob,
            "岗位已被下架",
            format!("「{}」已被管理员下架：{reason}", j.title),
        )
        .target(serde_json::json!({ "type": "odd_job", "id": j.id })),
    )
    .await?;
    txn.commit().await?;
    view(db, find(db, id).await?, now).await
}
