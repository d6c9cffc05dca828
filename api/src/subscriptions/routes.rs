//! `/me/subscriptions`: the subscribe-message grants a user accepted.

use actix_web::{get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{GrantView, NewGrants, grants_of};
use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(add_grants).service(list_grants);
}

/// Record grants the user accepted in `wx.requestSubscribeMessage`; answers every topic's balance.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    request_body = NewGrants,
    responses(
        (status = 200, body = Vec<GrantView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: unknown topic or grants outside 1-10", body = ErrorBody),
    )
)]
#[post("/me/subscriptions")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn add_grants(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<NewGrants>,
) -> ApiResult<web::Json<Vec<GrantView>>> {
    Ok(web::Json(
        super::add_grants(&state.db, me.id(), body.0).await?,
    ))
}

/// The caller's remaining grants per topic.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<GrantView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/me/subscriptions")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn list_grants(
    state: web::Data<AppState>,
    me: AuthUser,
) -> ApiResult<web::Json<Vec<GrantView>>> {
    Ok(web::Json(grants_of(&state.db, me.id()).await?))
}
