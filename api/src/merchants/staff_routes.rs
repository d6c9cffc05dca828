//! `/merchants/me` (the shops the caller works at) and
//! `/merchants/{id}/staff` (the owner's clerks).

use actix_web::{HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::access::ShopRole;
use super::service::{self, MerchantView, require_owner};
use super::staff::{self, ClerkView, NewStaff};
use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// Registered before `/merchants/{id}`, which would take `me` for an id.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(my_shops)
        .service(add_clerk)
        .service(list_clerks)
        .service(remove_clerk);
}

/// A shop the caller works at, and as what.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyShop {
    /// `owner` or `clerk` (clerks work the order and pickup desk only).
    pub role: ShopRole,
    pub merchant: MerchantView,
}

/// The caller's shops: those they own (a user may own several), then those
/// they are a clerk of; suspended ones included.
#[utoipa::path(
    tag = "merchants",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<MyShop>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/merchants/me")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn my_shops(state: web::Data<AppState>, me: AuthUser) -> ApiResult<web::Json<Vec<MyShop>>> {
    let db = &state.db;
    let mut shops = Vec::new();
    for m in service::owned_shops(db, me.id()).await? {
        shops.push(MyShop {
            role: ShopRole::Owner,
            merchant: service::full_view(db, m).await?,
        });
    }
    for id in staff::shops_of_clerk(db, me.id()).await? {
        shops.push(MyShop {
            role: ShopRole::Clerk,
            merchant: service::full_view(db, service::find(db, id).await?).await?,
        });
    }
    Ok(web::Json(shops))
}

/// Add a clerk by user id or by the phone they bound (owner).
#[utoipa::path(
    tag = "merchants",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id")),
    request_body = NewStaff,
    responses(
        (status = 201, body = ClerkView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND; USER_NOT_FOUND: no mini-program user with that id or phone", body = ErrorBody),
        (status = 409, description = "ALREADY_EXISTS: already a clerk; CONFLICT: the shop has its most clerks", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: neither or both of user_id and phone, a bad phone, or the owner", body = ErrorBody),
    )
)]
#[post("/merchants/{id}/staff")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = *id))]
async fn add_clerk(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<NewStaff>,
) -> ApiResult<HttpResponse> {
    let m = require_owner(&state.db, id.into_inner(), &me).await?;
    let added = staff::add(&state.db, m.id, m.owner_user_id, body.0).await?;
    Ok(HttpResponse::Created().json(added))
}

/// The shop's clerks (owner), earliest added first; phones masked.
#[utoipa::path(
    tag = "merchants",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id")),
    responses(
        (status = 200, body = Vec<ClerkView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/merchants/{id}/staff")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = *id))]
async fn list_clerks(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<Vec<ClerkView>>> {
    let m = require_owner(&state.db, id.into_inner(), &me).await?;
    Ok(web::Json(staff::list(&state.db, m.id).await?))
}

/// Remove a clerk (owner): their next desk request is refused.
#[utoipa::path(
    tag = "merchants",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Merchant id"),
        ("user_id" = i64, Path, description = "The clerk's user id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND or STAFF_NOT_FOUND", body = ErrorBody),
    )
)]
#[delete("/merchants/{id}/staff/{user_id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = path.0))]
async fn remove_clerk(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (merchant_id, clerk) = path.into_inner();
    let m = require_owner(&state.db, merchant_id, &me).await?;
    staff::remove(&state.db, m.id, clerk).await?;
    Ok(HttpResponse::NoContent().finish())
}
