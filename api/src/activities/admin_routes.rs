//! `/admin/activities...`: the admins' list, attendance figures, and the
//! organisations authorised to run a community's activities.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::figures::{self, Attendance, AttendanceQuery};
use super::service::{self, ActivityQuery, ActivityView, NewOrganiser, OrganiserView};
use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::media::MediaStore;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(attendance)
        .service(admin_activities)
        .service(add_organiser);
}

/// Activities of the admin's communities (cancelled ones too), newest first.
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(ActivityQuery, PageParams),
    responses(
        (status = 200, body = Paged<ActivityView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
    )
)]
#[get("/admin/activities")]
async fn admin_activities(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    query: web::Query<ActivityQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<ActivityView>>> {
    let scope = me.admin_scope(&state.db, query.community_id).await?;
    let now = state.clock.now();
    Ok(web::Json(
        service::list(&state.db, &media, scope, false, page, now).await?,
    ))
}

/// Attendance per activity, per community and per month (China Standard
/// Time) over the admin's communities: sessions, places taken, attended,
/// no-shows, still waiting.
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(AttendanceQuery),
    responses(
        (status = 200, body = Attendance),
        (status = 400, description = "INVALID_QUERY (`month` is not YYYY-MM)", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
    )
)]
#[get("/admin/activities/attendance")]
async fn attendance(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<AttendanceQuery>,
) -> ApiResult<web::Json<Attendance>> {
    Ok(web::Json(
        figures::attendance(&state.db, &me, &query).await?,
    ))
}

/// Authorises an organisation's account (a school, a clinic, a volunteer
/// team) to publish and run the community's activities.
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Community id")),
    request_body = NewOrganiser,
    responses(
        (status = 201, body = OrganiserView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the community", body = ErrorBody),
        (status = 409, description = "ALREADY_EXISTS", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/admin/communities/{id}/activity-organisers")]
async fn add_organiser(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<NewOrganiser>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let saved = service::add_organiser(&state.db, &me, id.into_inner(), &body.0, now).await?;
    Ok(HttpResponse::Created().json(saved))
}
