//! `/me`: the caller's own profile, building binding and phone, and
//! erasing the account (`erase`).

pub mod erase;
pub mod service;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

pub use self::service::{MePatch, PhoneRequest};
use crate::auth::AuthUser;
pub use crate::auth::UserView;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::media::MediaStore;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_me)
        .service(patch_me)
        .service(bind_phone)
        .service(erase_me);
}

/// The caller's profile.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserView),
        (status = 401, description = "UNAUTHORIZED, TOKEN_INVALID or TOKEN_EXPIRED", body = ErrorBody),
    )
)]
#[get("/me")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn get_me(me: AuthUser) -> web::Json<UserView> {
    web::Json(UserView::from_model(&me.user))
}

/// Edit nickname, avatar, building and room.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    request_body = MePatch,
    responses(
        (status = 200, body = UserView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED (building_id that does not exist, avatar_upload_id not the caller's `avatar` upload)", body = ErrorBody),
    )
)]
#[patch("/me")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn patch_me(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    body: Json<MePatch>,
) -> ApiResult<web::Json<UserView>> {
    let saved = service::update_profile(&state.db, &media, me.user, body.0).await?;
    Ok(web::Json(UserView::from_model(&saved)))
}

/// Bind the phone number from WeChat's phone-number button.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    request_body = PhoneRequest,
    responses(
        (status = 200, description = "The profile with the masked phone", body = UserView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: the code is missing, invalid or used", body = ErrorBody),
        (status = 503, description = "WECHAT_UNAVAILABLE", body = ErrorBody),
    )
)]
#[post("/me/phone")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn bind_phone(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<PhoneRequest>,
) -> ApiResult<web::Json<UserView>> {
    let saved = service::bind_phone(&state.db, &state.wechat, me.user, &body.code).await?;
    Ok(web::Json(UserView::from_model(&saved)))
}

/// Erase the caller's account (注销): name, nickname, phone, WeChat ids,
/// avatar, building and room, subscriptions and inbox go at once and every
/// session is signed out; orders, payments and bookings stay, anonymised.
/// The same WeChat user logging in again gets a new, empty account.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Erased; the token no longer works"),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: admin accounts are not erased here", body = ErrorBody),
    )
)]
#[delete("/me")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn erase_me(state: web::Data<AppState>, me: AuthUser) -> ApiResult<HttpResponse> {
    erase::erase_account(&state.db, &me.user, state.clock.now()).await?;
    crate::inbox::tracking::note(&[me.id()]);
    Ok(HttpResponse::NoContent().finish())
}
