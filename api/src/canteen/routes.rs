//! `/canteens...`, `/canteen-meals/{id}/bookings`, `/me/meal-bookings`,
//! `/meal-bookings/{id}/...` (the admins' are in `admin_routes`).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::booking::{self, MealBookingView, NewMealBooking};
use super::counter;
use super::model::{CanteenQuery, CanteenView, MealView, MenuQuery};
use super::payment::{self, MealPayment};
use super::service;
use crate::auth::{AuthUser, Role};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::idempotency::IdempotencyKey;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_canteens)
        .service(get_canteen)
        .service(menus)
        .service(book_meal)
        .service(my_meal_bookings)
        .service(cancel_meal_booking)
        .service(pay_meal_booking)
        .service(deliver_meal)
        .configure(super::admin_routes::configure);
}

/// Canteens, in id order; with `community_id`, those serving that community.
#[utoipa::path(
    tag = "canteen",
    params(CanteenQuery, PageParams),
    responses(
        (status = 200, body = Paged<CanteenView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
    )
)]
#[get("/canteens")]
async fn list_canteens(
    state: web::Data<AppState>,
    query: web::Query<CanteenQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<CanteenView>>> {
    Ok(web::Json(service::list(&state.db, &query, page).await?))
}

/// One canteen: its place, the communities it serves, opening days, meal
/// times, places per meal, booking cut-off and delivery.
#[utoipa::path(
    tag = "canteen",
    params(("id" = i64, Path, description = "Canteen id")),
    responses(
        (status = 200, body = CanteenView),
        (status = 404, description = "CANTEEN_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/canteens/{id}")]
async fn get_canteen(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> ApiResult<web::Json<CanteenView>> {
    let found = service::find(&state.db, id.into_inner()).await?;
    Ok(web::Json(service::detail(&state.db, &found).await?))
}

/// The canteen's published meals with their dishes and places, over at
/// most 31 days (default: today and the 6 days after).
#[utoipa::path(
    tag = "canteen",
    params(("id" = i64, Path, description = "Canteen id"), MenuQuery),
    responses(
        (status = 200, body = Vec<MealView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 404, description = "CANTEEN_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/canteens/{id}/menus")]
async fn menus(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<MenuQuery>,
) -> ApiResult<web::Json<Vec<MealView>>> {
    let now = state.clock.now();
    Ok(web::Json(
        service::menus(&state.db, id.into_inner(), &query, now).await?,
    ))
}

/// Books a meal for the caller, or (a grid worker, `on_behalf_of_user_id`)
/// for an elder of their grid. `amount` = dishes − subsidy (never below 0);
/// the subsidy only for a verified 60+ elder, once per meal time. With
/// `pay_method: online` the place is held unpaid until `pay_until` (pay with
/// `POST /meal-bookings/{id}/pay`); an amount of 0 is paid at once.
#[utoipa::path(
    tag = "canteen",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Meal id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1-64 printable ASCII characters; remembered 24 hours"),
    ),
    request_body = NewMealBooking,
    responses(
        (status = 201, body = MealBookingView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a resident, or the elder is not of the grid worker's grid", body = ErrorBody),
        (status = 404, description = "MEAL_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "SESSION_FULL, MEAL_ALREADY_BOOKED, MEAL_BOOKING_CLOSED (past the cut-off), NOT_ELIGIBLE (`details.reason`: `community`, `delivery_off`, `not_disabled`) or IDEMPOTENCY_IN_PROGRESS", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED or IDEMPOTENCY_KEY_REUSED", body = ErrorBody),
        (status = 503, description = "PAYMENT_PROVIDER_UNAVAILABLE: `pay_method: online` where WeChat Pay is not enabled", body = ErrorBody),
    )
)]
#[post("/canteen-meals/{id}/bookings")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), meal_id = *id))]
async fn book_meal(
    state: web::Data<AppState>,
    me: AuthUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    // Authorization before validation.
    me.require_any(&[Role::Resident, Role::GridWorker])?;
    let key = IdempotencyKey::from_request(&req)?;
    let raw = serde_json::to_vec(&body.0)?;
    let new: NewMealBooking = crate::extract::parse_json(&raw)?;
    let terms = booking::Terms {
        now: state.clock.now(),
        default_rate: state.settings.canteen.subsidy_per_meal,
        pay_window: state.wechatpay.as_ref().map(|_| {
            chrono::Duration::seconds(state.settings.payments.payment_timeout_secs.max(60))
        }),
    };
    let (status, json) = booking::book(&state.db, &me, id.into_inner(), new, key, terms).await?;
    Ok(HttpResponse::build(status).json(json))
}

/// The caller's meal bookings (theirs, and those they made for others), newest first.
#[utoipa::path(
    tag = "canteen",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, body = Paged<MealBookingView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/me/meal-bookings")]
async fn my_meal_bookings(
    state: web::Data<AppState>,
    me: AuthUser,
    page: Page,
) -> ApiResult<web::Json<Paged<MealBookingView>>> {
    Ok(web::Json(booking::list_mine(&state.db, &me, page).await?))
}

/// Cancels before the cut-off (the elder or whoever booked it): the place
/// and the subsidy go back. A meal paid at the counter is refunded there;
/// one paid online is refunded in full through WeChat Pay.
#[utoipa::path(
    tag = "canteen",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Meal booking id")),
    responses(
        (status = 200, body = MealBookingView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "MEAL_BOOKING_NOT_FOUND (another's too)", body = ErrorBody),
        (status = 409, description = "CANCEL_CUTOFF_PASSED or INVALID_TRANSITION (already cancelled)", body = ErrorBody),
    )
)]
#[post("/meal-bookings/{id}/cancel")]
async fn cancel_meal_booking(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<MealBookingView>> {
    let now = state.clock.now();
    Ok(web::Json(
        booking::cancel(
            &state.db,
            state.wechatpay.as_ref(),
            &me,
            id.into_inner(),
            now,
        )
        .await?,
    ))
}

/// WeChat Pay for the caller's meal booked with `pay_method: online` and
/// not yet paid: the `wx.requestPayment` parameters. Only the verified
/// notify (or the sweep's query) marks it paid.
#[utoipa::path(
    tag = "canteen",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Meal booking id")),
    responses(
        (status = 200, body = MealPayment),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "MEAL_BOOKING_NOT_FOUND (another's too)", body = ErrorBody),
        (status = 409, description = "ORDER_ALREADY_PAID, PAYMENT_CLOSED (past `pay_until`) or INVALID_TRANSITION (cancelled, or paid at the counter)", body = ErrorBody),
        (status = 502, description = "WeChat Pay refused or failed", body = ErrorBody),
        (status = 503, description = "PAYMENT_PROVIDER_UNAVAILABLE", body = ErrorBody),
    )
)]
#[post("/meal-bookings/{id}/pay")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), booking_id = *id))]
async fn pay_meal_booking(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<MealPayment>> {
    let now = state.clock.now();
    Ok(web::Json(
        payment::pay(&state, &me, id.into_inner(), now).await?,
    ))
}

/// The volunteer who brought a delivered meal records it (a grid worker of
/// the elder's grid, or an admin of the canteen's community), once.
#[utoipa::path(
    tag = "canteen",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Meal booking id")),
    responses(
        (status = 200, body = MealBookingView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "MEAL_BOOKING_NOT_FOUND (also to anyone who may not record it)", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: not a delivery, cancelled, or delivered already", body = ErrorBody),
    )
)]
#[post("/meal-bookings/{id}/delivered")]
async fn deliver_meal(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<MealBookingView>> {
    let now = state.clock.now();
    Ok(web::Json(
        counter::mark_delivered(&state.db, &me, id.into_inner(), now).await?,
    ))
}
