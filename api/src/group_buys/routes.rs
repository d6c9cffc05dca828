//! Group-buy, order and pickup endpoints.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::desk::Outcome;
use super::market;
use super::orders::{
    self, MerchantOrderQuery, MerchantOrderView, NewOrder, OrderQuery, OrderView, PickupRequest,
};
use super::payments::{self, PaymentAnswer, Provider};
use super::service::{self, GroupBuyQuery, GroupBuyView, NewGroupBuy};
use crate::auth::{AuthUser, Role};
use crate::cache::JsonText;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::idempotency::{self, Checked, Claim};
use crate::pagination::{Page, PageParams, Paged};
use crate::startup::AppState;

/// Cache keys of public group-buy reads start with this.
pub const CACHE_PREFIX: &str = "group_buys:";
/// Cache keys of the campaigns as orders are checked against them (terms
/// that never change once opened, and visibility): dropped when a campaign
/// or its merchant changes state, not by every order as the public reads
/// are.
pub const TERMS_PREFIX: &str = "group_buy_terms:";

/// Drops every cached group-buy read, the terms orders check included.
pub async fn invalidate_all(cache: &crate::cache::Cache) {
    cache.delete_prefix(CACHE_PREFIX).await;
    cache.delete_prefix(TERMS_PREFIX).await;
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_group_buys)
        .service(get_group_buy)
        .service(create_group_buy)
        .service(cancel_group_buy)
        .service(place_order)
        .service(my_orders)
        .service(get_order)
        .service(cancel_order)
        .service(pay_order)
        .service(merchant_orders)
        .service(pickup_list)
        .service(pickup);
    super::counter::configure(cfg);
}

fn ttl(state: &AppState) -> Duration {
    Duration::from_secs(state.settings.cache.ttl_secs)
}

fn page_of(page: Option<u64>, page_size: Option<u64>) -> ApiResult<Page> {
    Page::try_from(PageParams { page, page_size })
}

/// Campaigns shown in a community, with progress.
#[utoipa::path(
    tag = "group-buys",
    params(GroupBuyQuery),
    responses(
        (status = 200, body = Paged<GroupBuyView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
    )
)]
#[get("/group-buys")]
async fn list_group_buys(
    state: web::Data<AppState>,
    query: web::Query<GroupBuyQuery>,
) -> ApiResult<JsonText> {
    let page = page_of(query.page, query.page_size)?;
    let key = format!(
        "{CACHE_PREFIX}list:c={}:s={}:p={}:n={}",
        query
            .community_id
            .map(|c| c.to_string())
            .unwrap_or_default(),
        query.status.as_deref().unwrap_or(""),
        page.page,
        page.page_size
    );
    let db = &state.db;
    let q = query.into_inner();
    // Statuses derive from the clock, so list entries live at most a few seconds.
    state
        .cache
        .get_or_load_json(&key, ttl(&state).min(Duration::from_secs(5)), || {
            service::list(db, &q, page)
        })
        .await
}

/// One campaign with progress; 404 when its merchant is suspended.
#[utoipa::path(
    tag = "group-buys",
    params(("id" = i64, Path, description = "Group-buy id")),
    responses(
        (status = 200, body = GroupBuyView),
        (status = 404, description = "GROUP_BUY_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/group-buys/{id}")]
async fn get_group_buy(state: web::Data<AppState>, id: web::Path<i64>) -> ApiResult<JsonText> {
    let id = id.into_inner();
    let key = format!("{CACHE_PREFIX}detail:{id}");
    let db = &state.db;
    state
        .cache
        .get_or_load_json(&key, ttl(&state).min(Duration::from_secs(5)), || {
            service::get_public(db, id)
        })
        .await
}

/// Open a campaign on the merchant's own on-shelf goods; reserves `total_quantity` of its stock.
#[utoipa::path(
    tag = "group-buys",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id")),
    request_body = NewGroupBuy,
    responses(
        (status = 201, body = GroupBuyView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner, or the merchant is suspended", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INSUFFICIENT_STOCK", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/merchants/{id}/group-buys")]
async fn create_group_buy(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<NewGroupBuy>,
) -> ApiResult<HttpResponse> {
    let created = service::create(&state.db, &me, id.into_inner(), body.0).await?;
    state.cache.delete_prefix(CACHE_PREFIX).await;
    Ok(HttpResponse::Created().json(created))
}

/// Cancel a campaign (its merchant, or an admin of one of its communities):
/// every live order is cancelled, and refunded where paid.
#[utoipa::path(
    tag = "group-buys",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Group-buy id")),
    responses(
        (status = 200, body = GroupBuyView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "GROUP_BUY_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: already failed or cancelled", body = ErrorBody),
    )
)]
#[post("/group-buys/{id}/cancel")]
async fn cancel_group_buy(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<GroupBuyView>> {
    let cancelled = service::cancel(&state.db, &me, id.into_inner()).await?;
    invalidate_all(&state.cache).await;
    Ok(web::Json(cancelled))
}

/// Order from a campaign. Send an `Idempotency-Key` header to retry safely.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Group-buy id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1-64 printable ASCII characters; a retry with the same key and body answers the first response again"),
    ),
    request_body = NewOrder,
    responses(
        (status = 201, body = OrderView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: the campaign is not for the resident's community", body = ErrorBody),
        (status = 404, description = "GROUP_BUY_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "SOLD_OUT, PER_USER_LIMIT or NOT_ONGOING", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED or IDEMPOTENCY_KEY_REUSED", body = ErrorBody),
    )
)]
#[post("/group-buys/{id}/orders")]
async fn place_order(
    state: web::Data<AppState>,
    me: AuthUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: Json<NewOrder>,
) -> ApiResult<HttpResponse> {
    me.require(Role::Resident)?;
    let key = idempotency::key_from(&req)?;
    let id = id.into_inner();
    let body = body.0;
    let fingerprint = idempotency::fingerprint(&format!("POST /group-buys/{id}/orders"), &body);
    // Read before the write transaction, from the cache (fresh after every
    // change of the campaign's or its merchant's state); a replay ignores it.
    let db = &state.db;
    let gb = state
        .cache
        .get_or_load(&format!("{TERMS_PREFIX}{id}"), ttl(&state), || {
            service::get_public(db, id)
        })
        .await;
    let provider = state.default_provider();
    let timeout = state.settings.payments.payment_timeout_secs;
    // The desk writes it with the campaign's other orders, its key checked by
    // the unique index. What the desk cannot place, and what fails the
    // checks, has its key looked up and is placed alone for its exact answer.
    let ticket = match gb.and_then(|gb| orders::ticket(&gb, &me, body.quantity, provider, timeout))
    {
        Ok(ticket) => {
            let claim = Claim::new(me.id(), key.as_deref(), &fingerprint);
            match state.order_desk.place(ticket, claim).await? {
                Outcome::Placed(placed) => return Ok(HttpResponse::Created().json(placed)),
                Outcome::Alone(ticket) => Ok(ticket),
            }
        }
        Err(err) => Err(err),
    };
    let claim = match idempotency::check(&state.db, me.id(), key.as_deref(), &fingerprint).await? {
        Checked::Replay(status, json) => return Ok(HttpResponse::build(status).json(json)),
        Checked::Fresh(claim) => claim,
    };
    let mut attempt = claim.begin(&state.db).await?;
    let placed = match ticket {
        Ok(ticket) => orders::place(&mut attempt, &ticket).await,
        Err(err) => Err(err),
    }
    .and_then(|placed| Ok((StatusCode::CREATED, serde_json::to_value(placed)?)));
    let (status, json) = attempt.finish(&state.db, placed).await?;
    // After the commit, so no read can cache the progress from before it.
    state.cache.delete_prefix(CACHE_PREFIX).await;
    Ok(HttpResponse::build(status).json(json))
}

/// The caller's orders, newest first.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(OrderQuery),
    responses(
        (status = 200, body = Paged<OrderView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/me/orders")]
async fn my_orders(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<OrderQuery>,
) -> ApiResult<web::Json<Paged<OrderView>>> {
    let page = page_of(query.page, query.page_size)?;
    Ok(web::Json(
        orders::list_mine(&state.db, &me, query.status.as_deref(), page).await?,
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
async fn get_order(
    state: web::Data<AppState>,
    me: AuthUser,
    order_no: web::Path<String>,
) -> ApiResult<web::Json<OrderView>> {
    let o = orders::own(&state.db, &me, &order_no).await?;
    Ok(web::Json(OrderView::from_model(&o, true)))
}

/// Cancel an order before the cut-off; its quantity returns to the campaign.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("order_no" = String, Path, description = "Order number")),
    responses(
        (status = 200, body = OrderView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "ORDER_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: past the cut-off or not cancellable", body = ErrorBody),
    )
)]
#[post("/orders/{order_no}/cancel")]
async fn cancel_order(
    state: web::Data<AppState>,
    me: AuthUser,
    order_no: web::Path<String>,
) -> ApiResult<web::Json<OrderView>> {
    let o = orders::cancel_mine(&state.db, &me, &order_no).await?;
    state.cache.delete_prefix(CACHE_PREFIX).await;
    Ok(web::Json(o))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PayRequest {
    /// `offline` (pay at pickup) or `wechat`.
    pub provider: String,
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
async fn pay_order(
    state: web::Data<AppState>,
    me: AuthUser,
    order_no: web::Path<String>,
    body: Json<PayRequest>,
) -> ApiResult<web::Json<PaymentAnswer>> {
    let Some(provider) = Provider::parse(body.provider.trim()) else {
        return Err(ApiError::field(
            "provider",
            "支付方式须为 offline 或 wechat",
        ));
    };
    let o = orders::own(&state.db, &me, &order_no).await?;
    if o.payment_provider != provider.as_str() {
        return Err(ApiError::field("provider", "与下单时的支付方式不一致"));
    }
    if !["pending_payment", "placed", "awaiting_pickup"].contains(&o.status.as_str()) {
        return Err(ApiError::new(crate::error::ErrorCode::InvalidTransition)
            .message("订单当前状态不能支付"));
    }
    Ok(web::Json(payments::pay(provider, &o)?))
}

/// Orders of the owner's campaigns (phones masked).
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id"), MerchantOrderQuery),
    responses(
        (status = 200, body = Paged<MerchantOrderView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/merchants/{id}/orders")]
async fn merchant_orders(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    query: web::Query<MerchantOrderQuery>,
) -> ApiResult<web::Json<Paged<MerchantOrderView>>> {
    let merchant = market::owned_merchant(&state.db, id.into_inner(), &me).await?;
    let page = page_of(query.page, query.page_size)?;
    let list = orders::list_for_merchant(
        &state.db,
        merchant.id,
        query.group_buy_id,
        query.status.as_deref(),
        Some(page),
    )
    .await?;
    Ok(web::Json(list))
}

/// A campaign's pickup list for the counter, as CSV
/// (`order_no,nickname,phone,quantity,pickup_code,status`; phones masked).
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id"), ("group_buy_id" = i64, Path, description = "Group-buy id")),
    responses(
        (status = 200, description = "CSV", content_type = "text/csv", body = String),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND or GROUP_BUY_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/merchants/{id}/group-buys/{group_buy_id}/pickup-list")]
async fn pickup_list(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (merchant_id, group_buy_id) = path.into_inner();
    let merchant = market::owned_merchant(&state.db, merchant_id, &me).await?;
    let gb = service::find(&state.db, group_buy_id).await?;
    if gb.merchant_id != merchant.id {
        return Err(crate::error::ErrorCode::GroupBuyNotFound.into());
    }
    let csv = orders::pickup_csv(&state.db, merchant.id, gb.id).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"pickup-{}.csv\"", gb.id),
        ))
        .body(csv))
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
async fn pickup(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<PickupRequest>,
) -> ApiResult<web::Json<OrderView>> {
    let merchant = market::owned_merchant(&state.db, id.into_inner(), &me).await?;
    Ok(web::Json(
        orders::pick_up(&state.db, merchant.id, &body.pickup_code).await?,
    ))
}
