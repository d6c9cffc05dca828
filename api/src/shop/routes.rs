//! `/me/cart`, checkout (`POST /orders`) and the resident's confirmation of
//! a delivery (`POST /orders/{order_no}/received`).

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::cart::{self, CartAdd, CartSet, CartView};
use super::checkout::{self, NewShopOrder};
use super::lifecycle;
use crate::auth::AuthUser;
use crate::cache::keys;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::idempotency::{self, Checked, IdempotencyKey};
use crate::media::MediaStore;
use crate::orders::notify::{Party, order_changed};
use crate::orders::reads;
use crate::orders::views::OrderView;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_cart)
        .service(add_to_cart)
        .service(set_cart_line)
        .service(remove_cart_line)
        .service(place_shop_order)
        .service(confirm_received);
}

/// The caller's cart: each line with the goods as they are now, and why it
/// cannot be bought (off shelf, deleted, merchant suspended, not serving
/// the caller's community, stock short), never silently dropped.
#[utoipa::path(
    tag = "shop",
    security(("bearer" = [])),
    responses(
        (status = 200, body = CartView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/me/cart")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn get_cart(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
) -> ApiResult<web::Json<CartView>> {
    Ok(web::Json(cart::view(&state.db, &media, &me.user).await?))
}

/// Put goods in the cart (adds to a line already there); answers the cart.
#[utoipa::path(
    tag = "shop",
    security(("bearer" = [])),
    request_body = CartAdd,
    responses(
        (status = 200, body = CartView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "GOODS_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "CART_FULL: 100 goods already; GOODS_UNAVAILABLE: off shelf or merchant suspended; NOT_SERVED_HERE", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: quantity not 1-999 in all", body = ErrorBody),
    )
)]
#[post("/me/cart")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn add_to_cart(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    body: Json<CartAdd>,
) -> ApiResult<web::Json<CartView>> {
    cart::add(&state.db, &me.user, &body).await?;
    Ok(web::Json(cart::view(&state.db, &media, &me.user).await?))
}

/// Set a cart line's quantity; answers the cart.
#[utoipa::path(
    tag = "shop",
    security(("bearer" = [])),
    params(("goods_id" = i64, Path, description = "Goods id")),
    request_body = CartSet,
    responses(
        (status = 200, body = CartView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "GOODS_NOT_FOUND: not in the cart", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[patch("/me/cart/{goods_id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn set_cart_line(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    goods_id: web::Path<i64>,
    body: Json<CartSet>,
) -> ApiResult<web::Json<CartView>> {
    cart::set(&state.db, me.id(), goods_id.into_inner(), &body).await?;
    Ok(web::Json(cart::view(&state.db, &media, &me.user).await?))
}

/// Take goods out of the cart; answers the cart.
#[utoipa::path(
    tag = "shop",
    security(("bearer" = [])),
    params(("goods_id" = i64, Path, description = "Goods id")),
    responses(
        (status = 200, body = CartView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[delete("/me/cart/{goods_id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn remove_cart_line(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    goods_id: web::Path<i64>,
) -> ApiResult<web::Json<CartView>> {
    cart::remove(&state.db, me.id(), [goods_id.into_inner()]).await?;
    Ok(web::Json(cart::view(&state.db, &media, &me.user).await?))
}

/// Check out goods of one merchant into a shop order: pickup at the
/// merchant (a pickup code once it is ready) or delivery to the caller's
/// bound building and room. The server prices it (lines at today's
/// prices plus the delivery fee) and takes the stock; the ordered goods
/// leave the cart. Send an `Idempotency-Key` to retry safely.
#[utoipa::path(
    tag = "shop",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "1-64 printable ASCII characters; a retry with the same key and body answers the first response again")),
    request_body = NewShopOrder,
    responses(
        (status = 201, body = OrderView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 409, description = "INSUFFICIENT_STOCK (details.lines names the lines short); GOODS_UNAVAILABLE or NOT_SERVED_HERE (details.lines); DELIVERY_UNAVAILABLE; BELOW_MINIMUM_ORDER; ADDRESS_REQUIRED; IDEMPOTENCY_IN_PROGRESS", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: no lines, a repeated goods, goods of two merchants, a quantity not 1-999, a note over 200; IDEMPOTENCY_KEY_REUSED", body = ErrorBody),
    )
)]
#[post("/orders")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn place_shop_order(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    req: HttpRequest,
    body: Json<NewShopOrder>,
) -> ApiResult<HttpResponse> {
    let key = IdempotencyKey::from_request(&req)?;
    let db = &state.db;
    let fingerprint = idempotency::fingerprint("POST /orders", &body.0);
    let answer_key = match idempotency::check(db, me.id(), key.as_ref(), &fingerprint).await? {
        Checked::Replay(status, json) => return Ok(HttpResponse::build(status).json(json)),
        Checked::Fresh(answer_key) => answer_key,
    };
    let checked = checkout::check(db, &media, &me.user, &body).await;
    let write = answer_key.begin(db).await?;
    let payments = &state.settings.payments;
    let result = match checked {
        Ok(c) => {
            let now = state.clock.now();
            checkout::place(
                &write,
                &me.user,
                c,
                payments.provider,
                payments.payment_timeout_secs,
                now,
            )
            .await
        }
        Err(err) => Err(err),
    };
    let (status, json) = write.finish(db, result).await?;
    if status.is_success() {
        let sold: Vec<i64> = body.lines.iter().map(|l| l.goods_id).collect();
        keys::goods_edited(&state.cache, &sold).await;
        if let Some(no) = json["order_no"].as_str() {
            let placed = reads::own(db, me.id(), no).await?;
            if placed.status == entity::order::OrderStatus::Placed {
                order_changed(db, &placed, Party::Resident).await;
            }
        }
    }
    Ok(HttpResponse::build(status).json(json))
}

/// The resident confirms a delivery arrived: the order completes.
#[utoipa::path(
    tag = "shop",
    security(("bearer" = [])),
    params(("order_no" = String, Path, description = "Order number")),
    responses(
        (status = 200, body = OrderView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "ORDER_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: not delivering", body = ErrorBody),
    )
)]
#[post("/orders/{order_no}/received")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn confirm_received(
    state: web::Data<AppState>,
    me: AuthUser,
    order_no: web::Path<String>,
) -> ApiResult<web::Json<OrderView>> {
    let o = reads::own(&state.db, me.id(), &order_no).await?;
    let view = lifecycle::confirm_received(&state.db, o, state.clock.now()).await?;
    Ok(web::Json(view))
}
