//! The resident's and the merchant desk's after-sales routes.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::create::{self, NewAfterSale};
use super::decide::{self, reason_of};
use super::lists::{self, AfterSaleQuery};
use super::messages;
use super::verdict::{Decider, Verdict, answer};
use super::views::{AfterSaleView, ReasonBody, view_of};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::idempotency::{self, Begun, IdempotencyKey};
use crate::media::MediaStore;
use crate::merchants::access::require_desk;
use crate::orders::reads;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(ask)
        .service(of_order)
        .service(mine)
        .service(escalate)
        .service(merchant_list)
        .service(approve)
        .service(reject);
}

/// Ask for a refund of some lines or all of a completed order, within 7
/// days of its completion (`Idempotency-Key` replays the first answer).
/// The shop's desk hears of it; no answer in 48 h approves it.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("order_no" = String, Path, description = "Order number")),
    request_body = NewAfterSale,
    responses(
        (status = 201, body = AfterSaleView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "ORDER_NOT_FOUND: not the caller's order", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: the order is not completed; AFTER_SALE_OPEN: a request of the order is open", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED (`reason`, `amount`, `line_ids[i]`, `photos`); AFTER_SALE_WINDOW_PASSED: over 7 days since completion; REFUND_EXCEEDS_PAID: above what was paid for the lines less earlier refunds (`details.max`)", body = ErrorBody),
    )
)]
#[post("/orders/{order_no}/after-sales")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn ask(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<NewAfterSale>,
) -> ApiResult<HttpResponse> {
    let order_no = path.into_inner();
    let o = reads::own(&state.db, me.id(), &order_no).await?;
    let key = IdempotencyKey::from_request(&req)?;
    let fingerprint =
        idempotency::fingerprint(&format!("POST /orders/{order_no}/after-sales"), &body.0);
    let write = match idempotency::begin(&state.db, me.id(), key.as_ref(), &fingerprint).await? {
        Begun::Replay(status, json) => return Ok(HttpResponse::build(status).json(json)),
        Begun::Fresh(write) => write,
    };
    let now = state.clock.now();
    let created = create::create(&**write.txn(), &o, &body, now).await;
    let mut owed = None;
    let result = match created {
        Ok((a, o)) => {
            let view = view_of(&**write.txn(), &media, a).await;
            owed = Some(o);
            view.and_then(|v| {
                serde_json::to_value(v)
                    .map(|b| (actix_web::http::StatusCode::CREATED, b))
                    .map_err(ApiError::from)
            })
        }
        Err(err) => Err(err),
    };
    let (status, json) = write.finish(&state.db, result).await?;
    if let Some(owed) = owed
        && status == actix_web::http::StatusCode::CREATED
    {
        messages::push(&state, owed);
    }
    Ok(HttpResponse::build(status).json(json))
}

/// The requests of one order, newest first: for its resident or the shop's desk.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("order_no" = String, Path, description = "Order number")),
    responses(
        (status = 200, body = Vec<AfterSaleView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "ORDER_NOT_FOUND: neither the buyer nor the shop's desk", body = ErrorBody),
    )
)]
#[get("/orders/{order_no}/after-sales")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn of_order(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<Vec<AfterSaleView>>> {
    Ok(web::Json(
        lists::of_order(&state.db, &media, &me, &path).await?,
    ))
}

/// The caller's after-sales requests, newest first.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(AfterSaleQuery, PageParams),
    responses(
        (status = 200, body = Paged<AfterSaleView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/me/after-sales")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn mine(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    query: web::Query<AfterSaleQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<AfterSaleView>>> {
    Ok(web::Json(
        lists::list_mine(&state.db, &media, &me, &query, page).await?,
    ))
}

/// Escalate a rejected request to the community admins of the merchant's
/// communities, with a reason.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "After-sales request id")),
    request_body = ReasonBody,
    responses(
        (status = 200, body = AfterSaleView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "AFTER_SALE_NOT_FOUND: not the caller's", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: not rejected; AFTER_SALE_OPEN: another request of the order is open", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: reason not 1-200 characters", body = ErrorBody),
    )
)]
#[post("/after-sales/{id}/escalate")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn escalate(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    path: web::Path<i64>,
    body: Json<ReasonBody>,
) -> ApiResult<web::Json<AfterSaleView>> {
    let a = lists::mine(&state.db, &me, *path).await?;
    let reason = reason_of("reason", &body.reason, 1)?;
    let (a, owed) = decide::escalate(&state.db, &a, reason, state.clock.now()).await?;
    messages::push(&state, owed);
    Ok(web::Json(view_of(&state.db, &media, a).await?))
}

/// The shop's after-sales requests (owner or clerk), newest first.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id"), AfterSaleQuery, PageParams),
    responses(
        (status = 200, body = Paged<AfterSaleView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: may not work this desk", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/merchants/{id}/after-sales")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn merchant_list(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    path: web::Path<i64>,
    query: web::Query<AfterSaleQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<AfterSaleView>>> {
    let shop = require_desk(&state.db, *path, &me).await?;
    Ok(web::Json(
        lists::list_for_merchant(&state.db, &media, shop.id, &query, page).await?,
    ))
}

/// Approve a requested refund (owner or clerk): WeChat Pay refunds it
/// (`refunding`, then `refunded`); an offline order's is handed back in
/// cash (`refunded` at once). The resident hears of it.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "After-sales request id")),
    responses(
        (status = 200, body = AfterSaleView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: may not work this shop's desk", body = ErrorBody),
        (status = 404, description = "AFTER_SALE_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: not requested (answered, approved by the clock ...)", body = ErrorBody),
        (status = 422, description = "REFUND_EXCEEDS_PAID", body = ErrorBody),
    )
)]
#[post("/after-sales/{id}/approve")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn approve(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<web::Json<AfterSaleView>> {
    let a = lists::at_desk(&state.db, &me, *path).await?;
    answer(&state, &media, a, Decider::Desk, Verdict::Approve, "").await
}

/// Reject a requested refund with a reason (owner or clerk); the resident
/// may escalate it.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "After-sales request id")),
    request_body = ReasonBody,
    responses(
        (status = 200, body = AfterSaleView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: may not work this shop's desk", body = ErrorBody),
        (status = 404, description = "AFTER_SALE_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: not requested", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: reason not 1-200 characters", body = ErrorBody),
    )
)]
#[post("/after-sales/{id}/reject")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn reject(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    path: web::Path<i64>,
    body: Json<ReasonBody>,
) -> ApiResult<web::Json<AfterSaleView>> {
    let a = lists::at_desk(&state.db, &me, *path).await?;
    answer(
        &state,
        &media,
        a,
        Decider::Desk,
        Verdict::Reject,
        &body.reason,
    )
    .await
}
