//! `/odd-jobs...`, `/job-applications/...`, `/me/odd-jobs`,
//! `/me/job-applications`, `/admin/job-organisations`, `/admin/job-reports`,
//! `/admin/odd-jobs/{id}/take-down`.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::applications::{self, ApplicationView, ApplyInput};
use super::draft::JobInput;
use super::service::{
    self, JobQuery, JobView, OrganisationInput, OrganisationView, ReasonInput, ReportView,
};
use crate::auth::{AuthUser, MaybeAuthUser};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(register_organisation)
        .service(post_job)
        .service(list)
        .service(mine)
        .service(detail)
        .service(close)
        .service(apply)
        .service(applications_of)
        .service(my_applications)
        .service(accept)
        .service(decline)
        .service(report)
        .service(reports)
        .service(take_down);
}

/// Register an organisation (not a merchant) as an employer of a community
/// the caller administers; `user_id` is its account, which posts the jobs.
#[utoipa::path(tag = "odd-jobs", security(("bearer" = [])), request_body = OrganisationInput,
    responses(
        (status = 201, body = OrganisationView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of `community_id`", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    ))]
#[post("/admin/job-organisations")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn register_organisation(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<OrganisationInput>,
) -> ApiResult<HttpResponse> {
    let saved = service::register_organisation(&state.db, &me, &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(saved))
}

/// Post a job as a merchant (its owner) or a registered organisation (its account).
#[utoipa::path(tag = "odd-jobs", security(("bearer" = [])), request_body = JobInput,
    responses(
        (status = 201, body = JobView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the merchant's owner or the organisation's account", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND or NOT_FOUND (organisation)", body = ErrorBody),
        (status = 409, description = "MERCHANT_STATUS_CONFLICT: the merchant is suspended", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: every bad field listed", body = ErrorBody),
    ))]
#[post("/odd-jobs")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn post_job(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<JobInput>,
) -> ApiResult<HttpResponse> {
    let saved = service::post(&state.db, &me, &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(saved))
}

/// Open jobs not past their end (of `community_id`'s residents), newest first.
#[utoipa::path(tag = "odd-jobs", params(JobQuery, PageParams),
    responses(
        (status = 200, body = Paged<JobView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
    ))]
#[get("/odd-jobs")]
async fn list(
    state: web::Data<AppState>,
    query: web::Query<JobQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<JobView>>> {
    Ok(web::Json(
        service::list_open(&state.db, query.community_id, page, state.clock.now()).await?,
    ))
}

/// The jobs the caller posted, in every state.
#[utoipa::path(tag = "odd-jobs", security(("bearer" = [])), params(PageParams),
    responses(
        (status = 200, body = Paged<JobView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    ))]
#[get("/me/odd-jobs")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn mine(
    state: web::Data<AppState>,
    me: AuthUser,
    page: Page,
) -> ApiResult<web::Json<Paged<JobView>>> {
    Ok(web::Json(
        service::list_mine(&state.db, &me, page, state.clock.now()).await?,
    ))
}

/// A job: open and not past its end, or the caller's own.
#[utoipa::path(tag = "odd-jobs", params(("id" = i64, Path, description = "Job id")),
    responses(
        (status = 200, body = JobView),
        (status = 404, description = "JOB_NOT_FOUND (also filled, closed, taken down or expired, except to its poster)", body = ErrorBody),
    ))]
#[get("/odd-jobs/{id}")]
async fn detail(
    state: web::Data<AppState>,
    me: MaybeAuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<JobView>> {
    Ok(web::Json(
        service::detail(&state.db, me.0.as_ref(), *id, state.clock.now()).await?,
    ))
}

/// The poster closes the job (open or filled).
#[utoipa::path(tag = "odd-jobs", security(("bearer" = [])), params(("id" = i64, Path, description = "Job id")),
    responses(
        (status = 200, body = JobView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "JOB_NOT_FOUND (also someone else's)", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION", body = ErrorBody),
    ))]
#[post("/odd-jobs/{id}/close")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), job_id = *id))]
async fn close(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<JobView>> {
    Ok(web::Json(
        service::close(&state.db, &me, *id, state.clock.now()).await?,
    ))
}

/// Apply to a job, once; the job must list the caller's community.
#[utoipa::path(tag = "odd-jobs", security(("bearer" = [])), params(("id" = i64, Path, description = "Job id")),
    request_body = ApplyInput,
    responses(
        (status = 201, body = ApplicationView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN (not a resident) or NOT_FOR_YOUR_COMMUNITY", body = ErrorBody),
        (status = 404, description = "JOB_NOT_FOUND (also taken down or past its end)", body = ErrorBody),
        (status = 409, description = "JOB_NOT_OPEN (filled or closed) or ALREADY_APPLIED", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    ))]
#[post("/odd-jobs/{id}/applications")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), job_id = *id))]
async fn apply(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<ApplyInput>,
) -> ApiResult<HttpResponse> {
    let saved = applications::apply(&state.db, &me, *id, &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(saved))
}

/// The applications to the caller's job, oldest first.
#[utoipa::path(tag = "odd-jobs", security(("bearer" = [])), params(("id" = i64, Path, description = "Job id"), PageParams),
    responses(
        (status = 200, body = Paged<ApplicationView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "JOB_NOT_FOUND (also someone else's)", body = ErrorBody),
    ))]
#[get("/odd-jobs/{id}/applications")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), job_id = *id))]
async fn applications_of(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    page: Page,
) -> ApiResult<web::Json<Paged<ApplicationView>>> {
    Ok(web::Json(
        applications::for_job(&state.db, &me, *id, page).await?,
    ))
}

/// The caller's applications, newest first.
#[utoipa::path(tag = "odd-jobs", security(("bearer" = [])), params(PageParams),
    responses(
        (status = 200, body = Paged<ApplicationView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    ))]
#[get("/me/job-applications")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn my_applications(
    state: web::Data<AppState>,
    me: AuthUser,
    page: Page,
) -> ApiResult<web::Json<Paged<ApplicationView>>> {
    Ok(web::Json(applications::mine(&state.db, &me, page).await?))
}

/// The employer accepts an application: never more than the headcount;
/// the last place fills the job.
#[utoipa::path(tag = "odd-jobs", security(("bearer" = [])), params(("id" = i64, Path, description = "Application id")),
    responses(
        (status = 200, body = ApplicationView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "JOB_APPLICATION_NOT_FOUND (also to a job of someone else)", body = ErrorBody),
        (status = 409, description = "JOB_FILLED, JOB_NOT_OPEN or INVALID_TRANSITION (answered already)", body = ErrorBody),
    ))]
#[post("/job-applications/{id}/accept")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), application_id = *id))]
async fn accept(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<ApplicationView>> {
    Ok(web::Json(
        applications::accept(&state.db, &me, *id, state.clock.now()).await?,
    ))
}

/// The employer declines an application.
#[utoipa::path(tag = "odd-jobs", security(("bearer" = [])), params(("id" = i64, Path, description = "Application id")),
    responses(
        (status = 200, body = ApplicationView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "JOB_APPLICATION_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION (answered already)", body = ErrorBody),
    ))]
#[post("/job-applications/{id}/decline")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), application_id = *id))]
async fn decline(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<ApplicationView>> {
    Ok(web::Json(
        applications::decline(&state.db, &me, *id, state.clock.now()).await?,
    ))
}

/// A resident reports a job as abusive (once); admins of its communities see it.
#[utoipa::path(tag = "odd-jobs", security(("bearer" = [])), params(("id" = i64, Path, description = "Job id")),
    request_body = ReasonInput,
    responses(
        (status = 201, body = ReportView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a resident", body = ErrorBody),
        (status = 404, description = "JOB_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "ALREADY_REPORTED", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    ))]
#[post("/odd-jobs/{id}/reports")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), job_id = *id))]
async fn report(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<ReasonInput>,
) -> ApiResult<HttpResponse> {
    let saved = service::report(&state.db, &me, *id, &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(saved))
}

/// Reports on jobs of the caller's communities (or `community_id`), newest first.
#[utoipa::path(tag = "odd-jobs", security(("bearer" = [])), params(JobQuery, PageParams),
    responses(
        (status = 200, body = Paged<ReportView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
    ))]
#[get("/admin/job-reports")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn reports(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<JobQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<ReportView>>> {
    Ok(web::Json(
        service::reports(&state.db, &me, query.community_id, page).await?,
    ))
}

/// An admin of one of the job's communities takes it down; its poster hears why.
#[utoipa::path(tag = "odd-jobs", security(("bearer" = [])), params(("id" = i64, Path, description = "Job id")),
    request_body = ReasonInput,
    responses(
        (status = 200, body = JobView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of its communities", body = ErrorBody),
        (status = 404, description = "JOB_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: taken down already", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    ))]
#[post("/admin/odd-jobs/{id}/take-down")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), job_id = *id))]
async fn take_down(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<ReasonInput>,
) -> ApiResult<web::Json<JobView>> {
    Ok(web::Json(
        service::take_down(&state.db, &me, *id, &body, state.clock.now()).await?,
    ))
}
