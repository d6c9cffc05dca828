//! `/activities`, `/activity-sessions/...`, `/me/signups`,
//! `/me/family-members`, `/signups/{id}/attend`, `/residents/{id}/birth-date`
//! (the admin views are in `admin_routes`).

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use sea_orm::TransactionTrait;
use utoipa_actix_web::service_config::ServiceConfig;

use super::birth_dates::{self, BirthDateBody, BirthDateView};
use super::checkin::{self, CodeBody, SessionCode};
use super::draft::NewActivity;
use super::family::{self, FamilyMemberView, NewFamilyMember};
use super::service::{self, ActivityQuery, ActivityView};
use super::signing::{self, NewSignup, SignupQuery, SignupView};
use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::idempotency::IdempotencyKey;
use crate::media::MediaStore;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_activities)
        .service(get_activity)
        .service(publish)
        .service(sign_up)
        .service(self_check_in)
        .service(my_signups)
        .service(my_signup)
        .service(cancel_signup)
        .service(family_members)
        .service(add_family_member)
        .service(remove_family_member)
        .service(roster)
        .service(session_code)
        .service(check_in_participant)
        .service(tick)
        .service(verify_birth_date)
        .configure(super::admin_routes::configure);
}

/// Published activities, newest first, each with its next session (`sessions`) and `session_count`.
#[utoipa::path(
    tag = "activities",
    params(ActivityQuery, PageParams),
    responses(
        (status = 200, body = Paged<ActivityView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
    )
)]
#[get("/activities")]
async fn list_activities(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    query: web::Query<ActivityQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<ActivityView>>> {
    let scope = query.community_id.map(|c| vec![c]);
    let now = state.clock.now();
    Ok(web::Json(
        service::list(&state.db, &media, scope, true, page, now).await?,
    ))
}

/// One activity with every session, its places taken and its waiting list's length.
#[utoipa::path(
    tag = "activities",
    params(("id" = i64, Path, description = "Activity id")),
    responses(
        (status = 200, body = ActivityView),
        (status = 404, description = "ACTIVITY_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/activities/{id}")]
async fn get_activity(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    id: web::Path<i64>,
) -> ApiResult<web::Json<ActivityView>> {
    let found = service::find(&state.db, id.into_inner()).await?;
    Ok(web::Json(service::detail(&state.db, &media, found).await?))
}

/// Publishes an activity and its sessions (an admin of `community_id`, or
/// an organisation it authorised).
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    request_body = NewActivity,
    responses(
        (status = 201, body = ActivityView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: neither an admin nor an organiser of the community (or of one in `community_ids`)", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED (`schedule.*` names a bad part of the timetable)", body = ErrorBody),
    )
)]
#[post("/activities")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn publish(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    body: Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    // Authorization before validation: organisers are residents, so the
    // role alone cannot gate the route before its body is parsed.
    service::require_any_runner(&state.db, &me).await?;
    let raw = serde_json::to_vec(&body.0)?;
    let new: NewActivity = crate::extract::parse_json(&raw)?;
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    let saved = service::create(&*txn, &me, &new, now).await?;
    txn.commit().await?;
    let view = service::detail(&state.db, &media, saved).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Signs the caller (or `family_member_id`, as guardian) up for a session:
/// a place when one is free, else the waiting list (`status: waiting`,
/// `waiting_position`).
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Session id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1-64 printable ASCII characters; remembered 24 hours"),
    ),
    request_body = NewSignup,
    responses(
        (status = 201, body = SignupView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a resident", body = ErrorBody),
        (status = 404, description = "SESSION_NOT_FOUND or FAMILY_MEMBER_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "SESSION_FULL (no waiting list), ALREADY_SIGNED_UP, SIGNUP_CLOSED, NOT_ELIGIBLE (`details.reason`: `community`, `age`, `age_unverified`) or IDEMPOTENCY_IN_PROGRESS", body = ErrorBody),
        (status = 422, description = "IDEMPOTENCY_KEY_REUSED", body = ErrorBody),
    )
)]
#[post("/activity-sessions/{id}/signups")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), session_id = *id))]
async fn sign_up(
    state: web::Data<AppState>,
    me: AuthUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: Option<Json<NewSignup>>,
) -> ApiResult<HttpResponse> {
    let key = IdempotencyKey::from_request(&req)?;
    let new = body.map(|b| b.0).unwrap_or_default();
    let now = state.clock.now();
    let (status, json) = signing::sign_up(&state.db, &me, id.into_inner(), new, key, now).await?;
    Ok(HttpResponse::build(status).json(json))
}

/// The participant scanned the session's rotating code: every place the
/// caller holds in the session (theirs and their family members') is checked in.
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")),
    request_body = CodeBody,
    responses(
        (status = 200, body = Vec<SignupView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a resident", body = ErrorBody),
        (status = 404, description = "SESSION_NOT_FOUND, or SIGNUP_NOT_FOUND: no place in this session", body = ErrorBody),
        (status = 409, description = "CHECKIN_CODE_INVALID, CHECKIN_CODE_EXPIRED (older than 60 s) or ALREADY_CHECKED_IN", body = ErrorBody),
    )
)]
#[post("/activity-sessions/{id}/self-check-in")]
async fn self_check_in(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<CodeBody>,
) -> ApiResult<web::Json<Vec<SignupView>>> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let done = checkin::scan_session_code(&txn, &me, id.into_inner(), &body.code, now).await?;
    txn.commit().await?;
    Ok(web::Json(done))
}

/// The caller's sign-ups (theirs and their family members'), newest first.
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(SignupQuery, PageParams),
    responses(
        (status = 200, body = Paged<SignupView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/me/signups")]
async fn my_signups(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<SignupQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<SignupView>>> {
    Ok(web::Json(
        signing::list_mine(&state.db, &me, query.status, page).await?,
    ))
}

/// One of the caller's sign-ups, with its check-in code while it holds a place.
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Sign-up id")),
    responses(
        (status = 200, body = SignupView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "SIGNUP_NOT_FOUND (another resident's too)", body = ErrorBody),
    )
)]
#[get("/me/signups/{id}")]
async fn my_signup(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<SignupView>> {
    let row = signing::own(&state.db, &me, id.into_inner()).await?;
    Ok(web::Json(signing::one_view(&state.db, row).await?))
}

/// Cancels before the activity's cut-off; the place goes at once to the
/// first one waiting, who gets an inbox message.
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Sign-up id")),
    responses(
        (status = 200, body = SignupView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "SIGNUP_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "CANCEL_CUTOFF_PASSED (`details.cancel_until`) or INVALID_TRANSITION (already cancelled, attended or recorded)", body = ErrorBody),
    )
)]
#[post("/me/signups/{id}/cancel")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), signup_id = *id))]
async fn cancel_signup(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<SignupView>> {
    let now = state.clock.now();
    Ok(web::Json(
        signing::cancel(&state.db, &me, id.into_inner(), now).await?,
    ))
}

/// The caller's registered family members.
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<FamilyMemberView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/me/family-members")]
async fn family_members(
    state: web::Data<AppState>,
    me: AuthUser,
) -> ApiResult<web::Json<Vec<FamilyMemberView>>> {
    Ok(web::Json(family::list(&state.db, &me).await?))
}

/// Registers a child or an elder the caller signs up as guardian (up to 20).
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    request_body = NewFamilyMember,
    responses(
        (status = 201, body = FamilyMemberView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a resident", body = ErrorBody),
        (status = 409, description = "CONFLICT: 20 already registered", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/me/family-members")]
async fn add_family_member(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<NewFamilyMember>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let saved = family::add(&state.db, &me, body.0, now).await?;
    Ok(HttpResponse::Created().json(saved))
}

/// Removes a family member (their past sign-ups stay).
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Family member id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "FAMILY_MEMBER_NOT_FOUND", body = ErrorBody),
    )
)]
#[delete("/me/family-members/{id}")]
async fn remove_family_member(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    family::remove(&state.db, &me, id.into_inner(), now).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The session's roster (its admins and organisers): places in sign-up
/// order, then the waiting list in order.
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")),
    responses(
        (status = 200, body = Vec<SignupView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "SESSION_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/activity-sessions/{id}/roster")]
async fn roster(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<Vec<SignupView>>> {
    Ok(web::Json(
        checkin::roster(&state.db, &me, id.into_inner()).await?,
    ))
}

/// The session's rotating check-in code, valid 60 seconds (its admins and
/// organisers show it as a QR code; fetch a new one every minute).
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")),
    responses(
        (status = 200, body = SessionCode),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "SESSION_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/activity-sessions/{id}/checkin-code")]
async fn session_code(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<SessionCode>> {
    let now = state.clock.now();
    Ok(web::Json(
        checkin::session_code(&state.db, &me, id.into_inner(), now).await?,
    ))
}

/// The organiser scanned a participant's one-time code.
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")),
    request_body = CodeBody,
    responses(
        (status = 200, body = SignupView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "SESSION_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "CHECKIN_CODE_INVALID: wrong, used (a replay), cancelled, or of another session", body = ErrorBody),
    )
)]
#[post("/activity-sessions/{id}/check-ins")]
async fn check_in_participant(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<CodeBody>,
) -> ApiResult<web::Json<SignupView>> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let done = checkin::scan_participant_code(&txn, &me, id.into_inner(), &body.code, now).await?;
    txn.commit().await?;
    Ok(web::Json(done))
}

/// The organiser ticks a participant on the roster (also one recorded as a no-show).
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Sign-up id")),
    responses(
        (status = 200, body = SignupView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "SIGNUP_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "ALREADY_CHECKED_IN or INVALID_TRANSITION (waiting or cancelled)", body = ErrorBody),
    )
)]
#[post("/signups/{id}/attend")]
async fn tick(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<SignupView>> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let done = checkin::tick(&txn, &me, id.into_inner(), now).await?;
    txn.commit().await?;
    Ok(web::Json(done))
}

/// Records a resident's birth date as verified (an admin of their community
/// or a grid worker of their grid): the age activity rules and the canteen
/// subsidy go by.
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Resident's user id")),
    request_body = BirthDateBody,
    responses(
        (status = 200, body = BirthDateView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the resident's community nor a grid worker of their grid", body = ErrorBody),
        (status = 404, description = "USER_NOT_FOUND", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[put("/residents/{id}/birth-date")]
async fn verify_birth_date(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<BirthDateBody>,
) -> ApiResult<web::Json<BirthDateView>> {
    let now = state.clock.now();
    Ok(web::Json(
        birth_dates::verify(&state.db, &me, id.into_inner(), &body.0, now).await?,
    ))
}
