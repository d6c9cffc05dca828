//! `/auth/*`: WeChat, development and admin login; refresh; logout.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::AuthUser;
use super::jwt::JwtKeys;
use super::service::{self, TokenPair};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode, FieldError};
use crate::extract::Json;
use crate::rate_limit;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(wechat_login)
        .service(dev_login)
        .service(refresh)
        .service(logout)
        .service(admin_login)
        .service(change_password);
}

#[derive(Deserialize, ToSchema)]
pub struct WechatLoginRequest {
    /// The code from `wx.login()`; single use, valid about 5 minutes.
    #[schema(max_length = 128, pattern = r"\S")]
    pub code: String,
}

#[derive(Deserialize, ToSchema)]
pub struct DevLoginRequest {
    #[schema(max_length = 64, pattern = r"\S")]
    pub openid: String,
    #[schema(max_length = 32, pattern = r"\S")]
    pub nickname: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    #[schema(max_length = 256, pattern = r"\S")]
    pub refresh_token: String,
}

/// Both fields are required; a body leaving either out is answered with each
/// missing one in `details.fields`,
/// after the caller is known to be an admin.
#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    #[serde(default)]
    #[schema(
        required = true,
        max_length = 128,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub old_password: String,
    /// 8-128 characters, not the old one.
    #[serde(default)]
    #[schema(required = true, min_length = 8, max_length = 128)]
    pub new_password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct AdminLoginRequest {
    #[schema(max_length = 64, pattern = r"\S")]
    pub username: String,
    #[schema(max_length = 128, pattern = r"\S")]
    pub password: String,
}

fn require_text(field: &str, value: &str, max: usize) -> ApiResult<()> {
    let len = value.chars().count();
    if value.trim().is_empty() || len > max {
        return Err(ApiError::validation(vec![FieldError::new(
            field,
            format!("不能为空且不超过 {max} 个字符"),
        )]));
    }
    Ok(())
}

/// Log in with a `wx.login` code; creates the resident on first login.
#[utoipa::path(
    tag = "auth",
    request_body = WechatLoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "WECHAT_CODE_INVALID: the code is invalid or used", body = ErrorBody),
        (status = 403, description = "WECHAT_USER_BLOCKED", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED, by us or by WeChat", body = ErrorBody),
        (status = 503, description = "WECHAT_UNAVAILABLE", body = ErrorBody),
    )
)]
#[post("/auth/wechat/login")]
#[tracing::instrument(skip_all)]
async fn wechat_login(
    state: web::Data<AppState>,
    keys: web::Data<JwtKeys>,
    req: HttpRequest,
    body: Json<WechatLoginRequest>,
) -> ApiResult<web::Json<TokenPair>> {
    rate_limit::login(&state, &req).await?;
    require_text("code", &body.code, 128)?;
    let session = state.wechat.code_to_session(body.code.trim()).await?;
    let user = service::find_or_create_by_openid(&state.db, &session.openid, session.unionid, None)
        .await?;
    sign_in(&state, &keys, user).await
}

/// Development login by openid, without WeChat. 404 unless `auth.dev_login` is on.
#[utoipa::path(
    tag = "auth",
    request_body = DevLoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 404, description = "ROUTE_NOT_FOUND: dev login is off", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    )
)]
#[post("/auth/dev/login")]
#[tracing::instrument(skip_all)]
async fn dev_login(
    state: web::Data<AppState>,
    keys: web::Data<JwtKeys>,
    req: HttpRequest,
    body: Json<DevLoginRequest>,
) -> ApiResult<web::Json<TokenPair>> {
    if !state.settings.auth.dev_login {
        return Err(ErrorCode::RouteNotFound.into());
    }
    rate_limit::login(&state, &req).await?;
    require_text("openid", &body.openid, 64)?;
    if let Some(nickname) = &body.nickname {
        require_text("nickname", nickname, 32)?;
    }
    let body = body.0;
    // Stored as shown: no spaces around (they would defeat look-ups and CSV defusing).
    let nickname = body.nickname.map(|n| n.trim().to_owned());
    let user =
        service::find_or_create_by_openid(&state.db, body.openid.trim(), None, nickname).await?;
    sign_in(&state, &keys, user).await
}

/// Trade a refresh token for a new pair. Each refresh token works once;
/// replaying a spent one signs the whole session out.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New pair", body = TokenPair),
        (status = 401, description = "REFRESH_TOKEN_INVALID or REFRESH_TOKEN_REUSED", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    )
)]
#[post("/auth/refresh")]
#[tracing::instrument(skip_all)]
async fn refresh(
    state: web::Data<AppState>,
    keys: web::Data<JwtKeys>,
    req: HttpRequest,
    body: Json<RefreshRequest>,
) -> ApiResult<web::Json<TokenPair>> {
    rate_limit::login(&state, &req).await?;
    require_text("refresh_token", &body.refresh_token, 256)?;
    let pair = service::rotate(
        &state.db,
        &keys,
        state.settings.auth.refresh_ttl_days,
        &body.refresh_token,
    )
    .await?;
    Ok(web::Json(pair))
}

/// Sign out: revokes the session's refresh tokens and its access tokens.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "UNAUTHORIZED, TOKEN_INVALID or TOKEN_EXPIRED", body = ErrorBody),
    )
)]
#[post("/auth/logout")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn logout(state: web::Data<AppState>, me: AuthUser) -> ApiResult<HttpResponse> {
    service::revoke_session(&state.db, &me.session_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Admin login with username and password.
#[utoipa::path(
    tag = "auth",
    request_body = AdminLoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "INVALID_CREDENTIALS", body = ErrorBody),
        (status = 403, description = "ACCOUNT_DISABLED: a platform admin disabled the account", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    )
)]
#[post("/auth/admin/login")]
#[tracing::instrument(skip_all)]
async fn admin_login(
    state: web::Data<AppState>,
    keys: web::Data<JwtKeys>,
    req: HttpRequest,
    body: Json<AdminLoginRequest>,
) -> ApiResult<web::Json<TokenPair>> {
    rate_limit::login(&state, &req).await?;
    require_text("username", &body.username, 64)?;
    require_text("password", &body.password, 128)?;
    let user = service::admin_login(&state.db, body.username.trim(), &body.password).await?;
    sign_in(&state, &keys, user).await
}

/// A new session for a user who proved who they are: the token pair.
async fn sign_in(
    state: &AppState,
    keys: &JwtKeys,
    user: entity::user::Model,
) -> ApiResult<web::Json<TokenPair>> {
    let pair =
        service::start_session(&state.db, keys, state.settings.auth.refresh_ttl_days, user).await?;
    Ok(web::Json(pair))
}

/// Change the caller's own password (admin accounts). Signs out every other
/// session of the account; this one stays signed in.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "UNAUTHORIZED, TOKEN_INVALID or TOKEN_EXPIRED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin account", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: old_password wrong, new_password too short or unchanged", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    )
)]
#[post("/me/password")]
async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: AuthUser,
    body: Json<PasswordChange>,
) -> ApiResult<HttpResponse> {
    me.require_any(&[super::Role::CommunityAdmin, super::Role::PlatformAdmin])?;
    rate_limit::login(&state, &req).await?;
    service::change_password(&state.db, &me, &body.old_password, &body.new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}
