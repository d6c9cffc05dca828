//! The merchant's counter: its own campaigns in every state, and a pickup
//! code looked up before the hand-over is confirmed.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use entity::{group_buy, order, user};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::market;
use super::orders::MerchantOrderView;
use super::service::{self, GroupBuyView};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode, FieldError};
use crate::pagination::{Page, PageParams, Paged};
use crate::rate_limit;
use crate::startup::AppState;
use crate::time;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(owner_group_buys).service(look_up_pickup);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OwnerGroupBuyQuery {
    /// `upcoming`, `ongoing`, `settling`, `succeeded`, `failed` or `cancelled`; all when absent.
    pub status: Option<String>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

/// The owner's campaigns, newest first, whatever their state.
pub async fn list_for_owner(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    status: Option<&str>,
    page: Page,
) -> ApiResult<Paged<GroupBuyView>> {
    let now = time::now();
    let select = group_buy::Entity::find()
        .filter(group_buy::Column::MerchantId.eq(merchant_id))
        .filter(service::status_condition(status, now)?);
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_desc(group_buy::Column::CreatedAt)
        .order_by_desc(group_buy::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|g| g.id).collect();
    let mut communities = service::communities_of(db, &ids).await?;
    let items = rows
        .into_iter()
        .map(|g| {
            let c = communities.remove(&g.id).unwrap_or_default();
            service::view(g, c, now)
        })
        .collect();
    Ok(Paged::new(items, page, total))
}

/// An order found by its pickup code, before the hand-over.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PickupPreview {
    #[serde(flatten)]
    pub order: MerchantOrderView,
    pub group_buy_title: String,
    pub goods_id: i64,
    pub pickup_address: String,
    pub pickup_starts_at: DateTime<Utc>,
    pub pickup_ends_at: DateTime<Utc>,
}

/// The merchant's order awaiting pickup with this code; the same 409 as the
/// hand-over for a wrong, used or other merchant's code.
pub async fn find_pickup(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    code: &str,
) -> ApiResult<PickupPreview> {
    let o = order::Entity::find()
        .filter(order::Column::PickupCode.eq(code))
        .filter(order::Column::MerchantId.eq(merchant_id))
        .filter(order::Column::Status.eq("awaiting_pickup"))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::PickupCodeInvalid))?;
    let gb = service::find(db, o.group_buy_id).await?;
    let buyer = user::Entity::find_by_id(o.user_id).one(db).await?;
    Ok(PickupPreview {
        order: MerchantOrderView::from_model(o, buyer.as_ref()),
        group_buy_title: gb.title,
        goods_id: gb.goods_id,
        pickup_address: gb.pickup_address,
        pickup_starts_at: gb.pickup_starts_at,
        pickup_ends_at: gb.pickup_ends_at,
    })
}

/// The owner's campaigns in every state (newest first), with progress.
#[utoipa::path(
    tag = "group-buys",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id"), OwnerGroupBuyQuery),
    responses(
        (status = 200, body = Paged<GroupBuyView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/merchants/{id}/group-buys")]
async fn owner_group_buys(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    query: web::Query<OwnerGroupBuyQuery>,
) -> ApiResult<web::Json<Paged<GroupBuyView>>> {
    let merchant = market::owned_merchant(&state.db, id.into_inner(), &me).await?;
    let page = Page::try_from(PageParams {
        page: query.page,
        page_size: query.page_size,
    })?;
    Ok(web::Json(
        list_for_owner(&state.db, merchant.id, query.status.as_deref(), page).await?,
    ))
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
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "PICKUP_CODE_INVALID: wrong, used, or another merchant's code", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    )
)]
#[get("/merchants/{id}/pickups/{code}")]
async fn look_up_pickup(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(i64, String)>,
) -> ApiResult<web::Json<PickupPreview>> {
    let (merchant_id, code) = path.into_inner();
    let merchant = market::owned_merchant(&state.db, merchant_id, &me).await?;
    if code.contains('\0') {
        return Err(ApiError::new(ErrorCode::InvalidQuery).details(
            serde_json::json!({ "fields": [FieldError::new("code", "不能包含空字符")] }),
        ));
    }
    rate_limit::limit_subject_per_minute(
        &state,
        "pickup_lookup",
        &merchant.id.to_string(),
        state.settings.rate_limit.pickup_lookup_per_minute,
    )
    .await?;
    let code = code.trim();
    if code.is_empty() || code.len() > 16 {
        return Err(ErrorCode::PickupCodeInvalid.into());
    }
    Ok(web::Json(find_pickup(&state.db, merchant.id, code).await?))
}
