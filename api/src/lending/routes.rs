//! `/admin/lending-points`, `/lending-points...`, `/lending-tools/{id}/loans`,
//! `/me/loans`, `/loans/{id}/...`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::inventory::{self, DateQuery, PointInput, PointQuery, PointView, ToolInput, ToolView};
use super::loans::{self, ConditionInput, LoanQuery, LoanView, ReserveInput, ReturnInput};
use crate::auth::AuthUser;
use crate::calendar::local_date;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::idempotency::{self, Begun, IdempotencyKey};
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_point)
        .service(points)
        .service(add_tool)
        .service(tools)
        .service(reserve)
        .service(my_loans)
        .service(point_loans)
        .service(cancel)
        .service(hand_over)
        .service(take_back);
}

/// Create a lending point in a community the caller administers, with its keeper.
#[utoipa::path(tag = "lending", security(("bearer" = [])), request_body = PointInput,
    responses(
        (status = 201, body = PointView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of `community_id`", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    ))]
#[post("/admin/lending-points")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn create_point(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<PointInput>,
) -> ApiResult<HttpResponse> {
    let saved = inventory::create_point(&state.db, &me, &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(saved))
}

/// Lending points (of `community_id`).
#[utoipa::path(tag = "lending", params(PointQuery, PageParams),
    responses(
        (status = 200, body = Paged<PointView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
    ))]
#[get("/lending-points")]
async fn points(
    state: web::Data<AppState>,
    query: web::Query<PointQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<PointView>>> {
    Ok(web::Json(
        inventory::list_points(&state.db, query.community_id, page).await?,
    ))
}

/// The keeper (or an admin of the community) adds a tool.
#[utoipa::path(tag = "lending", security(("bearer" = [])), params(("id" = i64, Path, description = "Lending point id")),
    request_body = ToolInput,
    responses(
        (status = 201, body = ToolView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: neither its keeper nor an admin", body = ErrorBody),
        (status = 404, description = "LENDING_POINT_NOT_FOUND", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED (bad photos as `photos[i]`)", body = ErrorBody),
    ))]
#[post("/lending-points/{id}/tools")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), point_id = *id))]
async fn add_tool(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<ToolInput>,
) -> ApiResult<HttpResponse> {
    let saved = inventory::add_tool(&state.db, &me, *id, &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(saved))
}

/// A point's tools with the units free on `date` (default today).
#[utoipa::path(tag = "lending", params(("id" = i64, Path, description = "Lending point id"), DateQuery, PageParams),
    responses(
        (status = 200, body = Paged<ToolView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 404, description = "LENDING_POINT_NOT_FOUND", body = ErrorBody),
    ))]
#[get("/lending-points/{id}/tools")]
async fn tools(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<DateQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<ToolView>>> {
    let today = local_date(state.clock.now());
    Ok(web::Json(
        inventory::list_tools(&state.db, *id, query.date.as_deref(), today, page).await?,
    ))
}

/// Reserve one unit of a tool for a date (today to 30 days ahead); never
/// more loans on a date than units. With an `Idempotency-Key`, a retry
/// answers the first reservation again and reserves nothing more.
#[utoipa::path(tag = "lending", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Tool id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1-64 printable ASCII characters; remembered 24 hours")),
    request_body = ReserveInput,
    responses(
        (status = 201, body = LoanView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN (not a resident) or NOT_FOR_YOUR_COMMUNITY", body = ErrorBody),
        (status = 404, description = "TOOL_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "TOOL_UNAVAILABLE: every unit taken that day; IDEMPOTENCY_IN_PROGRESS", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED or IDEMPOTENCY_KEY_REUSED", body = ErrorBody),
    ))]
#[post("/lending-tools/{id}/loans")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), tool_id = *id))]
async fn reserve(
    state: web::Data<AppState>,
    me: AuthUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: Json<ReserveInput>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let key = IdempotencyKey::from_request(&req)?;
    let fingerprint = idempotency::fingerprint(&format!("POST /lending-tools/{id}/loans"), &body.0);
    let attempt = match idempotency::begin(&state.db, me.id(), key.as_ref(), &fingerprint).await? {
        Begun::Replay(status, json) => return Ok(HttpResponse::build(status).json(json)),
        Begun::Fresh(attempt) => attempt,
    };
    let now = state.clock.now();
    let done = async {
        let view = loans::reserve(attempt.txn(), &me, id, &body, local_date(now), now).await?;
        Ok((
            StatusCode::CREATED,
            serde_json::to_value(view).map_err(ApiError::internal)?,
        ))
    }
    .await;
    let (status, json) = attempt.finish(&state.db, done).await?;
    Ok(HttpResponse::build(status).json(json))
}

/// The caller's loans, newest first.
#[utoipa::path(tag = "lending", security(("bearer" = [])), params(PageParams),
    responses(
        (status = 200, body = Paged<LoanView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    ))]
#[get("/me/loans")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn my_loans(
    state: web::Data<AppState>,
    me: AuthUser,
    page: Page,
) -> ApiResult<web::Json<Paged<LoanView>>> {
    let today = local_date(state.clock.now());
    Ok(web::Json(
        loans::my_loans(&state.db, &me, today, page).await?,
    ))
}

/// The point's loans for its keeper or an admin, by day; `overdue=true`
/// lists those lent and not back after their day.
#[utoipa::path(tag = "lending", security(("bearer" = [])), params(("id" = i64, Path, description = "Lending point id"), LoanQuery, PageParams),
    responses(
        (status = 200, body = Paged<LoanView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: neither its keeper nor an admin", body = ErrorBody),
        (status = 404, description = "LENDING_POINT_NOT_FOUND", body = ErrorBody),
    ))]
#[get("/lending-points/{id}/loans")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), point_id = *id))]
async fn point_loans(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    query: web::Query<LoanQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<LoanView>>> {
    let today = local_date(state.clock.now());
    Ok(web::Json(
        loans::point_loans(&state.db, &me, *id, &query, today, page).await?,
    ))
}

/// The borrower cancels a reservation before hand-over; the unit is free again.
#[utoipa::path(tag = "lending", security(("bearer" = [])), params(("id" = i64, Path, description = "Loan id")),
    responses(
        (status = 200, body = LoanView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "LOAN_NOT_FOUND (also someone else's)", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION", body = ErrorBody),
    ))]
#[post("/loans/{id}/cancel")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), loan_id = *id))]
async fn cancel(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<LoanView>> {
    let today = local_date(state.clock.now());
    Ok(web::Json(loans::cancel(&state.db, &me, *id, today).await?))
}

/// The keeper hands the tool over (condition optional).
#[utoipa::path(tag = "lending", security(("bearer" = [])), params(("id" = i64, Path, description = "Loan id")),
    request_body = ConditionInput,
    responses(
        (status = 200, body = LoanView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "LOAN_NOT_FOUND (also at another keeper's point)", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    ))]
#[post("/loans/{id}/hand-over")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), loan_id = *id))]
async fn hand_over(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<ConditionInput>,
) -> ApiResult<web::Json<LoanView>> {
    let now = state.clock.now();
    Ok(web::Json(
        loans::hand_over(&state.db, &me, *id, &body, local_date(now), now).await?,
    ))
}

/// The keeper takes the tool back, noting its condition (required).
#[utoipa::path(tag = "lending", security(("bearer" = [])), params(("id" = i64, Path, description = "Loan id")),
    request_body = ReturnInput,
    responses(
        (status = 200, body = LoanView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "LOAN_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    ))]
#[post("/loans/{id}/return")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), loan_id = *id))]
async fn take_back(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<ReturnInput>,
) -> ApiResult<web::Json<LoanView>> {
    let now = state.clock.now();
    Ok(web::Json(
        loans::take_back(&state.db, &me, *id, &body, local_date(now), now).await?,
    ))
}
