//! `/requests`, `/me/requests`, `/me/request-queue`, `/grid/requests`,
//! `/admin/requests`, `/admin/request-stats` and `/requests/{id}`; the moves
//! on a request are `move_routes.rs`'s.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::access::{self, Relation};
use super::figures::{self, FigureFilter, RequestStats, StatsQuery};
use super::lists::{self, BoardQuery, ListQuery};
use super::report::{self, ReportInput};
use super::views::{self, RequestView};
use super::{Ctx, categories};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::idempotency::{self, Begun, IdempotencyKey};
use crate::pagination::Paged;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.configure(categories::configure)
        .service(create)
        .service(mine)
        .service(queue)
        .service(grid_requests)
        .service(board)
        .service(stats)
        .service(detail);
}

/// Report a request (resident; or a grid worker for a resident of their
/// grid with `on_behalf_of_user_id` and `consent`, or on their own, a 速办件
/// with `express`). Deadlines are set on the working-day calendar at once.
/// With an `Idempotency-Key`, a retry with the same body answers the first
/// response again and files nothing more.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "1-64 printable ASCII characters; remembered 24 hours")),
    request_body = ReportInput,
    responses(
        (status = 201, body = RequestView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a resident; 代办 or 速办件 by a non grid worker, for a resident or at a place outside the worker's grids", body = ErrorBody),
        (status = 409, description = "IDEMPOTENCY_IN_PROGRESS", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED (every bad field listed) or IDEMPOTENCY_KEY_REUSED", body = ErrorBody),
        (status = 503, description = "SERVICE_UNAVAILABLE: the working-day calendar lacks a year the deadlines run into", body = ErrorBody),
    )
)]
#[post("/requests")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn create(
    state: web::Data<AppState>,
    me: AuthUser,
    req: HttpRequest,
    body: Json<ReportInput>,
) -> ApiResult<HttpResponse> {
    let key = IdempotencyKey::from_request(&req)?;
    let fingerprint = idempotency::fingerprint("POST /requests", &body.0);
    let attempt = match idempotency::begin(&state.db, me.id(), key.as_ref(), &fingerprint).await? {
        Begun::Replay(status, json) => return Ok(HttpResponse::build(status).json(json)),
        Begun::Fresh(attempt) => attempt,
    };
    let ctx = Ctx::of(&state);
    let created = async {
        let saved = report::create(attempt.txn(), ctx, &me, &body.0).await?;
        let own = Relation {
            reporter: true,
            ..Relation::default()
        };
        let view = views::detail(attempt.txn(), saved, &own, ctx.now).await?;
        Ok((
            StatusCode::CREATED,
            serde_json::to_value(view).map_err(ApiError::internal)?,
        ))
    }
    .await;
    let (status, json) = attempt.finish(&state.db, created).await?;
    Ok(HttpResponse::build(status).json(json))
}

/// The requests the caller reported, or filed for residents as a grid worker; newest first.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, body = Paged<RequestView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/me/requests")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn mine(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<ListQuery>,
) -> ApiResult<web::Json<Paged<RequestView>>> {
    let now = state.clock.now();
    Ok(web::Json(
        lists::mine(&state.db, me.id(), &query, now).await?,
    ))
}

/// The handler's queue, soonest deadline first: requests assigned to the
/// caller's departments, grid-level requests of their grids, and
/// community-level requests of the communities they administer. Default
/// statuses: assigned and accepted.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, body = Paged<RequestView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: handles no requests (no department, grid or community)", body = ErrorBody),
    )
)]
#[get("/me/request-queue")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn queue(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<ListQuery>,
) -> ApiResult<web::Json<Paged<RequestView>>> {
    me.require_any(&[
        Role::DepartmentStaff,
        Role::GridWorker,
        Role::CommunityAdmin,
    ])?;
    let scope = access::scope_of(&state.db, &me).await?;
    let now = state.clock.now();
    Ok(web::Json(
        lists::queue(&state.db, me.id(), &scope, &query, now).await?,
    ))
}

/// Every request located in the caller's grids (grid workers), newest first.
#[utoipa::path(
    tag = "grid",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, body = Paged<RequestView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a grid worker", body = ErrorBody),
    )
)]
#[get("/grid/requests")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn grid_requests(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<ListQuery>,
) -> ApiResult<web::Json<Paged<RequestView>>> {
    me.require(Role::GridWorker)?;
    let grids = access::grids_of(&state.db, me.id()).await?;
    let now = state.clock.now();
    Ok(web::Json(
        lists::grid(&state.db, me.id(), &grids, &query, now).await?,
    ))
}

/// The admin board of the caller's communities (platform admins: all), with
/// filters; anonymous reporters stay hidden.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(BoardQuery),
    responses(
        (status = 200, body = Paged<RequestView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of that community", body = ErrorBody),
        (status = 404, description = "COMMUNITY_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/admin/requests")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn board(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<BoardQuery>,
) -> ApiResult<web::Json<Paged<RequestView>>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let scope = access::scope_of(&state.db, &me).await?;
    let scope = lists::narrow(&state.db, &me, scope, query.community_id).await?;
    let now = state.clock.now();
    Ok(web::Json(
        lists::board(&state.db, me.id(), &scope, &query, now).await?,
    ))
}

/// The request figures of the caller's communities: received, closed,
/// closure rate, on-time rate, average hours to accept and to resolve,
/// satisfaction; in total and `by` community, department, category, month or day.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(StatsQuery),
    responses(
        (status = 200, body = RequestStats),
        (status = 400, description = "INVALID_QUERY: a bad date, `to` before `from`, or an unknown `by`", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of that community", body = ErrorBody),
        (status = 404, description = "COMMUNITY_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/admin/request-stats")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn stats(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<StatsQuery>,
) -> ApiResult<web::Json<RequestStats>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let filter = FigureFilter::parse(&query)?;
    let scope = access::scope_of(&state.db, &me).await?;
    let scope = lists::narrow(&state.db, &me, scope, query.community_id).await?;
    Ok(web::Json(
        figures::compute(&state.db, &scope, &filter).await?,
    ))
}

/// One request with its timeline: to its reporter (and the grid worker who
/// filed it), the admins of its community, the grid workers of its grid and
/// the staff of the department it is assigned to; 404 for anyone else.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, body = RequestView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "REQUEST_NOT_FOUND (also one outside the caller's scope)", body = ErrorBody),
    )
)]
#[get("/requests/{id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), request_id = *id))]
async fn detail(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<RequestView>> {
    let (r, rel) = access::visible(&state.db, &me, id.into_inner()).await?;
    Ok(web::Json(
        views::detail(&state.db, r, &rel, state.clock.now()).await?,
    ))
}
