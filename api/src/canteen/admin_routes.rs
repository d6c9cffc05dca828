//! `/admin/canteens...`, `/admin/canteen-meals/{id}/desk`,
//! `/admin/meal-bookings/{id}/paid`, `/admin/residents/{id}/disability`,
//! `/admin/communities/{id}/canteen-subsidy`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::booking::MealBookingView;
use super::counter;
use super::desk::{self, MealDesk, StatementFormat, StatementQuery, SubsidyStatement};
use super::eligibility::{self, DisabilityBody, DisabilityView, SubsidyRateBody, SubsidyRateView};
use super::model::{CanteenView, MealView, NewCanteen, NewMenu};
use super::service;
use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_canteen)
        .service(update_canteen)
        .service(publish_menu)
        .service(meal_desk)
        .service(mark_paid)
        .service(subsidy_statement)
        .service(set_disability)
        .service(subsidy_rate)
        .service(set_subsidy_rate);
}

/// Opens a canteen run by `community_id` (its admin), serving `community_ids`.
#[utoipa::path(
    tag = "canteen",
    security(("bearer" = [])),
    request_body = NewCanteen,
    responses(
        (status = 201, body = CanteenView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the community, or of one in `community_ids`", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED (also a meal named twice in `meal_times`)", body = ErrorBody),
    )
)]
#[post("/admin/canteens")]
async fn create_canteen(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<NewCanteen>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    let saved = service::create(&*txn, &me, &body.0, now).await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(saved))
}

/// Replaces a canteen's settings (published meals keep their places).
#[utoipa::path(
    tag = "canteen",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Canteen id")),
    request_body = NewCanteen,
    responses(
        (status = 200, body = CanteenView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of every community named", body = ErrorBody),
        (status = 404, description = "CANTEEN_NOT_FOUND (another community's too)", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED (also a meal named twice in `meal_times`)", body = ErrorBody),
    )
)]
#[put("/admin/canteens/{id}")]
async fn update_canteen(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<NewCanteen>,
) -> ApiResult<web::Json<CanteenView>> {
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    let saved = service::update(&*txn, &me, id.into_inner(), &body.0, now).await?;
    txn.commit().await?;
    Ok(web::Json(saved))
}

/// Publishes the menu of one meal (or replaces it before anyone booked).
#[utoipa::path(
    tag = "canteen",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Canteen id")),
    request_body = NewMenu,
    responses(
        (status = 200, body = MealView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "CANTEEN_NOT_FOUND (another community's too)", body = ErrorBody),
        (status = 409, description = "MENU_LOCKED: the meal has bookings", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED (`date` not an opening day or past, `meal` not one of the canteen's)", body = ErrorBody),
    )
)]
#[put("/admin/canteens/{id}/menus")]
async fn publish_menu(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<NewMenu>,
) -> ApiResult<web::Json<MealView>> {
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    let saved = service::publish_menu(&*txn, &me, id.into_inner(), &body.0, now).await?;
    txn.commit().await?;
    Ok(web::Json(saved))
}

/// One meal's desk: portions per dish and the roster.
#[utoipa::path(
    tag = "canteen",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Meal id")),
    responses(
        (status = 200, body = MealDesk),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "MEAL_NOT_FOUND (another community's too)", body = ErrorBody),
    )
)]
#[get("/admin/canteen-meals/{id}/desk")]
async fn meal_desk(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<MealDesk>> {
    Ok(web::Json(
        desk::desk(&state.db, &me, id.into_inner()).await?,
    ))
}

/// The counter took the money for a booked meal.
#[utoipa::path(
    tag = "canteen",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Meal booking id")),
    responses(
        (status = 200, body = MealBookingView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "MEAL_BOOKING_NOT_FOUND (another community's too)", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: cancelled or paid already", body = ErrorBody),
    )
)]
#[post("/admin/meal-bookings/{id}/paid")]
async fn mark_paid(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<MealBookingView>> {
    let now = state.clock.now();
    Ok(web::Json(
        counter::mark_paid(&state.db, &me, id.into_inner(), now).await?,
    ))
}

/// The month's subsidy statement for the street office: subsidised meals
/// booked and not cancelled, persons, total, per day. CSV (one line per
/// subsidised meal, then the totals) with `format=csv` or `Accept: text/csv`.
#[utoipa::path(
    tag = "canteen",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Canteen id"), StatementQuery),
    responses(
        (status = 200, description = "The statement: JSON, or CSV with `format=csv` or `Accept: text/csv`",
            content((SubsidyStatement = "application/json"), (String = "text/csv"))),
        (status = 400, description = "INVALID_QUERY (`month` is not YYYY-MM)", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "CANTEEN_NOT_FOUND (another community's too)", body = ErrorBody),
    )
)]
#[get("/admin/canteens/{id}/subsidy")]
async fn subsidy_statement(
    state: web::Data<AppState>,
    me: AuthUser,
    req: HttpRequest,
    id: web::Path<i64>,
    query: web::Query<StatementQuery>,
) -> ApiResult<HttpResponse> {
    let wants_csv = match query.format {
        Some(f) => f == StatementFormat::Csv,
        None => req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/csv")),
    };
    let id = id.into_inner();
    if wants_csv {
        let csv = desk::statement_csv(&state.db, &me, id, &query.month).await?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "content-disposition",
                format!(
                    "attachment; filename=\"canteen-{id}-subsidy-{}.csv\"",
                    query.month
                ),
            ))
            .body(csv));
    }
    let json = desk::statement(&state.db, &me, id, &query.month).await?;
    Ok(HttpResponse::Ok().json(json))
}

/// Records (or withdraws) that a resident of the admin's community is
/// disabled (失能): they may have canteen meals delivered.
#[utoipa::path(
    tag = "canteen",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Resident's user id")),
    request_body = DisabilityBody,
    responses(
        (status = 200, body = DisabilityView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "USER_NOT_FOUND (a resident outside the admin's communities too)", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[put("/admin/residents/{id}/disability")]
async fn set_disability(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<DisabilityBody>,
) -> ApiResult<web::Json<DisabilityView>> {
    let now = state.clock.now();
    Ok(web::Json(
        eligibility::set_disability(&state.db, &me, id.into_inner(), &body.0, now).await?,
    ))
}

/// The community's canteen subsidy per meal for its verified 60+ residents.
#[utoipa::path(
    tag = "canteen",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Community id")),
    responses(
        (status = 200, body = SubsidyRateView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the community", body = ErrorBody),
    )
)]
#[get("/admin/communities/{id}/canteen-subsidy")]
async fn subsidy_rate(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<SubsidyRateView>> {
    let default = state.settings.canteen.subsidy_per_meal;
    Ok(web::Json(
        eligibility::rate_view(&state.db, &me, id.into_inner(), default).await?,
    ))
}

/// Sets the community's canteen subsidy per meal (0.00-100.00); meals
/// booked earlier keep theirs.
#[utoipa::path(
    tag = "canteen",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Community id")),
    request_body = SubsidyRateBody,
    responses(
        (status = 200, body = SubsidyRateView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the community", body = ErrorBody),
        (status = 404, description = "COMMUNITY_NOT_FOUND", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[put("/admin/communities/{id}/canteen-subsidy")]
async fn set_subsidy_rate(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<SubsidyRateBody>,
) -> ApiResult<web::Json<SubsidyRateView>> {
    let now = state.clock.now();
    Ok(web::Json(
        eligibility::set_rate(&state.db, &me, id.into_inner(), &body.0, now).await?,
    ))
}
