//! `/me/orders`, `/orders/{order_no}`, `/orders/{order_no}/pay`, and the
//! merchant's `/merchants/{id}/orders` and `/merchants/{id}/pickups`.

use actix_web::{get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::payments::{self, PaymentAnswer, Provider};
use super::pickup::{PickupRequest, pick_up};
use super::reads::{self, MerchantFilter, MerchantOrderQuery, OrderQuery};
use super::views::{MerchantOrderView, OrderView, Viewer};
use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::merchants::service::require_owner;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(my_orders)
        .service(get_order)
        .service(pay_order)
        .service(merchant_orders)
        .service(pickup);
}

/// The caller's orders, newest first.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(OrderQuery, PageParams),
    responses(
        (status = 200, body = Paged<OrderView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/me/orders")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn my_orders(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<OrderQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<OrderView>>> {
    Ok(web::Json(
        reads::list_mine(&state.db, me.id(), query.status, page).await?,
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
    Ok(web::Json(OrderView::new(&o, Viewer::Owner)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PayRequest {
    /// The order's provider.
    pub provider: Provider,
}

/// Pay for an order through a provider: offline answers a confirmation; WeChat
/// Pay answers the `wx.requestPayment` parameters once configured.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("order_no" = String, Path, description = "Order number")),
    request_body = PayRequest,
    responses(
        (status = 200, body = PaymentAnswer),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "ORDER_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: the order cannot be paid now", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: unknown provider or not the order's provider", body = ErrorBody),
        (status = 503, description = "PAYMENT_PROVIDER_UNAVAILABLE", body = ErrorBody),
    )
)]
#[post("/orders/{order_no}/pay")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), order_no = %order_no.as_str()))]
async fn pay_order(
    state: web::Data<AppState>,
    me: AuthUser,
    order_no: web::Path<String>,
    body: Json<PayRequest>,
) -> ApiResult<web::Json<PaymentAnswer>> {
    let o = reads::own(&state.db, me.id(), &order_no).await?;
    Ok(web::Json(payments::pay(body.provider, &o)?))
}

/// Orders of the owner's campaigns (phones masked).
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id"), MerchantOrderQuery, PageParams),
    responses(
        (status = 200, body = Paged<MerchantOrderView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
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
    let merchant = require_owner(&state.db, id.into_inner(), &me).await?;
    let filter = MerchantFilter {
        group_buy_id: query.group_buy_id,
        status: query.status,
    };
    let list = reads::list_for_merchant(&state.db, merchant.id, filter, Some(page)).await?;
    Ok(web::Json(list.map(|(view, _)| view)))
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
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
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
    let merchant = require_owner(&state.db, id.into_inner(), &me).await?;
    Ok(web::Json(
        pick_up(&state.db, merchant.id, &body.pickup_code).await?,
    ))
}
