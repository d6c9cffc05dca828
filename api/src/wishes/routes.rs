//! `/wishes...`, `/me/wishes`, `/admin/wishes...`.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::flow::{self, Rejection, WishFulfilment};
use super::service::{self, AdminWishQuery, NewWish, WallQuery, WishView};
use crate::auth::{AuthUser, MaybeAuthUser};
use crate::error::{ApiResult, ErrorBody, ErrorCode};
use crate::extract::Json;
use crate::media::MediaStore;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

/// A wish as answered: its photos as URLs.
async fn shown(
    state: &AppState,
    media: &MediaStore,
    view: WishView,
) -> ApiResult<web::Json<WishView>> {
    Ok(web::Json(
        service::with_photos_one(&state.db, media, view).await?,
    ))
}

/// A page of wishes as answered: their photos as URLs.
async fn shown_page(
    state: &AppState,
    media: &MediaStore,
    page: Paged<WishView>,
) -> ApiResult<web::Json<Paged<WishView>>> {
    Ok(web::Json(
        page.map_batch(|items| service::with_photos(&state.db, media, items))
            .await?,
    ))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(post_wish)
        .service(wall)
        .service(my_wishes)
        .service(admin_wishes)
        .service(one_wish)
        .service(approve)
        .service(reject)
        .service(claim)
        .service(fulfil)
        .service(confirm);
}

/// Posts a wish (a resident; a grid worker for a resident of their grid
/// with `on_behalf_of_user_id`); it waits for an admin's approval.
#[utoipa::path(tag = "wishes", security(("bearer" = [])), request_body = NewWish,
    responses((status = 201, body = WishView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: for someone else without being a grid worker", body = ErrorBody),
        (status = 404, description = "USER_NOT_FOUND: not a resident of the worker's grids", body = ErrorBody),
        (status = 409, description = "ADDRESS_REQUIRED: the wisher has no community", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED or CONTENT_REJECTED", body = ErrorBody)))]
#[post("/wishes")]
async fn post_wish(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    body: Json<NewWish>,
) -> ApiResult<HttpResponse> {
    let created = service::post(&state, &me, body.0).await?;
    let created = service::with_photos_one(&state.db, &media, created).await?;
    Ok(HttpResponse::Created().json(created))
}

/// The wish wall: approved public wishes of a community (the caller's by
/// default), in one status (`open` by default), newest first.
#[utoipa::path(tag = "wishes", params(WallQuery, PageParams),
    responses((status = 200, body = Paged<WishView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody)))]
#[get("/wishes")]
async fn wall(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: MaybeAuthUser,
    q: web::Query<WallQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Paged<WishView>>> {
    let page = Page::try_from(page.into_inner())?;
    let community = q
        .community_id
        .or_else(|| me.0.and_then(|m| m.user.community_id));
    let listed = service::wall(&state.db, community, q.status.as_deref(), page).await?;
    shown_page(&state, &media, listed).await
}

/// Wishes the caller made, posted for someone, or claimed.
#[utoipa::path(tag = "wishes", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Paged<WishView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody)))]
#[get("/me/wishes")]
async fn my_wishes(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Paged<WishView>>> {
    let page = Page::try_from(page.into_inner())?;
    let listed = service::listed(&state.db, service::of_user(me.id()), page).await?;
    shown_page(&state, &media, listed).await
}

/// Wishes of the admin's communities, by status (the review queue: `pending`).
#[utoipa::path(tag = "wishes", security(("bearer" = [])), params(AdminWishQuery, PageParams),
    responses((status = 200, body = Paged<WishView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody)))]
#[get("/admin/wishes")]
async fn admin_wishes(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    q: web::Query<AdminWishQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Paged<WishView>>> {
    let scope = me.admin_scope(&state.db, q.community_id).await?;
    let page = Page::try_from(page.into_inner())?;
    let listed = service::admin_list(&state.db, scope, q.status.as_deref(), page).await?;
    shown_page(&state, &media, listed).await
}

/// One wish: on the wall, or the caller's (wisher, poster, claimer, admin).
#[utoipa::path(tag = "wishes", params(("id" = i64, Path, description = "Wish id")),
    responses((status = 200, body = WishView),
        (status = 404, description = "WISH_NOT_FOUND", body = ErrorBody)))]
#[get("/wishes/{id}")]
async fn one_wish(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: MaybeAuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<WishView>> {
    let w = service::find(&state.db, id.into_inner()).await?;
    if !service::visible_to(&state.db, &w, me.0.as_ref()).await? {
        return Err(ErrorCode::WishNotFound.into());
    }
    shown(&state, &media, w.into()).await
}

/// Approves a pending wish onto the wall (admin of its community).
#[utoipa::path(tag = "wishes", security(("bearer" = [])), params(("id" = i64, Path, description = "Wish id")),
    responses((status = 200, body = WishView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "WISH_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: not pending", body = ErrorBody)))]
#[post("/admin/wishes/{id}/approve")]
async fn approve(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<WishView>> {
    let view = flow::approve(&state.db, &me, id.into_inner()).await?;
    shown(&state, &media, view).await
}

/// Rejects a pending wish with a reason.
#[utoipa::path(tag = "wishes", security(("bearer" = [])), params(("id" = i64, Path, description = "Wish id")),
    request_body = Rejection,
    responses((status = 200, body = WishView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "WISH_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: not pending", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody)))]
#[post("/admin/wishes/{id}/reject")]
async fn reject(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<Rejection>,
) -> ApiResult<web::Json<WishView>> {
    let view = flow::reject(&state.db, &me, id.into_inner(), body.0).await?;
    shown(&state, &media, view).await
}

/// Claims an open wish (one claimer; the claim lapses after
/// `points.wish_claim_days` unfulfilled).
#[utoipa::path(tag = "wishes", security(("bearer" = [])), params(("id" = i64, Path, description = "Wish id")),
    responses((status = 200, body = WishView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: one's own wish", body = ErrorBody),
        (status = 404, description = "WISH_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "WISH_TAKEN, INVALID_TRANSITION", body = ErrorBody)))]
#[post("/wishes/{id}/claim")]
async fn claim(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<WishView>> {
    let days = state.settings.points.wish_claim_days;
    let view = flow::claim(&state.db, &me, id.into_inner(), days).await?;
    shown(&state, &media, view).await
}

/// The claimer reports the wish fulfilled, with a note and photos.
#[utoipa::path(tag = "wishes", security(("bearer" = [])), params(("id" = i64, Path, description = "Wish id")),
    request_body = WishFulfilment,
    responses((status = 200, body = WishView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "WISH_NOT_FOUND: not the claimer", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody)))]
#[post("/wishes/{id}/fulfil")]
async fn fulfil(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<WishFulfilment>,
) -> ApiResult<web::Json<WishView>> {
    let view = flow::fulfil(&state.db, &me, id.into_inner(), body.0).await?;
    shown(&state, &media, view).await
}

/// The wisher (or the grid worker who posted it) confirms the fulfilment;
/// the claimer is awarded the `wish_fulfilled` rule's points once.
#[utoipa::path(tag = "wishes", security(("bearer" = [])), params(("id" = i64, Path, description = "Wish id")),
    responses((status = 200, body = WishView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "WISH_NOT_FOUND: neither wisher nor poster", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: not fulfilled, or confirmed already", body = ErrorBody)))]
#[post("/wishes/{id}/confirm")]
async fn confirm(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<WishView>> {
    let view = flow::confirm(&state.db, &me, id.into_inner()).await?;
    shown(&state, &media, view).await
}
