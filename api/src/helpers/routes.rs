//! `/helper-applications`, `/admin/helper-applications` and `/helpers/me`.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::admin::{self, AdminHelperQuery};
use super::applications::{
    self, ApplicationQuery, HelperApplicationView, NewHelperApplication, RejectRequest,
};
use super::service::{self, HelperView};
use crate::auth::AuthUser;
use crate::content::{self, Scene};
use crate::error::{ApiResult, ErrorBody};
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
        .service(my_helper_profile)
        .service(admin_helpers);
}

/// Apply to become a helper (resident). One pending application at a time.
#[utoipa::path(
    tag = "helpers",
    security(("bearer" = [])),
    request_body = NewHelperApplication,
    responses(
        (status = 201, body = HelperApplicationView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a resident", body = ErrorBody),
        (status = 409, description = "HELPER_APPLICATION_PENDING or ALREADY_HELPER", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED (a `certificate_photos` id not the caller's `helper_certificate` upload); CONTENT_REJECTED: WeChat judged the name risky (`details.fields`)", body = ErrorBody),
    )
)]
#[post("/helper-applications")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn apply(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    body: Json<NewHelperApplication>,
) -> ApiResult<HttpResponse> {
    // The helper's name is public once approved: risky is refused now;
    // anything else goes to the admins who review the application anyway.
    content::moderate_texts(
        &state.wechat,
        &state.settings.content,
        me.user.openid.as_deref(),
        Scene::Profile,
        &[("display_name", body.display_name.trim())],
    )
    .await?;
    let created = applications::apply(&state.db, &media, &me, body.0).await?;
    Ok(HttpResponse::Created().json(created))
}

/// The caller's own helper applications, newest first.
#[utoipa::path(
    tag = "helpers",
    security(("bearer" = [])),
    params(ApplicationQuery, PageParams),
    responses(
        (status = 200, body = Paged<HelperApplicationView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/me/helper-applications")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn my_applications(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    query: web::Query<ApplicationQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<HelperApplicationView>>> {
    let list = applications::list_mine(&state.db, &media, me.id(), query.status, page).await?;
    Ok(web::Json(list))
}

/// Review queue: applications naming one of the admin's communities, oldest first.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(ApplicationQuery, PageParams),
    responses(
        (status = 200, body = Paged<HelperApplicationView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
    )
)]
#[get("/admin/helper-applications")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn review_queue(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    query: web::Query<ApplicationQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<HelperApplicationView>>> {
    let list = applications::list_for_admin(&state.db, &media, &me, query.status, page).await?;
    Ok(web::Json(list))
}

/// Approve (an admin of one of the application's communities): creates the
/// helper, serving the application's communities, and gives the applicant role `helper`.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Application id")),
    responses(
        (status = 200, body = HelperApplicationView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: none of its communities is the admin's", body = ErrorBody),
        (status = 404, description = "HELPER_APPLICATION_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "APPLICATION_ALREADY_REVIEWED", body = ErrorBody),
    )
)]
#[post("/admin/helper-applications/{id}/approve")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), application_id = *id))]
async fn approve(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<HelperApplicationView>> {
    Ok(web::Json(
        applications::approve(&state.db, &media, &me, id.into_inner()).await?,
    ))
}

/// Reject with a reason the applicant sees; they may apply again.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Application id")),
    request_body = RejectRequest,
    responses(
        (status = 200, body = HelperApplicationView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "HELPER_APPLICATION_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "APPLICATION_ALREADY_REVIEWED", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/admin/helper-applications/{id}/reject")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), application_id = *id))]
async fn reject(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<RejectRequest>,
) -> ApiResult<web::Json<HelperApplicationView>> {
    Ok(web::Json(
        applications::reject(&state.db, &media, &me, id.into_inner(), body.0).await?,
    ))
}

/// The caller's whole helper profile (full phone, skills, communities,
/// status, rating), suspended or not.
#[utoipa::path(
    tag = "helpers",
    security(("bearer" = [])),
    responses(
        (status = 200, body = HelperView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a helper", body = ErrorBody),
    )
)]
#[get("/helpers/me")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn my_helper_profile(
    state: web::Data<AppState>,
    me: AuthUser,
) -> ApiResult<web::Json<HelperView>> {
    // Suspended or not: a suspended helper reads why their services vanished.
    me.require(crate::auth::Role::Helper)?;
    let helper = service::find_by_user(&state.db, me.id())
        .await?
        .ok_or(crate::error::ErrorCode::Forbidden)?;
    Ok(web::Json(service::profile(&state.db, helper).await?))
}

/// Helpers of the admin's communities in every status, newest first.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(AdminHelperQuery, PageParams),
    responses(
        (status = 200, body = Paged<HelperView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
    )
)]
#[get("/admin/helpers")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn admin_helpers(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<AdminHelperQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<HelperView>>> {
    Ok(web::Json(
        admin::list(&state.db, &me, query.into_inner(), page).await?,
    ))
}
