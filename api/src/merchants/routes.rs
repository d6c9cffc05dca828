//! `/merchant-applications`, `/me/merchant-applications`,
//! `/admin/merchant-applications`, `/admin/merchants`, `/merchants`.

use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::admin_list::{self, AdminMerchantQuery};
use super::applications::{self, ApplicationQuery, ApplicationView, NewApplication, RejectRequest};
use super::moderation;
use super::profile::{self, MerchantPatch};
use super::service::{self, MerchantQuery, MerchantStatus, MerchantView};
use crate::auth::{AuthUser, MaybeAuthUser, Role};
use crate::cache::{JsonText, keys};
use crate::content::{self, Scene};
use crate::error::{ApiResult, ErrorBody, ErrorCode};
use crate::extract::Json;
use crate::media::MediaStore;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(apply)
        .service(my_applications)
        .service(review_queue)
        .service(approve)
        .service(reject)
        .service(admin_merchants)
        .service(suspend)
        .service(reinstate)
        .service(approve_text)
        .service(list_merchants)
        .service(get_merchant)
        .service(patch_merchant);
}

/// Apply to become a merchant (resident).
#[utoipa::path(
    tag = "merchants",
    security(("bearer" = [])),
    request_body = NewApplication,
    responses(
        (status = 201, body = ApplicationView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a resident", body = ErrorBody),
        (status = 409, description = "APPLICATION_PENDING: the caller already has a pending application", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED (a `license_photos` id not the caller's `merchant_license` upload); CONTENT_REJECTED: WeChat judged the name risky (`details.fields`)", body = ErrorBody),
    )
)]
#[post("/merchant-applications")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn apply(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    body: Json<NewApplication>,
) -> ApiResult<HttpResponse> {
    me.require(Role::Resident)?;
    // The shop name is public once approved: risky is refused now; anything
    // else goes to the admins who review the application anyway.
    content::moderate_texts(
        &state.wechat,
        &state.settings.content,
        me.user.openid.as_deref(),
        Scene::Profile,
        &[("name", body.name.trim())],
    )
    .await?;
    let created = applications::submit(&state.db, &media, &me, body.0).await?;
    Ok(HttpResponse::Created().json(created))
}

/// The caller's own merchant applications, newest first (with reject reasons).
#[utoipa::path(
    tag = "merchants",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, body = Paged<ApplicationView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/me/merchant-applications")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn my_applications(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Paged<ApplicationView>>> {
    let page = Page::try_from(page.into_inner())?;
    Ok(web::Json(
        applications::list_mine(&state.db, &media, me.id(), page).await?,
    ))
}

/// Review queue: applications for the admin's communities, oldest first.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(ApplicationQuery, PageParams),
    responses(
        (status = 200, body = Paged<ApplicationView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
    )
)]
#[get("/admin/merchant-applications")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn review_queue(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    query: web::Query<ApplicationQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Paged<ApplicationView>>> {
    let page = Page::try_from(page.into_inner())?;
    Ok(web::Json(
        applications::list_for_admin(&state.db, &media, &me, query.status, page).await?,
    ))
}

/// Approve: creates the merchant and gives the applicant the merchant role.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Application id")),
    responses(
        (status = 200, description = "The application, with `merchant_id`", body = ApplicationView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of any community the application names", body = ErrorBody),
        (status = 404, description = "APPLICATION_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "APPLICATION_NOT_PENDING: already reviewed", body = ErrorBody),
    )
)]
#[post("/admin/merchant-applications/{id}/approve")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), application_id = *id))]
async fn approve(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<ApplicationView>> {
    let approved = applications::approve(&state.db, &media, &me, id.into_inner()).await?;
    keys::merchant_approved(&state.cache).await;
    Ok(web::Json(approved))
}

/// Reject with a reason the applicant reads.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Application id")),
    request_body = RejectRequest,
    responses(
        (status = 200, body = ApplicationView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of any community the application names", body = ErrorBody),
        (status = 404, description = "APPLICATION_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "APPLICATION_NOT_PENDING: already reviewed", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: reason missing or too long", body = ErrorBody),
    )
)]
#[post("/admin/merchant-applications/{id}/reject")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), application_id = *id))]
async fn reject(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<RejectRequest>,
) -> ApiResult<web::Json<ApplicationView>> {
    Ok(web::Json(
        applications::reject(&state.db, &media, &me, id.into_inner(), body.0).await?,
    ))
}

/// Merchants of the admin's communities in every status, newest first.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(AdminMerchantQuery, PageParams),
    responses(
        (status = 200, body = Paged<MerchantView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
    )
)]
#[get("/admin/merchants")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn admin_merchants(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<AdminMerchantQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<MerchantView>>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    Ok(web::Json(
        admin_list::list(&state.db, &me, query.into_inner(), page).await?,
    ))
}

/// Suspend a merchant: it, its goods and promotions vanish from public reads at once.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id")),
    responses(
        (status = 200, body = MerchantView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of every community the merchant serves", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "MERCHANT_STATUS_CONFLICT: already suspended", body = ErrorBody),
    )
)]
#[post("/admin/merchants/{id}/suspend")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = *id))]
async fn suspend(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<MerchantView>> {
    let changed = service::change_status(&state.db, &me, *id, MerchantStatus::Suspended).await?;
    keys::merchant_status_changed(&state.cache).await;
    Ok(web::Json(changed))
}

/// Reinstate a suspended merchant: everything it had listed is public again.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id")),
    responses(
        (status = 200, body = MerchantView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of every community the merchant serves", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "MERCHANT_STATUS_CONFLICT: not suspended", body = ErrorBody),
    )
)]
#[post("/admin/merchants/{id}/reinstate")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = *id))]
async fn reinstate(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<MerchantView>> {
    let changed = service::change_status(&state.db, &me, *id, MerchantStatus::Active).await?;
    keys::merchant_status_changed(&state.cache).await;
    Ok(web::Json(changed))
}

/// Publish a shop's name, description and announcement that wait for an
/// admin (`moderation` `review`, or `pending`): until then the public reads
/// the last approved text.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id")),
    responses(
        (status = 200, description = "The merchant as edited, `moderation` `pass`", body = MerchantView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of a community the merchant serves", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
    )
)]
#[post("/admin/merchants/{id}/approve-text")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = *id))]
async fn approve_text(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<MerchantView>> {
    let approved = moderation::approve(&state.db, &me, *id).await?;
    keys::marketplace_changed(&state.cache).await;
    Ok(web::Json(approved))
}

/// Active merchants, newest first.
#[utoipa::path(
    tag = "merchants",
    params(MerchantQuery, PageParams),
    responses(
        (status = 200, body = Paged<MerchantView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
    )
)]
#[get("/merchants")]
#[tracing::instrument(skip_all, level = "debug")]
async fn list_merchants(
    state: web::Data<AppState>,
    query: web::Query<MerchantQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<JsonText> {
    let page = Page::try_from(page.into_inner())?;
    let query = query.into_inner().normalised();
    let key = keys::merchant_list(
        query.community_id,
        query.category.as_deref(),
        query.q.as_deref(),
        page,
    );
    let db = &state.db;
    state
        .cache
        .get_or_load_json(&key, state.cache_ttl(), || {
            service::list_public(db, &query, page)
        })
        .await
}

/// A merchant's profile. Suspended merchants are 404, except to their owner.
#[utoipa::path(
    tag = "merchants",
    params(("id" = i64, Path, description = "Merchant id")),
    responses(
        (status = 200, body = MerchantView),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/merchants/{id}")]
#[tracing::instrument(skip_all, level = "debug", fields(merchant_id = *id))]
async fn get_merchant(
    state: web::Data<AppState>,
    me: MaybeAuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<MerchantView>> {
    let id = id.into_inner();
    let key = keys::merchant_detail(id);
    let db = &state.db;
    match state
        .cache
        .get_or_load(&key, state.cache_ttl(), || service::get_public(db, id))
        .await
    {
        // The owner still sees their own suspended shop (never cached).
        Err(err) if err.code == ErrorCode::MerchantNotFound => {
            let own = service::own_view(db, id, me.0.as_ref()).await?;
            own.map(web::Json).ok_or(err)
        }
        found => found.map(web::Json),
    }
}

/// Edit the shop's profile (owner).
#[utoipa::path(
    tag = "merchants",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id")),
    request_body = MerchantPatch,
    responses(
        (status = 200, body = MerchantView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED; CONTENT_REJECTED: WeChat judged the name, description or announcement risky (`details.fields`)", body = ErrorBody),
    )
)]
#[patch("/merchants/{id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = *id))]
async fn patch_merchant(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<MerchantPatch>,
) -> ApiResult<web::Json<MerchantView>> {
    let m = service::owned_by(&state.db, id.into_inner(), &me).await?;
    // Risky text is refused; text WeChat sends for review (or could not
    // judge) is saved, and the public keeps reading the approved text.
    let checked = match moderation::texts_after(&m, &body) {
        Some(texts) => Some(
            content::moderate_texts(
                &state.wechat,
                &state.settings.content,
                me.user.openid.as_deref(),
                Scene::Profile,
                &[
                    ("name", &texts.name),
                    ("description", &texts.description),
                    ("announcement", &texts.announcement),
                ],
            )
            .await?,
        ),
        None => None,
    };
    let updated = profile::update(&state.db, &media, m, body.0, checked).await?;
    keys::marketplace_changed(&state.cache).await;
    Ok(web::Json(updated))
}
