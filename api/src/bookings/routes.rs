//! `/bookings`, `/me/bookings`, `/helpers/me/bookings`, the transitions,
//! and an admin's suspension of a helper (which cancels bookings).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use entity::helper::HelperStatus;

use super::Action;
use super::helper_suspension;
use super::review::{self as reviews, ReviewRequest};
use super::service::{self, BookingQuery, BookingView, NewBooking};
use crate::auth::AuthUser;
use crate::cache::keys;
use crate::content::{self, Scene};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::helpers::service::HelperView;
use crate::helpers::service::current_helper;
use crate::idempotency::IdempotencyKey;
use crate::media::MediaStore;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_booking)
        .service(my_bookings)
        .service(helper_bookings)
        .service(get_booking)
        .service(accept)
        .service(decline)
        .service(start)
        .service(complete)
        .service(cancel)
        .service(review)
        .service(approve_review)
        .service(suspend_helper)
        .service(reinstate_helper);
}

/// Book a slot (resident; or a grid worker for a resident of their grid via
/// `on_behalf_of_user_id`). The served resident must live in a community the
/// service serves. With an `Idempotency-Key`, a retry with the same body
/// answers the first response again and books nothing more.
#[utoipa::path(
    tag = "bookings",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "1-64 printable ASCII characters; remembered 24 hours")),
    request_body = NewBooking,
    responses(
        (status = 201, body = BookingView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a resident, or the resident is outside the grid worker's grid", body = ErrorBody),
        (status = 404, description = "SERVICE_NOT_FOUND or SLOT_NOT_FOUND (a slot of another helper)", body = ErrorBody),
        (status = 409, description = "SLOT_TAKEN, SLOT_PASSED, TOO_MANY_OPEN_BOOKINGS (the resident served holds `bookings.max_open_per_resident` requested, accepted or in-service bookings) or IDEMPOTENCY_IN_PROGRESS", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED (a service outside the resident's community included) or IDEMPOTENCY_KEY_REUSED", body = ErrorBody),
    )
)]
#[post("/bookings")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn create_booking(
    state: web::Data<AppState>,
    me: AuthUser,
    req: HttpRequest,
    body: Json<NewBooking>,
) -> ApiResult<HttpResponse> {
    let key = IdempotencyKey::from_request(&req)?;
    let (status, json) = service::book(
        &state.db,
        &me,
        body.0,
        key,
        state.settings.bookings.max_open_per_resident,
    )
    .await?;
    Ok(HttpResponse::build(status).json(json))
}

/// Bookings the caller is served by, or made for someone as a grid worker.
#[utoipa::path(
    tag = "bookings",
    security(("bearer" = [])),
    params(BookingQuery, PageParams),
    responses(
        (status = 200, body = Paged<BookingView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/me/bookings")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn my_bookings(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    query: web::Query<BookingQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<BookingView>>> {
    let mut list = service::list_mine(&state.db, &me, query.status, page).await?;
    list.items = reviews::shown(&state.db, &media, me.id(), list.items).await?;
    Ok(web::Json(list))
}

/// The helper's bookings.
#[utoipa::path(
    tag = "bookings",
    security(("bearer" = [])),
    params(BookingQuery, PageParams),
    responses(
        (status = 200, body = Paged<BookingView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an active helper", body = ErrorBody),
    )
)]
#[get("/helpers/me/bookings")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn helper_bookings(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    query: web::Query<BookingQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<BookingView>>> {
    let helper = current_helper(&state.db, &me).await?;
    let mut list = service::list_of_helper(&state.db, helper.id, query.status, page).await?;
    list.items = reviews::shown(&state.db, &media, me.id(), list.items).await?;
    Ok(web::Json(list))
}

/// One booking, to its resident, its helper or the grid worker who made it.
#[utoipa::path(
    tag = "bookings",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses(
        (status = 200, body = BookingView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "BOOKING_NOT_FOUND (also another user's booking)", body = ErrorBody),
    )
)]
#[get("/bookings/{id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), booking_id = *id))]
async fn get_booking(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<BookingView>> {
    let found = service::get(&state.db, &me, id.into_inner()).await?;
    Ok(web::Json(
        reviews::shown_one(&state.db, &media, me.id(), found).await?,
    ))
}

async fn apply(
    state: &AppState,
    me: &AuthUser,
    id: i64,
    action: Action,
) -> ApiResult<web::Json<BookingView>> {
    Ok(web::Json(
        service::transition(&state.db, me, id, action).await?,
    ))
}

/// requested → accepted (the booking's helper).
#[utoipa::path(
    tag = "bookings",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses(
        (status = 200, body = BookingView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the booking's helper", body = ErrorBody),
        (status = 404, description = "BOOKING_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION (`details.status` is the current status)", body = ErrorBody),
    )
)]
#[post("/bookings/{id}/accept")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), booking_id = *id))]
async fn accept(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<BookingView>> {
    apply(&state, &me, id.into_inner(), Action::Accept).await
}

/// requested → declined (the booking's helper); frees the slot.
#[utoipa::path(
    tag = "bookings",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses(
        (status = 200, body = BookingView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the booking's helper", body = ErrorBody),
        (status = 404, description = "BOOKING_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION", body = ErrorBody),
    )
)]
#[post("/bookings/{id}/decline")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), booking_id = *id))]
async fn decline(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<BookingView>> {
    apply(&state, &me, id.into_inner(), Action::Decline).await
}

/// accepted → in_service (the booking's helper).
#[utoipa::path(
    tag = "bookings",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses(
        (status = 200, body = BookingView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the booking's helper", body = ErrorBody),
        (status = 404, description = "BOOKING_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION", body = ErrorBody),
    )
)]
#[post("/bookings/{id}/start")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), booking_id = *id))]
async fn start(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<BookingView>> {
    apply(&state, &me, id.into_inner(), Action::Start).await
}

/// in_service → completed (the booking's helper).
#[utoipa::path(
    tag = "bookings",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses(
        (status = 200, body = BookingView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the booking's helper", body = ErrorBody),
        (status = 404, description = "BOOKING_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION", body = ErrorBody),
    )
)]
#[post("/bookings/{id}/complete")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), booking_id = *id))]
async fn complete(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<BookingView>> {
    apply(&state, &me, id.into_inner(), Action::Complete).await
}

/// requested | accepted → cancelled (the resident or the grid worker who
/// booked), until the service starts; frees the slot.
#[utoipa::path(
    tag = "bookings",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses(
        (status = 200, body = BookingView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: the helper cannot cancel (decline instead)", body = ErrorBody),
        (status = 404, description = "BOOKING_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION", body = ErrorBody),
    )
)]
#[post("/bookings/{id}/cancel")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), booking_id = *id))]
async fn cancel(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<BookingView>> {
    apply(&state, &me, id.into_inner(), Action::Cancel).await
}

/// Rate a completed booking once (its resident); updates the service's and
/// the helper's average.
#[utoipa::path(
    tag = "bookings",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    request_body = ReviewRequest,
    responses(
        (status = 200, body = BookingView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: only the resident served reviews", body = ErrorBody),
        (status = 404, description = "BOOKING_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "BOOKING_NOT_COMPLETED or ALREADY_REVIEWED", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED (a `photos` id not the caller's `review_photo` upload); CONTENT_REJECTED: WeChat judged the comment risky (`details.fields`)", body = ErrorBody),
    )
)]
#[post("/bookings/{id}/review")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), booking_id = *id))]
async fn review(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<ReviewRequest>,
) -> ApiResult<web::Json<BookingView>> {
    reviews::check(&body)?;
    // Risky is refused; review or unreachable is saved, shown to the
    // resident only until it passes.
    let moderation = content::moderate_texts(
        &state.wechat,
        &state.settings.content,
        me.user.openid.as_deref(),
        Scene::Comment,
        &[("comment", body.comment.trim())],
    )
    .await?;
    let reviewed = reviews::review(&state.db, &me, id.into_inner(), body.0, moderation).await?;
    // The service's and the helper's ratings moved.
    keys::catalog_changed(&state.cache).await;
    Ok(web::Json(
        reviews::shown_one(&state.db, &media, me.id(), reviewed).await?,
    ))
}

/// Publish a review's comment and photos that wait for an admin (WeChat
/// asked for review, or could not be asked): the helper sees them from now on.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses(
        (status = 200, description = "The booking, `review_moderation` `pass`", body = BookingView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of a community the service is offered in", body = ErrorBody),
        (status = 404, description = "BOOKING_NOT_FOUND (also a booking not reviewed)", body = ErrorBody),
    )
)]
#[post("/admin/bookings/{id}/approve-review")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), booking_id = *id))]
async fn approve_review(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<BookingView>> {
    let approved = reviews::approve(&state.db, &me, id.into_inner()).await?;
    keys::catalog_changed(&state.cache).await;
    Ok(web::Json(
        reviews::shown_one(&state.db, &media, me.id(), approved).await?,
    ))
}

/// Suspend a helper: their services leave the catalog at once, and their
/// bookings not yet started are cancelled with a message to each resident.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Helper id")),
    responses(
        (status = 200, body = HelperView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of every community the helper serves", body = ErrorBody),
        (status = 404, description = "HELPER_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "HELPER_STATUS_CONFLICT: already suspended", body = ErrorBody),
    )
)]
#[post("/admin/helpers/{id}/suspend")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), helper_id = *id))]
async fn suspend_helper(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<HelperView>> {
    let changed =
        helper_suspension::change_status(&state.db, &me, *id, HelperStatus::Suspended).await?;
    keys::catalog_changed(&state.cache).await;
    Ok(web::Json(changed))
}

/// Reinstate a suspended helper: their services are listed again.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Helper id")),
    responses(
        (status = 200, body = HelperView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of every community the helper serves", body = ErrorBody),
        (status = 404, description = "HELPER_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "HELPER_STATUS_CONFLICT: not suspended", body = ErrorBody),
    )
)]
#[post("/admin/helpers/{id}/reinstate")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), helper_id = *id))]
async fn reinstate_helper(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<HelperView>> {
    let changed =
        helper_suspension::change_status(&state.db, &me, *id, HelperStatus::Active).await?;
    keys::catalog_changed(&state.cache).await;
    Ok(web::Json(changed))
}
