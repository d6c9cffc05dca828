//! `/services` (public catalog, cached), `/helpers/me/services` and
//! `/helpers/me/slots` (the helper's own), `/services/{id}/slots` (public).

use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{self, CatalogQuery, NewService, ServicePatch, ServiceView};
use super::slots::{self, NewSlot, SlotView, SlotWindow};
use crate::auth::AuthUser;
use crate::cache::{JsonText, keys};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::helpers::service::current_helper;
use crate::helpers::skills::CATEGORIES;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_categories)
        .service(list_services)
        .service(get_service)
        .service(create_service)
        .service(my_services)
        .service(update_service)
        .service(publish_slot)
        .service(my_slots)
        .service(service_slots);
}

/// The service categories helpers apply for and offer.
#[utoipa::path(tag = "services", responses((status = 200, body = Vec<String>)))]
#[get("/service-categories")]
#[tracing::instrument(skip_all, level = "debug")]
async fn list_categories() -> web::Json<&'static [&'static str]> {
    web::Json(CATEGORIES)
}

/// The catalog: active services of active helpers, most reviewed first.
#[utoipa::path(
    tag = "services",
    params(CatalogQuery, PageParams),
    responses(
        (status = 200, body = Paged<ServiceView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
    )
)]
#[get("/services")]
#[tracing::instrument(skip_all, level = "debug")]
async fn list_services(
    state: web::Data<AppState>,
    query: web::Query<CatalogQuery>,
    page: Page,
) -> ApiResult<JsonText> {
    let q = query.into_inner();
    let key = keys::service_list(q.community_id, q.category.as_deref(), q.helper_id, page);
    let db = &state.db;
    state
        .cache
        .get_or_load_json(&key, state.cache_ttl(), || {
            service::list_public(db, &q, page)
        })
        .await
}

/// One service with its helper, price, duration and rating.
#[utoipa::path(
    tag = "services",
    params(("id" = i64, Path, description = "Service id")),
    responses(
        (status = 200, body = ServiceView),
        (status = 404, description = "SERVICE_NOT_FOUND (also when inactive)", body = ErrorBody),
    )
)]
#[get("/services/{id}")]
#[tracing::instrument(skip_all, level = "debug", fields(service_id = *id))]
async fn get_service(state: web::Data<AppState>, id: web::Path<i64>) -> ApiResult<JsonText> {
    let id = id.into_inner();
    let key = keys::service_detail(id);
    let db = &state.db;
    state
        .cache
        .get_or_load_json(&key, state.cache_ttl(), || service::get_public(db, id))
        .await
}

/// Offer a service (helper): category among the helper's approved skills,
/// communities among the helper's.
#[utoipa::path(
    tag = "services",
    security(("bearer" = [])),
    request_body = NewService,
    responses(
        (status = 201, body = ServiceView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an active helper", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/helpers/me/services")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn create_service(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<NewService>,
) -> ApiResult<HttpResponse> {
    let helper = current_helper(&state.db, &me).await?;
    let created = service::create(&state.db, &helper, body.0).await?;
    keys::catalog_changed(&state.cache).await;
    Ok(HttpResponse::Created().json(created))
}

/// The helper's own services, inactive ones included.
#[utoipa::path(
    tag = "services",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<ServiceView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an active helper", body = ErrorBody),
    )
)]
#[get("/helpers/me/services")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn my_services(
    state: web::Data<AppState>,
    me: AuthUser,
) -> ApiResult<web::Json<Vec<ServiceView>>> {
    let helper = current_helper(&state.db, &me).await?;
    Ok(web::Json(
        service::list_of_helper(&state.db, helper.id).await?,
    ))
}

/// Edit one of the caller's services; another helper's service is 404.
#[utoipa::path(
    tag = "services",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service id")),
    request_body = ServicePatch,
    responses(
        (status = 200, body = ServiceView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an active helper", body = ErrorBody),
        (status = 404, description = "SERVICE_NOT_FOUND", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[patch("/services/{id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), service_id = *id))]
async fn update_service(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<ServicePatch>,
) -> ApiResult<web::Json<ServiceView>> {
    let helper = current_helper(&state.db, &me).await?;
    let updated = service::update(&state.db, &helper, id.into_inner(), body.0).await?;
    keys::catalog_changed(&state.cache).await;
    Ok(web::Json(updated))
}

/// Publish a time slot (helper): at least 15 minutes, within the next 60
/// days, not overlapping any of the helper's slots.
#[utoipa::path(
    tag = "services",
    security(("bearer" = [])),
    request_body = NewSlot,
    responses(
        (status = 201, body = SlotView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an active helper", body = ErrorBody),
        (status = 409, description = "SLOT_OVERLAP", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/helpers/me/slots")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn publish_slot(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<NewSlot>,
) -> ApiResult<HttpResponse> {
    let helper = current_helper(&state.db, &me).await?;
    let created = slots::publish(&state.db, &helper, body.0).await?;
    Ok(HttpResponse::Created().json(created))
}

/// The helper's own slots in a window, booked ones included.
#[utoipa::path(
    tag = "services",
    security(("bearer" = [])),
    params(SlotWindow),
    responses(
        (status = 200, body = Vec<SlotView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an active helper", body = ErrorBody),
    )
)]
#[get("/helpers/me/slots")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn my_slots(
    state: web::Data<AppState>,
    me: AuthUser,
    window: web::Query<SlotWindow>,
) -> ApiResult<web::Json<Vec<SlotView>>> {
    let helper = current_helper(&state.db, &me).await?;
    Ok(web::Json(
        slots::of_helper(&state.db, helper.id, &window).await?,
    ))
}

/// Free future slots of the service's helper, long enough for the service,
/// starting in `[from, to)` (default: the next 14 days).
#[utoipa::path(
    tag = "services",
    params(("id" = i64, Path, description = "Service id"), SlotWindow),
    responses(
        (status = 200, body = Vec<SlotView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 404, description = "SERVICE_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/services/{id}/slots")]
#[tracing::instrument(skip_all, level = "debug", fields(service_id = *id))]
async fn service_slots(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    window: web::Query<SlotWindow>,
) -> ApiResult<web::Json<Vec<SlotView>>> {
    Ok(web::Json(
        slots::free_for_service(&state.db, id.into_inner(), &window).await?,
    ))
}
