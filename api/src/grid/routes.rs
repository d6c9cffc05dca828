//! `/grid/...`: the grid worker's residents, care profiles and visits;
//! `/admin/offline-residents`.

use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{
    self, CareInput, OfflineInput, PageQuery, ResidentQuery, ResidentView, VisitInput, VisitQuery,
    VisitView,
};
use crate::auth::{AuthUser, Role};
use crate::calendar::local_date;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::pagination::Paged;
use crate::requests::Ctx;
use crate::requests::access::grids_of;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(residents)
        .service(set_care)
        .service(create_offline)
        .service(log_visit)
        .service(overdue_visits)
        .service(visits);
}

/// The residents of the caller's grids (bound WeChat users and offline
/// profiles) with their care tier, tags, guardian and visits.
#[utoipa::path(
    tag = "grid",
    security(("bearer" = [])),
    params(ResidentQuery),
    responses(
        (status = 200, body = Paged<ResidentView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a grid worker, or not of `grid_id`", body = ErrorBody),
    )
)]
#[get("/grid/residents")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn residents(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<ResidentQuery>,
) -> ApiResult<web::Json<Paged<ResidentView>>> {
    me.require(Role::GridWorker)?;
    let grids = grids_of(&state.db, me.id()).await?;
    let today = local_date(state.clock.now());
    Ok(web::Json(
        service::residents(&state.db, &grids, &query, today).await?,
    ))
}

/// Set a resident's care profile: tier (red, orange, yellow, blue, green),
/// tags, guardian, note; the next visit is scheduled from it. Their grid
/// worker, or an admin of their community.
#[utoipa::path(
    tag = "grid",
    security(("bearer" = [])),
    params(("user_id" = i64, Path, description = "The resident's user id")),
    request_body = CareInput,
    responses(
        (status = 200, body = ResidentView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: neither a grid worker nor an admin", body = ErrorBody),
        (status = 404, description = "USER_NOT_FOUND (also a resident outside the caller's grids or communities)", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[put("/grid/residents/{user_id}/care")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), resident_id = *user_id))]
async fn set_care(
    state: web::Data<AppState>,
    me: AuthUser,
    user_id: web::Path<i64>,
    body: Json<CareInput>,
) -> ApiResult<web::Json<ResidentView>> {
    Ok(web::Json(
        service::set_care(
            &state.db,
            &me,
            user_id.into_inner(),
            &body,
            state.clock.now(),
        )
        .await?,
    ))
}

/// Register an offline resident (no WeChat: an elderly person the grid
/// worker looks after) with a phone and a guardian, in a building of the
/// admin's community. Requests and bookings can then be made for them.
#[utoipa::path(
    tag = "grid",
    security(("bearer" = [])),
    request_body = OfflineInput,
    responses(
        (status = 201, body = ResidentView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the building's community", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: every bad field listed", body = ErrorBody),
    )
)]
#[post("/admin/offline-residents")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn create_offline(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<OfflineInput>,
) -> ApiResult<HttpResponse> {
    let created = service::create_offline(&state.db, &me, &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Log a visit to a resident of the caller's grid; with `request`, file the
/// request found for them (代办) in the same step.
#[utoipa::path(
    tag = "grid",
    security(("bearer" = [])),
    request_body = VisitInput,
    responses(
        (status = 201, body = VisitView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a grid worker", body = ErrorBody),
        (status = 404, description = "USER_NOT_FOUND (also a resident outside the caller's grids)", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED (the request's fields as `request.*`)", body = ErrorBody),
    )
)]
#[post("/grid/visits")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn log_visit(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<VisitInput>,
) -> ApiResult<HttpResponse> {
    let saved = service::log_visit(&state.db, Ctx::of(&state), &me, body.0).await?;
    Ok(HttpResponse::Created().json(saved))
}

/// Visits in the caller's grids, newest first.
#[utoipa::path(
    tag = "grid",
    security(("bearer" = [])),
    params(VisitQuery),
    responses(
        (status = 200, body = Paged<VisitView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a grid worker", body = ErrorBody),
    )
)]
#[get("/grid/visits")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn visits(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<VisitQuery>,
) -> ApiResult<web::Json<Paged<VisitView>>> {
    me.require(Role::GridWorker)?;
    let grids = grids_of(&state.db, me.id()).await?;
    Ok(web::Json(service::visits(&state.db, &grids, &query).await?))
}

/// Residents of the caller's grids whose visit is past due (by tier and
/// "三必访" tags), the longest overdue first.
#[utoipa::path(
    tag = "grid",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = Paged<ResidentView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a grid worker", body = ErrorBody),
    )
)]
#[get("/grid/visits/overdue")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn overdue_visits(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<PageQuery>,
) -> ApiResult<web::Json<Paged<ResidentView>>> {
    me.require(Role::GridWorker)?;
    let grids = grids_of(&state.db, me.id()).await?;
    let today = local_date(state.clock.now());
    Ok(web::Json(
        service::overdue_visits(&state.db, &grids, &query, today).await?,
    ))
}
