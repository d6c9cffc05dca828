//! `/admin/surveys...`, `/admin/survey-index`, `/surveys...` and the grid
//! worker's `/grid/surveys/{id}/responses`.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::draft::{ResponseInput, SurveyInput};
use super::results::{self, IndexTrend, ScopeQuery, SurveyResults};
use super::service::{self, Respondent, ResponseView, SurveyView};
use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list_admin)
        .service(index_trend)
        .service(results_of)
        .service(export)
        .service(close)
        .service(list_open)
        .service(detail)
        .service(respond)
        .service(respond_offline);
}

/// Build a questionnaire (single / multiple choice, 1-5 scale, text; 1-30
/// questions) and open it from `opens_at` until `closes_at` to communities
/// the caller administers (every one of them).
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    request_body = SurveyInput,
    responses(
        (status = 201, body = SurveyView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of every community named", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: every bad field listed", body = ErrorBody),
    )
)]
#[post("/admin/surveys")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn create(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<SurveyInput>,
) -> ApiResult<HttpResponse> {
    let saved = service::create(&state.db, &me, &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(saved))
}

/// Surveys open to the caller's communities (or `community_id`), newest first.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    params(ScopeQuery, PageParams),
    responses(
        (status = 200, body = Paged<SurveyView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
    )
)]
#[get("/admin/surveys")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn list_admin(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<ScopeQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<SurveyView>>> {
    Ok(web::Json(
        service::list_for_admin(&state.db, &me, query.community_id, page, state.clock.now())
            .await?,
    ))
}

/// The happiness index quarter by quarter (see README "Surveys" for the
/// weighting), over the caller's communities or `community_id`.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    params(ScopeQuery),
    responses(
        (status = 200, body = IndexTrend),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
    )
)]
#[get("/admin/survey-index")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn index_trend(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<ScopeQuery>,
) -> ApiResult<web::Json<IndexTrend>> {
    Ok(web::Json(
        results::trend(&state.db, &me, query.community_id).await?,
    ))
}

/// Results per question (option counts, the scale's distribution and mean)
/// and per community (respondents, offline ones, the index), over the
/// survey's communities the caller administers.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Survey id"), ScopeQuery),
    responses(
        (status = 200, body = SurveyResults),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
        (status = 404, description = "SURVEY_NOT_FOUND (also one outside the caller's communities)", body = ErrorBody),
    )
)]
#[get("/admin/surveys/{id}/results")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), survey_id = *id))]
async fn results_of(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    query: web::Query<ScopeQuery>,
) -> ApiResult<web::Json<SurveyResults>> {
    Ok(web::Json(
        results::results(&state.db, &me, *id, query.community_id).await?,
    ))
}

/// Every response as CSV: `response_id,community_id,offline,answered_at`,
/// then one column per question (cells defused against spreadsheet formulas).
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Survey id"), ScopeQuery),
    responses(
        (status = 200, description = "CSV", content_type = "text/csv", body = String),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
        (status = 404, description = "SURVEY_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/admin/surveys/{id}/export.csv")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), survey_id = *id))]
async fn export(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    query: web::Query<ScopeQuery>,
) -> ApiResult<HttpResponse> {
    let csv = results::export_csv(&state.db, &me, *id, query.community_id).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"survey-{}.csv\"", *id),
        ))
        .body(csv))
}

/// End the survey's period now (an admin of all its communities).
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Survey id")),
    responses(
        (status = 200, body = SurveyView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of all its communities", body = ErrorBody),
        (status = 404, description = "SURVEY_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: already closed", body = ErrorBody),
    )
)]
#[post("/admin/surveys/{id}/close")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), survey_id = *id))]
async fn close(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<SurveyView>> {
    Ok(web::Json(
        service::close(&state.db, &me, *id, state.clock.now()).await?,
    ))
}

/// Surveys open now to the caller's community, each with `answered`.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, body = Paged<SurveyView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/surveys")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn list_open(
    state: web::Data<AppState>,
    me: AuthUser,
    page: Page,
) -> ApiResult<web::Json<Paged<SurveyView>>> {
    Ok(web::Json(
        service::list_for_resident(&state.db, &me, page, state.clock.now()).await?,
    ))
}

/// A survey of the caller's community with its questions.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Survey id")),
    responses(
        (status = 200, body = SurveyView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "SURVEY_NOT_FOUND (also one of another community)", body = ErrorBody),
    )
)]
#[get("/surveys/{id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), survey_id = *id))]
async fn detail(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<SurveyView>> {
    Ok(web::Json(
        service::detail_for_resident(&state.db, &me, *id, state.clock.now()).await?,
    ))
}

/// Answer a survey, once.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Survey id")),
    request_body = ResponseInput,
    responses(
        (status = 201, body = ResponseView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a resident", body = ErrorBody),
        (status = 404, description = "SURVEY_NOT_FOUND (also one of another community)", body = ErrorBody),
        (status = 409, description = "SURVEY_NOT_OPEN or ALREADY_ANSWERED", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: every bad answer listed", body = ErrorBody),
    )
)]
#[post("/surveys/{id}/responses")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), survey_id = *id))]
async fn respond(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<ResponseInput>,
) -> ApiResult<HttpResponse> {
    let saved = service::respond(
        &state.db,
        Respondent::Online(&me),
        *id,
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(saved))
}

/// A grid worker enters the answers a resident of their grid gave on paper
/// or in person (`resident_id`); marked offline, counted like any other.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Survey id")),
    request_body = ResponseInput,
    responses(
        (status = 201, body = ResponseView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a grid worker", body = ErrorBody),
        (status = 404, description = "USER_NOT_FOUND (outside the caller's grids) or SURVEY_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "SURVEY_NOT_OPEN or ALREADY_ANSWERED", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/grid/surveys/{id}/responses")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), survey_id = *id))]
async fn respond_offline(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<ResponseInput>,
) -> ApiResult<HttpResponse> {
    let saved = service::respond(
        &state.db,
        Respondent::Offline { worker: &me },
        *id,
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(saved))
}
