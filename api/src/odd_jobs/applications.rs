//! Applying to a job, and the employer's answer. Acceptance raises the
//! job's `accepted_count` only while it is below the headcount (one
//! conditional UPDATE, so concurrent accepts never pass it) and marks the
//! job `filled` in the same statement when the last place goes.

use chrono::{DateTime, Utc};
use entity::{job_application, odd_job, odd_job_community, user};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{self, find, is_live, posted_by_me};
use super::{JobApplicationStatus, JobStatus};
use crate::auth::{AuthUser, Role};
use crate::community_links;
use crate::db::{begin_write, or_conflict};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::Fields;
use crate::inbox::{self, Kind, Message};
use crate::pagination::{Page, Paged};

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ApplyInput {
    /// A word to the employer, up to 200 characters.
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: i64,
    pub job_id: i64,
    pub job_title: String,
    pub applicant_id: i64,
    /// The applicant's nickname (to the employer).
    pub applicant_name: String,
    pub note: String,
    pub status: JobApplicationStatus,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

fn status_of(a: &job_application::Model) -> JobApplicationStatus {
    JobApplicationStatus::parse(&a.status).unwrap_or(JobApplicationStatus::Declined)
}

async fn views(
    conn: &impl ConnectionTrait,
    rows: Vec<job_application::Model>,
) -> ApiResult<Vec<ApplicationView>> {
    let job_ids: Vec<i64> = rows.iter().map(|a| a.job_id).collect();
    let user_ids: Vec<i64> = rows.iter().map(|a| a.applicant_id).collect();
    let jobs: std::collections::HashMap<i64, String> = odd_job::Entity::find()
        .filter(odd_job::Column::Id.is_in(job_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|j| (j.id, j.title))
        .collect();
    let names: std::collections::HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.nickname))
        .collect();
    Ok(rows
        .into_iter()
        .map(|a| ApplicationView {
            status: status_of(&a),
            job_title: jobs.get(&a.job_id).cloned().unwrap_or_default(),
            applicant_name: names.get(&a.applicant_id).cloned().unwrap_or_default(),
            id: a.id,
            job_id: a.job_id,
            applicant_id: a.applicant_id,
            note: a.note,
            created_at: a.created_at,
            decided_at: a.decided_at,
        })
        .collect())
}

async fn view(
    conn: &impl ConnectionTrait,
    a: job_application::Model,
) -> ApiResult<ApplicationView> {
    views(conn, vec![a])
        .await?
        .pop()
        .ok_or_else(|| ApiError::new(ErrorCode::JobApplicationNotFound))
}

/// `POST /odd-jobs/{id}/applications`: a resident of one of the job's
/// communities applies, once; the employer hears of it.
pub async fn apply(
    db: &DatabaseConnection,
    me: &AuthUser,
    job_id: i64,
    input: &ApplyInput,
    now: DateTime<Utc>,
) -> ApiResult<ApplicationView> {
    me.require(Role::Resident)?;
    let j = find(db, job_id).await?;
    if status_of_job(&j) == JobStatus::TakenDown || j.ends_at <= now {
        return Err(ErrorCode::JobNotFound.into());
    }
    let linked = community_links::communities_of_one::<odd_job_community::Entity>(db, j.id).await?;
    let mine = me.user.community_id.filter(|_| !me.user.binding_pending);
    if !mine.is_some_and(|c| linked.contains(&c)) {
        return Err(ErrorCode::NotForYourCommunity.into());
    }
    if !is_live(&j, now) {
        return Err(ErrorCode::JobNotOpen.into());
    }
    let mut f = Fields::new();
    let note = f
        .optional_text("note", input.note.as_deref(), 200)
        .unwrap_or_default();
    f.finish()?;
    let txn = begin_write(db).await?;
    let inserted = job_application::ActiveModel {
        job_id: Set(j.id),
        applicant_id: Set(me.id()),
        note: Set(note),
        status: Set(JobApplicationStatus::Applied.as_str().to_owned()),
        created_at: Set(now),
        decided_at: Set(None),
        ..Default::default()
    }
    .insert(&*txn)
    .await;
    let saved = or_conflict(inserted, ErrorCode::AlreadyApplied)?;
    inbox::post(
        &*txn,
        j.posted_by,
        Message::new(
            Kind::OddJob,
            "新的零工报名",
            format!("{} 报名了「{}」", me.user.nickname, j.title),
        )
        .target(serde_json::json!({ "type": "job_application", "id": saved.id, "job_id": j.id })),
    )
    .await?;
    txn.commit().await?;
    view(db, saved).await
}

fn status_of_job(j: &odd_job::Model) -> JobStatus {
    service::status_of(j)
}

/// `GET /odd-jobs/{id}/applications`: the employer's list, oldest first.
pub async fn for_job(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    job_id: i64,
    page: Page,
) -> ApiResult<Paged<ApplicationView>> {
    posted_by_me(db, me, job_id).await?;
    let select = job_application::Entity::find()
        .filter(job_application::Column::JobId.eq(job_id))
        .order_by_asc(job_application::Column::Id);
    let rows = page.fetch(db, select).await?;
    let items = views(db, rows.items).await?;
    Ok(Paged::new(items, page, rows.total))
}

/// `GET /me/job-applications`: the caller's applications, newest first.
pub async fn mine(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    page: Page,
) -> ApiResult<Paged<ApplicationView>> {
    let select = job_application::Entity::find()
        .filter(job_application::Column::ApplicantId.eq(me.id()))
        .order_by_desc(job_application::Column::Id);
    let rows = page.fetch(db, select).await?;
    let items = views(db, rows.items).await?;
    Ok(Paged::new(items, page, rows.total))
}

/// The application `id` on a job the caller posted (404 otherwise).
async fn of_my_job(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<(job_application::Model, odd_job::Model)> {
    let a = job_application::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::JobApplicationNotFound))?;
    let j = find(conn, a.job_id).await?;
    if j.posted_by != me.id() {
        return Err(ErrorCode::JobApplicationNotFound.into());
    }
    Ok((a, j))
}

/// Moves the application from `applied` to `to`; 409 `INVALID_TRANSITION`
/// when it was answered already.
async fn decide(
    conn: &impl ConnectionTrait,
    id: i64,
    to: JobApplicationStatus,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let done = job_application::Entity::update_many()
        .col_expr(job_application::Column::Status, Expr::value(to.as_str()))
        .col_expr(job_application::Column::DecidedAt, Expr::value(now))
        .filter(job_application::Column::Id.eq(id))
        .filter(job_application::Column::Status.eq(JobApplicationStatus::Applied.as_str()))
        .exec(conn)
        .await?;
    if done.rows_affected == 0 {
        return Err(ErrorCode::InvalidTransition.into());
    }
    Ok(())
}

/// `POST /job-applications/{id}/accept`: takes one of the job's places
/// (409 `JOB_FILLED` when none is left, `JOB_NOT_OPEN` when the job is
/// closed, taken down or over); the applicant hears of it.
pub async fn accept(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<ApplicationView> {
    let (a, j) = of_my_job(db, me, id).await?;
    let txn = begin_write(db).await?;
    decide(&*txn, a.id, JobApplicationStatus::Accepted, now).await?;
    // The statuses are fixed words (`JobStatus`), written into the SQL.
    let filled = Expr::cust(format!(
        "CASE WHEN accepted_count + 1 >= headcount THEN '{}' ELSE status END",
        JobStatus::Filled.as_str()
    ));
    let taken = odd_job::Entity::update_many()
        .col_expr(
            odd_job::Column::AcceptedCount,
            Expr::col(odd_job::Column::AcceptedCount).add(1),
        )
        .col_expr(odd_job::Column::Status, filled)
        .col_expr(odd_job::Column::UpdatedAt, Expr::value(now))
        .filter(odd_job::Column::Id.eq(j.id))
        .filter(odd_job::Column::Status.eq(JobStatus::Open.as_str()))
        .filter(odd_job::Column::EndsAt.gt(now))
        .filter(Expr::col(odd_job::Column::AcceptedCount).lt(Expr::col(odd_job::Column::Headcount)))
        .exec(&*txn)
        .await?;
    if taken.rows_affected == 0 {
        txn.rollback().await?;
        let now_job = find(db, j.id).await?;
        return Err(if service::status_of(&now_job) == JobStatus::Filled {
            ErrorCode::JobFilled
        } else {
            ErrorCode::JobNotOpen
        }
        .into());
    }
    tell_applicant(&*txn, &a, &j, true).await?;
    txn.commit().await?;
    view(db, reload(db, a.id).await?).await
}

/// `POST /job-applications/{id}/decline`: the applicant hears of it.
pub async fn decline(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<ApplicationView> {
    let (a, j) = of_my_job(db, me, id).await?;
    let txn = begin_write(db).await?;
    decide(&*txn, a.id, JobApplicationStatus::Declined, now).await?;
    tell_applicant(&*txn, &a, &j, false).await?;
    txn.commit().await?;
    view(db, reload(db, a.id).await?).await
}

async fn reload(conn: &impl ConnectionTrait, id: i64) -> ApiResult<job_application::Model> {
    job_application::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::JobApplicationNotFound))
}

async fn tell_applicant(
    conn: &impl ConnectionTrait,
    a: &job_application::Model,
    j: &odd_job::Model,
    accepted: bool,
) -> ApiResult<()> {
    let (title, body) = if accepted {
        (
            "零工报名已录用",
            format!("「{}」录用了您，请按约定时间到 {}", j.title, j.place),
        )
    } else {
        ("零工报名未录用", format!("「{}」这次未能录用您", j.title))
    };
    inbox::post(
        conn,
        a.applicant_id,
        Message::new(Kind::OddJob, title, body)
            .target(serde_json::json!({ "type": "job_application", "id": a.id, "job_id": j.id })),
    )
    .await
}
