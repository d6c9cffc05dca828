//! `/me/orders`, `/orders/{order_no}`, `/orders/{order_no}/pay`, and the
//! merchant's `/merchants/{id}/orders` and `/merchants/{id}/pickups` (look a
//! code up, hand the order over).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::cards::OrderCard;
use super::figures::{self, FiguresQuery, MerchantFigures};
use super::payments::{self, PaymentAnswer, Provider};
use super::pickup::{self as counter, PickupPreview, PickupRequest, pick_up};
use super::reads::{self, MerchantFilter, MerchantOrderQuery, OrderQuery};
use super::views::{MerchantOrderView, OrderView, Viewer};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody, FieldError};
use crate::extract::Json;
use crate::idempotency::IdempotencyKey;
use crate::media::MediaStore;
use crate::merchants::access::require_desk;
use crate::pagination::{Page, PageParams, Paged};
use crate::rate_limit;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(my_orders)
        .service(get_order)
        .service(pay_order)
        .service(merchant_orders)
        .service(merchant_figures)
        .service(look_up_pickup)
        .service(pickup);
}

/// The caller's orders of both kinds, newest first: each with its title,
/// first image, merchant name, amount, status, and pickup point and window
/// or delivery address, so a list needs no second call.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(OrderQuery, PageParams),
    responses(
        (status = 200, body = Paged<OrderCard>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/me/orders")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn my_orders(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    query: web::Query<OrderQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<OrderCard>>> {
    Ok(web::Json(
        reads::list_mine(&state.db, &media, me.id(), &query, page).await?,
    ))
}

/// One of the caller's orders; another resident's order is 404.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("order_no" = String, Path, description = "Order number")),
    responses(
        (status = 200, body = OrderView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "ORDER_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/orders/{order_no}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), order_no = %order_no.as_str()))]
async fn get_order(
    state: web::Data<AppState>,
    me: AuthUser,
    order_no: web::Path<String>,
) -> ApiResult<web::Json<OrderView>> {
    let o = reads::own(&state.db, me.id(), &order_no).await?;
    let lines = super::lines::lines_of(&state.db, [o.id])
        .await?
        .remove(&o.id)
        .unwrap_or_default();
    Ok(web::Json(OrderView::with_lines(&o, &lines, Viewer::Owner)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PayRequest {
    /// The order's provider.
    pub provider: Provider,
}

/// Pay for an order through its provider: offline answers a confirmation;
/// WeChat Pay answers the `wx.requestPayment` parameters (a JSAPI prepay,
/// kept 2 hours and re-signed on every call while valid). The order changes
/// only when WeChat Pay reports the payment. Send an `Idempotency-Key` to
/// retry safely.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(
        ("order_no" = String, Path, description = "Order number"),
        ("Idempotency-Key" = Option<String>, Header, description = "1-64 printable ASCII characters; a retry with the same key and body answers the first response again"),
    ),
    request_body = PayRequest,
    responses(
        (status = 200, body = PaymentAnswer),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "ORDER_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: the order cannot be paid now; ORDER_ALREADY_PAID; PAYMENT_CLOSED: past its payment deadline or closed at WeChat Pay", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: unknown provider or not the order's provider; IDEMPOTENCY_KEY_REUSED", body = ErrorBody),
        (status = 503, description = "PAYMENT_UNAVAILABLE: WeChat Pay failed or timed out (with Retry-After; the order stays payable); PAYMENT_PROVIDER_UNAVAILABLE: WeChat Pay is not configured", body = ErrorBody),
    )
)]
#[post("/orders/{order_no}/pay")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), order_no = %order_no.as_str()))]
async fn pay_order(
    state: web::Data<AppState>,
    me: AuthUser,
    req: HttpRequest,
    order_no: web::Path<String>,
    body: Json<PayRequest>,
) -> ApiResult<HttpResponse> {
    let key = IdempotencyKey::from_request(&req)?;
    let (status, json) = payments::pay(&state, &me, &order_no, body.provider, key).await?;
    Ok(HttpResponse::build(status).json(json))
}

/// The order desk: the merchant's orders of both kinds, oldest first, with
/// their lines, buyer (phone masked; in full once a delivery order is
/// accepted), address and amounts.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id"), MerchantOrderQuery, PageParams),
    responses(
        (status = 200, body = Paged<MerchantOrderView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: neither the owner nor a clerk", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/merchants/{id}/orders")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = *id))]
async fn merchant_orders(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    query: web::Query<MerchantOrderQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<MerchantOrderView>>> {
    let merchant = require_desk(&state.db, id.into_inner(), &me).await?;
    let filter = MerchantFilter {
        group_buy_id: query.group_buy_id,
        status: query.status,
        kind: query.kind,
    };
    let list = reads::list_for_merchant(&state.db, merchant.id, filter, Some(page)).await?;
    Ok(web::Json(list.map(|(view, _)| view)))
}

/// The merchant's own figures over China-time days (`from..=to`, default
/// the last 30): orders, revenue (handed over), refunds, by day, and the
/// ten goods sold most; both order kinds, counted by the day placed.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id"), FiguresQuery),
    responses(
        (status = 200, body = MerchantFigures),
        (status = 400, description = "INVALID_QUERY: a date that is no date or outside 2000-2099", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: may not work this desk", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/merchants/{id}/stats")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = *id))]
async fn merchant_figures(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    query: web::Query<FiguresQuery>,
) -> ApiResult<web::Json<MerchantFigures>> {
    let merchant = require_desk(&state.db, id.into_inner(), &me).await?;
    Ok(web::Json(
        figures::merchant_figures(&state.db, merchant.id, &query, state.clock.now()).await?,
    ))
}

/// Hand an order over: the pickup code marks it picked up, once.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id")),
    request_body = PickupRequest,
    responses(
        (status = 200, body = OrderView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: neither the owner nor a clerk", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "PICKUP_CODE_INVALID: wrong, used, or another merchant's code", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/merchants/{id}/pickups")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = *id))]
async fn pickup(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<PickupRequest>,
) -> ApiResult<web::Json<OrderView>> {
    let merchant = require_desk(&state.db, id.into_inner(), &me).await?;
    let handed = pick_up(&state.db, merchant.id, &body.pickup_code).await?;
    // The goods' sales grew.
    crate::cache::keys::goods_changed(&state.cache).await;
    Ok(web::Json(handed))
}

/// Look a pickup code up before handing the order over (owner): shows the
/// order; nothing changes. Rate limited per shop.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id"), ("code" = String, Path, description = "Pickup code")),
    responses(
        (status = 200, body = PickupPreview),
        (status = 400, description = "INVALID_QUERY: the code contains a NUL byte", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: neither the owner nor a clerk", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "PICKUP_CODE_INVALID: wrong, used, or another merchant's code", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    )
)]
#[get("/merchants/{id}/pickups/{code}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = path.0))]
async fn look_up_pickup(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(i64, String)>,
) -> ApiResult<web::Json<PickupPreview>> {
    let (merchant_id, code) = path.into_inner();
    let merchant = require_desk(&state.db, merchant_id, &me).await?;
    if code.contains('\0') {
        return Err(ApiError::invalid_query(vec![FieldError::new(
            "code",
            "不能包含空字符",
        )]));
    }
    // Codes are 8 digits: a shop guessing them is slowed down, whoever asks.
    rate_limit::limit_subject_per_minute(
        &state,
        "pickup_lookup",
        &merchant.id.to_string(),
        state.settings.rate_limit.pickup_lookup_per_minute,
    )
    .await?;
    Ok(web::Json(
        counter::look_up(&state.db, merchant.id, &code).await?,
    ))
}
