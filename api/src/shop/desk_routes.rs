//! The merchant's order desk for shop orders: accept, ready for pickup,
//! send out, complete, or decline (`/merchants/{id}/orders/{order_no}/…`).
//! Reading the desk and the pickup counter are the order model's (in
//! `orders`).

use actix_web::{post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::lifecycle::{self, DeclineRequest, DeskStep};
use crate::auth::AuthUser;
use crate::cache::keys;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::merchants::access::require_desk;
use crate::orders::refunds;
use crate::orders::views::OrderView;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(decline_order).service(take_step);
}

/// Decline a placed shop order with a reason: its stock goes back, and a
/// paid order is refunded (`refunding`, then `refunded`).
#[utoipa::path(
    tag = "shop",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Merchant id"),
        ("order_no" = String, Path, description = "Order number"),
    ),
    request_body = DeclineRequest,
    responses(
        (status = 200, body = OrderView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: may not work this desk", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND or ORDER_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: not a placed shop order", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: reason not 1-200 characters", body = ErrorBody),
    )
)]
#[post("/merchants/{id}/orders/{order_no}/decline")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = path.0))]
async fn decline_order(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(i64, String)>,
    body: Json<DeclineRequest>,
) -> ApiResult<web::Json<OrderView>> {
    let (merchant_id, order_no) = path.into_inner();
    let shop = require_desk(&state.db, merchant_id, &me).await?;
    let view = lifecycle::decline(
        &state.db,
        shop.id,
        &order_no,
        &body.reason,
        state.clock.now(),
    )
    .await?;
    keys::goods_changed(&state.cache).await;
    refunds::send_soon(&state.db, state.wechatpay.as_ref());
    Ok(web::Json(view))
}

/// Move a shop order on: `accept` (placed → accepted), `ready` (a pickup
/// order: accepted → ready_for_pickup, its pickup code issued), `deliver`
/// (a delivery order: accepted → delivering), `complete` (delivering →
/// completed). The resident hears of each.
#[utoipa::path(
    tag = "shop",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Merchant id"),
        ("order_no" = String, Path, description = "Order number"),
        ("step" = inline(DeskStep), Path, description = "accept, ready, deliver or complete"),
    ),
    responses(
        (status = 200, body = OrderView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: may not work this desk", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND, ORDER_NOT_FOUND or ROUTE_NOT_FOUND (unknown step)", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: the order's status (or fulfilment) does not allow the step", body = ErrorBody),
    )
)]
#[post("/merchants/{id}/orders/{order_no}/{step}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = path.0))]
async fn take_step(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(i64, String, DeskStep)>,
) -> ApiResult<web::Json<OrderView>> {
    let (merchant_id, order_no, step) = path.into_inner();
    let shop = require_desk(&state.db, merchant_id, &me).await?;
    let view = lifecycle::take_step(&state.db, shop.id, &order_no, step, state.clock.now()).await?;
    if step == DeskStep::Complete {
        keys::goods_changed(&state.cache).await;
    }
    Ok(web::Json(view))
}
