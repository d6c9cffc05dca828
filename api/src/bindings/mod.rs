//! Building bindings that wait for approval: the community's rule, the
//! pending list and the decisions (`service` says how).

pub mod service;

use actix_web::{get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use self::service::{
    BindingApprovalSetting, BindingDecision, CommunityBindingSetting, PendingBinding, PendingQuery,
};
use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(set_rule)
        .service(pending)
        .service(approve)
        .service(reject);
}

/// Whether new building bindings in the community wait for approval.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Community id")),
    request_body = BindingApprovalSetting,
    responses(
        (status = 200, body = CommunityBindingSetting),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the community", body = ErrorBody),
        (status = 404, description = "COMMUNITY_NOT_FOUND", body = ErrorBody),
    )
)]
#[put("/admin/communities/{id}/binding-approval")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), community_id = *id))]
async fn set_rule(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<BindingApprovalSetting>,
) -> ApiResult<web::Json<CommunityBindingSetting>> {
    let saved = service::set_rule(&state.db, &me, id.into_inner(), body.0).await?;
    Ok(web::Json(saved))
}

/// Bindings waiting for the caller's approval (grid workers: their grids'
/// buildings; admins: their communities), oldest first.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(PendingQuery, PageParams),
    responses(
        (status = 200, body = Paged<PendingBinding>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: neither a grid worker nor an admin", body = ErrorBody),
    )
)]
#[get("/bindings/pending")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn pending(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<PendingQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<PendingBinding>>> {
    Ok(web::Json(
        service::pending(&state.db, &me, &query, page).await?,
    ))
}

/// Approve a resident's pending binding.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("user_id" = i64, Path, description = "The resident")),
    responses(
        (status = 200, body = BindingDecision),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "USER_NOT_FOUND: not a resident the caller reaches", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: the binding is not pending", body = ErrorBody),
    )
)]
#[post("/bindings/{user_id}/approve")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), resident_id = *user_id))]
async fn approve(
    state: web::Data<AppState>,
    me: AuthUser,
    user_id: web::Path<i64>,
) -> ApiResult<web::Json<BindingDecision>> {
    let now = state.clock.now();
    Ok(web::Json(
        service::decide(&state.db, &me, user_id.into_inner(), true, now).await?,
    ))
}

/// Reject a resident's pending binding: they are unbound and told why to check it.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("user_id" = i64, Path, description = "The resident")),
    responses(
        (status = 200, body = BindingDecision),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "USER_NOT_FOUND: not a resident the caller reaches", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: the binding is not pending", body = ErrorBody),
    )
)]
#[post("/bindings/{user_id}/reject")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), resident_id = *user_id))]
async fn reject(
    state: web::Data<AppState>,
    me: AuthUser,
    user_id: web::Path<i64>,
) -> ApiResult<web::Json<BindingDecision>> {
    let now = state.clock.now();
    Ok(web::Json(
        service::decide(&state.db, &me, user_id.into_inner(), false, now).await?,
    ))
}
