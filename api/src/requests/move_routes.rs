//! The moves on a request (`/requests/{id}/assign`, `accept`, `transfer`,
//! `return`, `supplement`, `resolve`, `extension`, `extension/decide`,
//! `urge`, `rate`, `reopen`, `withdraw`): each one a [`Command`] for
//! `flow::act`, answered with the request as the caller sees it.

use actix_web::{post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::Ctx;
use super::flow::{
    self, AssignInput, Command, DecisionInput, ExtensionInput, NoteInput, RateInput, ReasonInput,
    TransferInput,
};
use super::views::{self, RequestView};
use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(assign)
        .service(accept)
        .service(transfer)
        .service(return_to_reporter)
        .service(supplement)
        .service(resolve)
        .service(ask_extension)
        .service(decide_extension)
        .service(urge)
        .service(rate)
        .service(reopen)
        .service(withdraw);
}

async fn act(
    state: &AppState,
    me: &AuthUser,
    id: i64,
    cmd: Command,
) -> ApiResult<web::Json<RequestView>> {
    let ctx = Ctx::of(state);
    let (r, rel) = flow::act(&state.db, ctx, me, id, cmd).await?;
    Ok(web::Json(views::detail(&state.db, r, &rel, ctx.now).await?))
}

/// submitted → assigned (交办; an admin of the request's community): to a
/// department (default: the category's), the request's grid, or the
/// community itself. Starts the 1-working-day accept clock.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = AssignInput,
    responses(
        (status = 200, body = RequestView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the request's community", body = ErrorBody),
        (status = 404, description = "REQUEST_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION (`details.status` is the current status)", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/requests/{id}/assign")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), request_id = *id))]
async fn assign(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<AssignInput>,
) -> ApiResult<web::Json<RequestView>> {
    act(&state, &me, id.into_inner(), Command::Assign(body.0)).await
}

/// assigned → accepted (受理; the handler). Starts the resolve clock.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, body = RequestView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not its handler", body = ErrorBody),
        (status = 404, description = "REQUEST_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION", body = ErrorBody),
    )
)]
#[post("/requests/{id}/accept")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), request_id = *id))]
async fn accept(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<RequestView>> {
    act(&state, &me, id.into_inner(), Command::Accept).await
}

/// assigned | accepted → assigned to another department, or back to the
/// community's queue (submitted), with a reason (the handler).
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = TransferInput,
    responses(
        (status = 200, body = RequestView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not its handler", body = ErrorBody),
        (status = 404, description = "REQUEST_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/requests/{id}/transfer")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), request_id = *id))]
async fn transfer(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<TransferInput>,
) -> ApiResult<web::Json<RequestView>> {
    act(&state, &me, id.into_inner(), Command::Transfer(body.0)).await
}

/// assigned | accepted → returned to the reporter for more detail (the
/// handler); no clock runs until the reporter supplements it.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = ReasonInput,
    responses(
        (status = 200, body = RequestView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not its handler", body = ErrorBody),
        (status = 404, description = "REQUEST_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/requests/{id}/return")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), request_id = *id))]
async fn return_to_reporter(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<ReasonInput>,
) -> ApiResult<web::Json<RequestView>> {
    act(&state, &me, id.into_inner(), Command::Return(body.0)).await
}

/// returned → assigned to the same handler, with the detail asked for (the
/// reporter); the accept and resolve clocks start again.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = NoteInput,
    responses(
        (status = 200, body = RequestView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not its reporter", body = ErrorBody),
        (status = 404, description = "REQUEST_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/requests/{id}/supplement")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), request_id = *id))]
async fn supplement(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<NoteInput>,
) -> ApiResult<web::Json<RequestView>> {
    act(&state, &me, id.into_inner(), Command::Supplement(body.0)).await
}

/// accepted → resolved (办结; the handler) with a note and up to 9 photos.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = NoteInput,
    responses(
        (status = 200, body = RequestView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not its handler", body = ErrorBody),
        (status = 404, description = "REQUEST_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION (accept it first)", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/requests/{id}/resolve")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), request_id = *id))]
async fn resolve(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<NoteInput>,
) -> ApiResult<web::Json<RequestView>> {
    act(&state, &me, id.into_inner(), Command::Resolve(body.0)).await
}

/// Ask for an extension of an accepted request (the handler): the whole
/// time to resolve becomes `working_days` (at most 15) from submission once
/// a community admin approves. One pending at a time; none after an approval.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = ExtensionInput,
    responses(
        (status = 200, body = RequestView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not its handler", body = ErrorBody),
        (status = 404, description = "REQUEST_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION (not accepted) or EXTENSION_NOT_ALLOWED (one pending, or already extended)", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/requests/{id}/extension")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), request_id = *id))]
async fn ask_extension(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<ExtensionInput>,
) -> ApiResult<web::Json<RequestView>> {
    act(&state, &me, id.into_inner(), Command::AskExtension(body.0)).await
}

/// Approve or reject the pending extension (an admin of the request's
/// community); approval moves the resolve deadline.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = DecisionInput,
    responses(
        (status = 200, body = RequestView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the request's community", body = ErrorBody),
        (status = 404, description = "REQUEST_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: no pending extension", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/requests/{id}/extension/decide")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), request_id = *id))]
async fn decide_extension(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<DecisionInput>,
) -> ApiResult<web::Json<RequestView>> {
    act(
        &state,
        &me,
        id.into_inner(),
        Command::DecideExtension(body.0),
    )
    .await
}

/// Urge (催办) a request not yet resolved (its reporter): once a day (local
/// date); the handler and their supervisor see each urge.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, body = RequestView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not its reporter", body = ErrorBody),
        (status = 404, description = "REQUEST_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: resolved, returned or withdrawn", body = ErrorBody),
        (status = 429, description = "URGED_TODAY, with `Retry-After` until local midnight", body = ErrorBody),
    )
)]
#[post("/requests/{id}/urge")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), request_id = *id))]
async fn urge(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<RequestView>> {
    act(&state, &me, id.into_inner(), Command::Urge).await
}

/// Rate a resolved request 1-5 with a comment (its reporter), once; it is then closed.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = RateInput,
    responses(
        (status = 200, body = RequestView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not its reporter", body = ErrorBody),
        (status = 404, description = "REQUEST_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "ALREADY_RATED or INVALID_TRANSITION (not resolved)", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/requests/{id}/rate")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), request_id = *id))]
async fn rate(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<RateInput>,
) -> ApiResult<web::Json<RequestView>> {
    act(&state, &me, id.into_inner(), Command::Rate(body.0)).await
}

/// Reopen a resolved request (its reporter): once, within 7 days of the
/// resolution; it goes back to its handler with a new resolve clock.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = ReasonInput,
    responses(
        (status = 200, body = RequestView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not its reporter", body = ErrorBody),
        (status = 404, description = "REQUEST_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "REOPEN_NOT_ALLOWED (reopened before, or more than 7 days after) or INVALID_TRANSITION", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/requests/{id}/reopen")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), request_id = *id))]
async fn reopen(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<ReasonInput>,
) -> ApiResult<web::Json<RequestView>> {
    act(&state, &me, id.into_inner(), Command::Reopen(body.0)).await
}

/// Withdraw a request not yet resolved (its reporter).
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, body = RequestView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not its reporter", body = ErrorBody),
        (status = 404, description = "REQUEST_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION", body = ErrorBody),
    )
)]
#[post("/requests/{id}/withdraw")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), request_id = *id))]
async fn withdraw(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<RequestView>> {
    act(&state, &me, id.into_inner(), Command::Withdraw).await
}
