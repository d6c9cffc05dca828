//! `/communities/{id}/shelf`, `/shelf/items/{id}/redeem`, `/me/redemptions...`,
//! `/admin/shelf/...`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::redemptions::{self, NewRedemption, RedemptionView};
use super::service::{self, NewShelfItem, ShelfItemPatch, ShelfItemView};
use crate::auth::AuthUser;
use crate::db::begin_write;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::Json;
use crate::idempotency::{self, Begun, IdempotencyKey};
use crate::media::MediaStore;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(community_shelf)
        .service(admin_items)
        .service(create_item)
        .service(update_item)
        .service(delete_item)
        .service(redeem)
        .service(my_redemptions)
        .service(cancel_redemption)
        .service(pick_up);
}

/// A community's 爱心超市 shelf: items on it, newest first.
#[utoipa::path(tag = "shelf", params(("id" = i64, Path, description = "Community id"), PageParams),
    responses((status = 200, body = Paged<ShelfItemView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody)))]
#[get("/communities/{id}/shelf")]
async fn community_shelf(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    id: web::Path<i64>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Paged<ShelfItemView>>> {
    let page = Page::try_from(page.into_inner())?;
    let listed = service::shelf(&state.db, id.into_inner(), false, page).await?;
    Ok(web::Json(
        listed
            .map_batch(|items| service::with_images(&state.db, &media, items))
            .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommunityQuery {
    pub community_id: i64,
}

/// Every item of a community's shelf, off-shelf ones too (admins).
#[utoipa::path(tag = "shelf", security(("bearer" = [])), params(CommunityQuery, PageParams),
    responses((status = 200, body = Paged<ShelfItemView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody)))]
#[get("/admin/shelf/items")]
async fn admin_items(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    q: web::Query<CommunityQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Paged<ShelfItemView>>> {
    me.require_admin_of(&state.db, q.community_id).await?;
    let page = Page::try_from(page.into_inner())?;
    let listed = service::shelf(&state.db, q.community_id, true, page).await?;
    Ok(web::Json(
        listed
            .map_batch(|items| service::with_images(&state.db, &media, items))
            .await?,
    ))
}

/// Stocks an item (admin of the community).
#[utoipa::path(tag = "shelf", security(("bearer" = [])), request_body = NewShelfItem,
    responses((status = 201, body = ShelfItemView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody)))]
#[post("/admin/shelf/items")]
async fn create_item(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    body: Json<NewShelfItem>,
) -> ApiResult<HttpResponse> {
    me.admin_communities(&state.db).await?;
    me.require_admin_of(&state.db, body.0.community_id).await?;
    let txn = begin_write(&state.db).await?;
    let created = service::create(&*txn, me.id(), body.0).await?;
    txn.commit().await?;
    let created = service::with_images_one(&state.db, &media, created).await?;
    Ok(HttpResponse::Created().json(created))
}

async fn admin_item(
    state: &AppState,
    me: &AuthUser,
    id: i64,
) -> ApiResult<entity::shelf_item::Model> {
    me.admin_communities(&state.db).await?;
    let item = service::find(&state.db, id).await?;
    me.require_admin_of(&state.db, item.community_id)
        .await
        .map_err(|_| ApiError::new(ErrorCode::ShelfItemNotFound))?;
    Ok(item)
}

/// Edits an item (price, stock, texts, images, on shelf).
#[utoipa::path(tag = "shelf", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Item id")), request_body = ShelfItemPatch,
    responses((status = 200, body = ShelfItemView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "SHELF_ITEM_NOT_FOUND", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody)))]
#[patch("/admin/shelf/items/{id}")]
async fn update_item(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<ShelfItemPatch>,
) -> ApiResult<web::Json<ShelfItemView>> {
    let item = admin_item(&state, &me, id.into_inner()).await?;
    let txn = begin_write(&state.db).await?;
    let view = service::update(&*txn, me.id(), item, body.0).await?;
    txn.commit().await?;
    Ok(web::Json(
        service::with_images_one(&state.db, &media, view).await?,
    ))
}

/// Removes an item for good (its redemptions stay).
#[utoipa::path(tag = "shelf", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Item id")),
    responses((status = 204, description = "Deleted"),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "SHELF_ITEM_NOT_FOUND", body = ErrorBody)))]
#[delete("/admin/shelf/items/{id}")]
async fn delete_item(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let item = admin_item(&state, &me, id.into_inner()).await?;
    let txn = begin_write(&state.db).await?;
    service::delete(&*txn, item).await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Redeems an item for points: the points and the stock are taken in one
/// transaction; the answer carries the pickup code. With an
/// `Idempotency-Key`, a retry answers the first redemption again.
#[utoipa::path(tag = "shelf", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Item id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1-64 printable ASCII characters; remembered 24 hours")),
    request_body = NewRedemption,
    responses((status = 201, body = RedemptionView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "SHELF_ITEM_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INSUFFICIENT_STOCK, INSUFFICIENT_POINTS, IDEMPOTENCY_IN_PROGRESS", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED or IDEMPOTENCY_KEY_REUSED", body = ErrorBody)))]
#[post("/shelf/items/{id}/redeem")]
async fn redeem(
    state: web::Data<AppState>,
    me: AuthUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: Json<NewRedemption>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let key = IdempotencyKey::from_request(&req)?;
    let fingerprint = idempotency::fingerprint(&format!("POST /shelf/items/{id}/redeem"), &body.0);
    let attempt = match idempotency::begin(&state.db, me.id(), key.as_ref(), &fingerprint).await? {
        Begun::Replay(status, json) => return Ok(HttpResponse::build(status).json(json)),
        Begun::Fresh(attempt) => attempt,
    };
    let done = async {
        let view = redemptions::redeem(attempt.txn(), me.id(), id, body.0.clone()).await?;
        Ok((
            StatusCode::CREATED,
            serde_json::to_value(view).map_err(ApiError::internal)?,
        ))
    }
    .await;
    let (status, json) = attempt.finish(&state.db, done).await?;
    Ok(HttpResponse::build(status).json(json))
}

/// The caller's redemptions, newest first (pickup codes while awaiting pickup).
#[utoipa::path(tag = "shelf", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Paged<RedemptionView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody)))]
#[get("/me/redemptions")]
async fn my_redemptions(
    state: web::Data<AppState>,
    me: AuthUser,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Paged<RedemptionView>>> {
    let page = Page::try_from(page.into_inner())?;
    Ok(web::Json(
        redemptions::mine(&state.db, me.id(), page).await?,
    ))
}

/// Cancels a redemption before pickup: the points and the stock return.
#[utoipa::path(tag = "shelf", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Redemption id")),
    responses((status = 200, body = RedemptionView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "REDEMPTION_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: picked up or cancelled already", body = ErrorBody)))]
#[post("/me/redemptions/{id}/cancel")]
async fn cancel_redemption(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<RedemptionView>> {
    let txn = begin_write(&state.db).await?;
    let view = redemptions::cancel(&*txn, me.id(), id.into_inner()).await?;
    txn.commit().await?;
    Ok(web::Json(view))
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct PickupBody {
    pub pickup_code: String,
}

/// The counter: hands over the redemption a pickup code names (an admin of
/// its community), once.
#[utoipa::path(tag = "shelf", security(("bearer" = [])), request_body = PickupBody,
    responses((status = 200, body = RedemptionView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
        (status = 409, description = "PICKUP_CODE_INVALID: wrong, used, cancelled or another community's", body = ErrorBody)))]
#[post("/admin/shelf/pickups")]
async fn pick_up(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<PickupBody>,
) -> ApiResult<web::Json<RedemptionView>> {
    let scope = me.admin_communities(&state.db).await?;
    let txn = begin_write(&state.db).await?;
    let r = redemptions::by_code(&*txn, body.0.pickup_code.trim(), scope.as_deref()).await?;
    let view = redemptions::pick_up(&*txn, r, me.id()).await?;
    txn.commit().await?;
    Ok(web::Json(view))
}
