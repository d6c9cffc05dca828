//! The merchant's `/merchants/{id}/settlements` and the admin's
//! `/admin/payments/abnormal`. WeChat Pay's notifies are `pay_notify`'s.

use actix_web::{get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::settlements::{self, AbnormalItem, SettlementQuery, Settlements};
use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::merchants::service::{find, require_admin_of_merchant};
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(merchant_settlements).service(abnormal_payments);
}

/// A merchant's money per day (China time): paid, refunded (refunds that
/// reached the payer) and net. Its owner, or an admin of a community it serves.
#[utoipa::path(
    tag = "payments",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id"), SettlementQuery),
    responses(
        (status = 200, body = Settlements),
        (status = 400, description = "INVALID_QUERY: a date that is no date or outside 2000-2099", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: neither the owner nor its admin", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/merchants/{id}/settlements")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = *id))]
async fn merchant_settlements(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    query: web::Query<SettlementQuery>,
) -> ApiResult<web::Json<Settlements>> {
    let merchant = find(&state.db, id.into_inner()).await?;
    if merchant.owner_user_id != me.id() {
        require_admin_of_merchant(&state.db, &me, merchant.id).await?;
    }
    Ok(web::Json(
        settlements::merchant_settlements(&state.db, merchant.id, &query).await?,
    ))
}

/// Payments and refunds that need a person, newest first: payments whose
/// amount or currency was not the order's (never taken as payment), and
/// refunds closed, abnormal or refused at WeChat Pay. Platform admins see
/// all; community admins those of merchants serving their communities.
#[utoipa::path(
    tag = "payments",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, body = Paged<AbnormalItem>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
    )
)]
#[get("/admin/payments/abnormal")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn abnormal_payments(
    state: web::Data<AppState>,
    me: AuthUser,
    page: Page,
) -> ApiResult<web::Json<Paged<AbnormalItem>>> {
    let scope = me.admin_communities(&state.db).await?;
    Ok(web::Json(
        settlements::abnormal(&state.db, scope, page).await?,
    ))
}
