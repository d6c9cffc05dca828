//! `/admin/after-sales`: escalated requests, decided by a community admin
//! of one of the merchant's communities (platform admins: any).

use actix_web::{get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::lists::{self, AfterSaleQuery};
use super::verdict::{Decider, Verdict, answer};
use super::views::{AfterSaleView, ReasonBody};
use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::media::MediaStore;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(admin_list)
        .service(admin_approve)
        .service(admin_reject);
}

/// After-sales requests of the merchants serving the caller's communities
/// (platform admins: all), newest first; `status=escalated` is the queue.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(AfterSaleQuery, PageParams),
    responses(
        (status = 200, body = Paged<AfterSaleView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
    )
)]
#[get("/admin/after-sales")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn admin_list(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    query: web::Query<AfterSaleQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<AfterSaleView>>> {
    Ok(web::Json(
        lists::list_for_admin(&state.db, &media, &me, &query, page).await?,
    ))
}

/// Approve an escalated request: refunded through the order's provider;
/// the resident and the shop hear of it.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "After-sales request id")),
    request_body = ReasonBody,
    responses(
        (status = 200, body = AfterSaleView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the merchant's communities", body = ErrorBody),
        (status = 404, description = "AFTER_SALE_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: not escalated", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: reason over 200 characters; REFUND_EXCEEDS_PAID", body = ErrorBody),
    )
)]
#[post("/admin/after-sales/{id}/approve")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn admin_approve(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    path: web::Path<i64>,
    body: Json<ReasonBody>,
) -> ApiResult<web::Json<AfterSaleView>> {
    let a = lists::for_admin(&state.db, &me, *path).await?;
    let by = Decider::Admin(me.id());
    answer(&state, &media, a, by, Verdict::Approve, &body.reason).await
}

/// Reject an escalated request with a reason: closed for good; the
/// resident and the shop hear of it.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "After-sales request id")),
    request_body = ReasonBody,
    responses(
        (status = 200, body = AfterSaleView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the merchant's communities", body = ErrorBody),
        (status = 404, description = "AFTER_SALE_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: not escalated", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: reason not 1-200 characters", body = ErrorBody),
    )
)]
#[post("/admin/after-sales/{id}/reject")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn admin_reject(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    path: web::Path<i64>,
    body: Json<ReasonBody>,
) -> ApiResult<web::Json<AfterSaleView>> {
    let a = lists::for_admin(&state.db, &me, *path).await?;
    let by = Decider::Admin(me.id());
    answer(&state, &media, a, by, Verdict::Reject, &body.reason).await
}
