//! Group-buy endpoints: campaigns, placing and cancelling an order, the
//! pickup list. Reading orders, paying and the pickup counter are in
//! `crate::orders`.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::batches::OrderBatcher;
use super::edit::{self, GroupBuyPatch};
use super::order_lifecycle;
use super::ordering::{self, NewOrder};
use super::pickup_list::pickup_csv;
use super::service::{self, GroupBuyQuery, GroupBuyView, NewGroupBuy, OwnerGroupBuyQuery};
use crate::auth::{AuthUser, Role};
use crate::cache::{JsonText, keys};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::idempotency::IdempotencyKey;
use crate::merchants::access::require_desk;
use crate::merchants::service::require_owner;
use crate::orders::refunds;
use crate::orders::views::OrderView;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_group_buys)
        .service(get_group_buy)
        .service(create_group_buy)
        .service(edit_group_buy)
        .service(cancel_group_buy)
        .service(place_order)
        .service(cancel_order)
        .service(pickup_list)
        .service(owner_group_buys);
}

/// Campaigns shown in a community, with progress.
#[utoipa::path(
    tag = "group-buys",
    params(GroupBuyQuery, PageParams),
    responses(
        (status = 200, body = Paged<GroupBuyView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
    )
)]
#[get("/group-buys")]
#[tracing::instrument(skip_all, level = "debug")]
async fn list_group_buys(
    state: web::Data<AppState>,
    media: web::Data<crate::media::MediaStore>,
    query: web::Query<GroupBuyQuery>,
    page: Page,
) -> ApiResult<JsonText> {
    let key = keys::group_buy_list(query.community_id, query.status.map(|s| s.as_str()), page);
    let db = &state.db;
    let q = query.into_inner();
    // Statuses derive from the clock, so list entries live at most a few seconds.
    state
        .cache
        .get_or_load_json(&key, state.cache_ttl().min(Duration::from_secs(5)), || {
            service::list(db, &media, &q, page)
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
#[tracing::instrument(skip_all, level = "debug", fields(group_buy_id = *id))]
async fn get_group_buy(state: web::Data<AppState>, id: web::Path<i64>) -> ApiResult<JsonText> {
    let id = id.into_inner();
    let key = keys::group_buy_detail(id);
    let db = &state.db;
    state
        .cache
        .get_or_load_json(&key, state.cache_ttl().min(Duration::from_secs(5)), || {
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
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = *id))]
async fn create_group_buy(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<NewGroupBuy>,
) -> ApiResult<HttpResponse> {
    let created = service::create(&state.db, &me, id.into_inner(), body.0).await?;
    keys::group_buy_opened(&state.cache).await;
    Ok(HttpResponse::Created().json(created))
}

/// Edit a campaign (owner): title and pickup point and window while it
/// takes orders; price, minimum, per-resident limit, start and cut-off only
/// before it starts.
#[utoipa::path(
    tag = "group-buys",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Group-buy id")),
    request_body = GroupBuyPatch,
    responses(
        (status = 200, body = GroupBuyView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner (clerks included)", body = ErrorBody),
        (status = 404, description = "GROUP_BUY_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: terms after the start, anything after the cut-off", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[patch("/group-buys/{id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), group_buy_id = *id))]
async fn edit_group_buy(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<GroupBuyPatch>,
) -> ApiResult<web::Json<GroupBuyView>> {
    let edited = edit::edit(&state.db, &me, id.into_inner(), body.0).await?;
    keys::group_buys_closed(&state.cache).await;
    Ok(web::Json(edited))
}

/// Cancel a campaign (its merchant, or an admin of all its communities):
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
#[tracing::instrument(skip_all, fields(user_id = me.id(), group_buy_id = *id))]
async fn cancel_group_buy(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<GroupBuyView>> {
    let cancelled = service::cancel(&state.db, &me, id.into_inner()).await?;
    keys::group_buys_closed(&state.cache).await;
    refunds::send_soon(&state.db, state.wechatpay.as_ref());
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
#[tracing::instrument(skip_all, fields(user_id = me.id(), group_buy_id = *id))]
async fn place_order(
    state: web::Data<AppState>,
    batcher: web::Data<OrderBatcher>,
    me: AuthUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: Json<NewOrder>,
) -> ApiResult<HttpResponse> {
    me.require(Role::Resident)?;
    let key = IdempotencyKey::from_request(&req)?;
    let (status, json) =
        ordering::place_order(&state, &batcher, &me, id.into_inner(), body.0, key).await?;
    Ok(HttpResponse::build(status).json(json))
}

/// Cancel an order before the cut-off; its quantity returns to the campaign.
/// A paid order becomes `refunding` (`refunded` once the money is back).
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
#[tracing::instrument(skip_all, fields(user_id = me.id(), order_no = %order_no.as_str()))]
async fn cancel_order(
    state: web::Data<AppState>,
    me: AuthUser,
    order_no: web::Path<String>,
) -> ApiResult<web::Json<OrderView>> {
    let o = order_lifecycle::cancel_mine(&state.db, me.id(), &order_no).await?;
    keys::group_buy_progress_changed(&state.cache).await;
    refunds::send_soon(&state.db, state.wechatpay.as_ref());
    Ok(web::Json(o))
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
        (status = 403, description = "FORBIDDEN: neither the owner nor a clerk", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND or GROUP_BUY_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/merchants/{id}/group-buys/{group_buy_id}/pickup-list")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = path.0, group_buy_id = path.1))]
async fn pickup_list(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (merchant_id, group_buy_id) = path.into_inner();
    let merchant = require_desk(&state.db, merchant_id, &me).await?;
    let csv = pickup_csv(&state.db, merchant.id, group_buy_id).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"pickup-{group_buy_id}.csv\""),
        ))
        .body(csv))
}

/// The owner's campaigns in every state (newest first), with progress.
#[utoipa::path(
    tag = "group-buys",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id"), OwnerGroupBuyQuery, PageParams),
    responses(
        (status = 200, body = Paged<GroupBuyView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/merchants/{id}/group-buys")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = *id))]
async fn owner_group_buys(
    state: web::Data<AppState>,
    media: web::Data<crate::media::MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
    query: web::Query<OwnerGroupBuyQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<GroupBuyView>>> {
    let merchant = require_owner(&state.db, id.into_inner(), &me).await?;
    Ok(web::Json(
        service::list_for_owner(&state.db, &media, merchant.id, query.status, page).await?,
    ))
}
