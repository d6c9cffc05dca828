//! Admin accounts (platform and community admins), the user directory of
//! an admin's communities, and grid-worker assignments.

pub mod account_routes;
pub mod accounts;
pub mod directory;
pub mod service;

use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

pub use self::service::{AdminScope, create_admin_account};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_admin).service(assign_grid_worker);
    account_routes::configure(cfg);
}

#[derive(Deserialize, ToSchema)]
pub struct NewAdmin {
    /// 3-32 of `a-z A-Z 0-9 _ . -`.
    pub username: String,
    /// 8-128 characters.
    pub password: String,
    /// Communities this admin manages; at least one.
    pub community_ids: Vec<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminView {
    pub id: i64,
    pub username: String,
    pub roles: Vec<Role>,
    pub community_ids: Vec<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewGridWorker {
    pub user_id: i64,
    pub grid_id: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GridWorkerView {
    pub user_id: i64,
    pub grid_id: i64,
    pub community_id: i64,
}

/// Create a community admin (platform admin).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewAdmin,
    responses(
        (status = 201, body = AdminView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a platform admin", body = ErrorBody),
        (status = 409, description = "USERNAME_TAKEN", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/admin/admins")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn create_admin(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<NewAdmin>,
) -> ApiResult<HttpResponse> {
    me.require(Role::PlatformAdmin)?;
    let body = body.0;
    let created = create_admin_account(
        &state.db,
        body.username.trim(),
        &body.password,
        AdminScope::Communities(body.community_ids),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Make a resident the grid worker of a grid in the admin's community.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewGridWorker,
    responses(
        (status = 201, body = GridWorkerView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: the grid is outside the admin's communities", body = ErrorBody),
        (status = 404, description = "GRID_NOT_FOUND; USER_NOT_FOUND: not in the admin's user directory", body = ErrorBody),
        (status = 409, description = "ALREADY_EXISTS: already this grid's worker", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: not a WeChat resident bound to the grid's community", body = ErrorBody),
    )
)]
#[post("/admin/grid-workers")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn assign_grid_worker(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<NewGridWorker>,
) -> ApiResult<HttpResponse> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let assigned = service::assign_grid_worker(&state.db, &me, body.0).await?;
    Ok(HttpResponse::Created().json(assigned))
}
