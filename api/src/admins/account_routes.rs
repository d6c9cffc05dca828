//! `/admin/users` (the directory of the admin's communities) and the
//! platform admin's management of community admins' accounts.

use actix_web::{get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::accounts::{self, AdminAccountQuery, AdminAccountView, PasswordReset};
use super::directory::{self, DirectoryEntry, DirectoryQuery};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(user_directory)
        .service(list_admins)
        .service(disable_admin)
        .service(enable_admin)
        .service(reset_admin_password);
}

/// People bound to the admin's communities, by phone (full or last four
/// digits), nickname or building, with roles and bindings; oldest first.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(DirectoryQuery, PageParams),
    responses(
        (status = 200, body = Paged<DirectoryEntry>),
        (status = 400, description = "INVALID_QUERY: e.g. a phone that is neither 11 nor 4 digits", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
    )
)]
#[get("/admin/users")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn user_directory(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<DirectoryQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<DirectoryEntry>>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    Ok(web::Json(
        directory::search(&state.db, &me, query.into_inner(), page).await?,
    ))
}

/// Community admins' accounts (platform admin), oldest first.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(AdminAccountQuery, PageParams),
    responses(
        (status = 200, body = Paged<AdminAccountView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a platform admin", body = ErrorBody),
    )
)]
#[get("/admin/admins")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn list_admins(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<AdminAccountQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<AdminAccountView>>> {
    me.require(Role::PlatformAdmin)?;
    Ok(web::Json(
        accounts::list(&state.db, query.into_inner(), page).await?,
    ))
}

/// Disable a community admin (platform admin): every token of the account
/// stops working at once and it cannot log in.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The admin's user id")),
    responses(
        (status = 200, body = AdminAccountView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a platform admin", body = ErrorBody),
        (status = 404, description = "ADMIN_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "CONFLICT: already disabled", body = ErrorBody),
    )
)]
#[post("/admin/admins/{id}/disable")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), admin_id = *id))]
async fn disable_admin(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<AdminAccountView>> {
    me.require(Role::PlatformAdmin)?;
    Ok(web::Json(
        accounts::set_disabled(&state.db, id.into_inner(), true).await?,
    ))
}

/// Enable a disabled community admin again (platform admin).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The admin's user id")),
    responses(
        (status = 200, body = AdminAccountView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a platform admin", body = ErrorBody),
        (status = 404, description = "ADMIN_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "CONFLICT: not disabled", body = ErrorBody),
    )
)]
#[post("/admin/admins/{id}/enable")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), admin_id = *id))]
async fn enable_admin(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<AdminAccountView>> {
    me.require(Role::PlatformAdmin)?;
    Ok(web::Json(
        accounts::set_disabled(&state.db, id.into_inner(), false).await?,
    ))
}

/// Reset a community admin's password (platform admin): their sessions end.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The admin's user id")),
    request_body = PasswordReset,
    responses(
        (status = 200, body = AdminAccountView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a platform admin", body = ErrorBody),
        (status = 404, description = "ADMIN_NOT_FOUND", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: new_password not 8-128 characters", body = ErrorBody),
    )
)]
#[post("/admin/admins/{id}/reset-password")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), admin_id = *id))]
async fn reset_admin_password(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<PasswordReset>,
) -> ApiResult<web::Json<AdminAccountView>> {
    me.require(Role::PlatformAdmin)?;
    Ok(web::Json(
        accounts::reset_password(&state.db, id.into_inner(), body.0).await?,
    ))
}
