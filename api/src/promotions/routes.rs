//! `/promotions` (public, cached until the next start or end) and the
//! owner's `/merchants/{id}/promotions`, `/promotions/{id}`.

use actix_web::{HttpResponse, delete, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{self, NewPromotion, PromotionQuery, PromotionView};
use crate::auth::{AuthUser, MaybeAuthUser};
use crate::cache::keys;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::merchants::service as merchants;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_promotions)
        .service(owner_promotions)
        .service(create_promotion)
        .service(delete_promotion);
}

/// Running promotions of active merchants, ending soonest first. Without
/// `community_id`, a logged-in resident sees those serving their community.
#[utoipa::path(
    tag = "promotions",
    params(PromotionQuery, PageParams),
    responses(
        (status = 200, body = Paged<PromotionView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
    )
)]
#[get("/promotions")]
#[tracing::instrument(skip_all, level = "debug")]
async fn list_promotions(
    state: web::Data<AppState>,
    me: MaybeAuthUser,
    query: web::Query<PromotionQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Paged<PromotionView>>> {
    let page = Page::try_from(page.into_inner())?;
    let mut query = query.into_inner();
    if query.community_id.is_none() {
        query.community_id = me.0.and_then(|me| me.user.community_id);
    }
    Ok(web::Json(service::running(&state, query, page).await?))
}

/// All of the merchant's promotions, past and upcoming included (owner).
#[utoipa::path(
    tag = "promotions",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id"), PageParams),
    responses(
        (status = 200, body = Paged<PromotionView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/merchants/{id}/promotions")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = *id))]
async fn owner_promotions(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Paged<PromotionView>>> {
    let page = Page::try_from(page.into_inner())?;
    let m = merchants::owned_by(&state.db, id.into_inner(), &me).await?;
    Ok(web::Json(
        service::list_for_owner(&state.db, m.id, page).await?,
    ))
}

/// Create a promotion (owner).
#[utoipa::path(
    tag = "promotions",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id")),
    request_body = NewPromotion,
    responses(
        (status = 201, body = PromotionView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/merchants/{id}/promotions")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = *id))]
async fn create_promotion(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<NewPromotion>,
) -> ApiResult<HttpResponse> {
    let m = merchants::owned_by(&state.db, id.into_inner(), &me).await?;
    let created = service::create(&state.db, &m, body.0).await?;
    keys::promotions_changed(&state.cache).await;
    Ok(HttpResponse::Created().json(created))
}

/// Delete a promotion (owner).
#[utoipa::path(
    tag = "promotions",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Promotion id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: another merchant's running promotion", body = ErrorBody),
        (status = 404, description = "PROMOTION_NOT_FOUND", body = ErrorBody),
    )
)]
#[delete("/promotions/{id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), promotion_id = *id))]
async fn delete_promotion(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    service::delete(&state.db, id.into_inner(), &me).await?;
    keys::promotions_changed(&state.cache).await;
    Ok(HttpResponse::NoContent().finish())
}
