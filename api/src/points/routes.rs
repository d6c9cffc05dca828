//! `/me/points...`, `/communities/{id}/points/rank`, `/points/awards` (admins
//! and grid workers: the `/admin/` gate lets admins only), `/admin/points/...`.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{Datelike, FixedOffset, Offset, TimeZone, Utc};
use entity::point_entry;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::rules::{self, NewRule, RulePatch, RuleView};
use super::service::{self, NewAward, Reversal};
use super::views::{self, BalanceView, CommunityTotals, EntryView, RankView};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::Json;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(my_points)
        .service(my_ledger)
        .service(community_rank)
        .service(list_rules)
        .service(create_rule)
        .service(update_rule)
        .service(confirm_service)
        .service(reverse_entry)
        .service(admin_ledger)
        .service(admin_totals);
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct MyPoints {
    /// One per community the caller holds points in.
    pub balances: Vec<BalanceView>,
}

/// The caller's balances.
#[utoipa::path(tag = "points", security(("bearer" = [])),
    responses((status = 200, body = MyPoints), (status = 401, description = "UNAUTHORIZED", body = ErrorBody)))]
#[get("/me/points")]
async fn my_points(state: web::Data<AppState>, me: AuthUser) -> ApiResult<web::Json<MyPoints>> {
    Ok(web::Json(MyPoints {
        balances: views::balances(&state.db, me.id()).await?,
    }))
}

/// The caller's ledger, newest first.
#[utoipa::path(tag = "points", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Paged<EntryView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody)))]
#[get("/me/points/ledger")]
async fn my_ledger(
    state: web::Data<AppState>,
    me: AuthUser,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Paged<EntryView>>> {
    let page = Page::try_from(page.into_inner())?;
    Ok(web::Json(
        views::ledger(&state.db, views::of_user(me.id()), page).await?,
    ))
}

/// The caller's place in the community by points and volunteer hours,
/// this month (China time) and all time, and the month's top 10.
#[utoipa::path(tag = "points", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Community id")),
    responses((status = 200, body = RankView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "COMMUNITY_NOT_FOUND", body = ErrorBody)))]
#[get("/communities/{id}/points/rank")]
async fn community_rank(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<RankView>> {
    let id = id.into_inner();
    entity::community::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::CommunityNotFound))?;
    let cst = FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix());
    let now = state.clock.now().with_timezone(&cst);
    let month_start = cst
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| state.clock.now());
    Ok(web::Json(
        views::rank(&state.db, id, me.id(), month_start).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommunityQuery {
    pub community_id: i64,
}

/// A community's rule book (the default 8 classes / 32 items until edited).
#[utoipa::path(tag = "points", security(("bearer" = [])), params(CommunityQuery),
    responses((status = 200, body = Vec<RuleView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not this community's admin", body = ErrorBody)))]
#[get("/admin/points/rules")]
async fn list_rules(
    state: web::Data<AppState>,
    me: AuthUser,
    q: web::Query<CommunityQuery>,
) -> ApiResult<web::Json<Vec<RuleView>>> {
    me.require_admin_of(&state.db, q.community_id).await?;
    Ok(web::Json(rules::list(&state.db, q.community_id).await?))
}

/// Adds an item to a community's rule book.
#[utoipa::path(tag = "points", security(("bearer" = [])), request_body = NewRule,
    responses((status = 201, body = RuleView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not this community's admin", body = ErrorBody),
        (status = 409, description = "ALREADY_EXISTS: the class has an item of this name", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody)))]
#[post("/admin/points/rules")]
async fn create_rule(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<NewRule>,
) -> ApiResult<HttpResponse> {
    me.admin_communities(&state.db).await?;
    me.require_admin_of(&state.db, body.0.community_id).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    let created = rules::create(&*txn, body.0).await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

/// Edits an item (points, caps, names) or retires it (`active: false`).
#[utoipa::path(tag = "points", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Rule id")), request_body = RulePatch,
    responses((status = 200, body = RuleView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "POINT_RULE_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "ALREADY_EXISTS", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody)))]
#[patch("/admin/points/rules/{id}")]
async fn update_rule(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<RulePatch>,
) -> ApiResult<web::Json<RuleView>> {
    me.admin_communities(&state.db).await?;
    let rule = rules::find(&state.db, id.into_inner()).await?;
    me.require_admin_of(&state.db, rule.community_id)
        .await
        .map_err(|_| ApiError::new(ErrorCode::PointRuleNotFound))?;
    Ok(web::Json(rules::update(&state.db, rule, body.0).await?))
}

/// Confirms a volunteer's service and awards its rule's points (an admin of
/// the resident's community, or a grid worker of their grid).
#[utoipa::path(tag = "points", security(("bearer" = [])), request_body = NewAward,
    responses((status = 201, body = EntryView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: neither admin nor grid worker", body = ErrorBody),
        (status = 404, description = "USER_NOT_FOUND (or not reached), POINT_RULE_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "POINTS_CAP_REACHED", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody)))]
#[post("/points/awards")]
async fn confirm_service(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<NewAward>,
) -> ApiResult<HttpResponse> {
    let entry = service::confirm_service(&state.db, &me, body.0).await?;
    let view = views::entry_views(&state.db, vec![entry]).await?;
    Ok(HttpResponse::Created().json(view.first()))
}

/// Reverses a ledger entry once; the reversal references it.
#[utoipa::path(tag = "points", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ledger entry id")), request_body = Reversal,
    responses((status = 201, body = EntryView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 409, description = "ALREADY_REVERSED, INSUFFICIENT_POINTS (spent already), INVALID_TRANSITION (a reversal or expiry)", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody)))]
#[post("/admin/points/entries/{id}/reverse")]
async fn reverse_entry(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<Reversal>,
) -> ApiResult<HttpResponse> {
    let entry = service::reverse(&state.db, &me, id.into_inner(), body.0).await?;
    let view = views::entry_views(&state.db, vec![entry]).await?;
    Ok(HttpResponse::Created().json(view.first()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    pub community_id: i64,
    pub user_id: Option<i64>,
}

/// A community's ledger (admins), newest first.
#[utoipa::path(tag = "points", security(("bearer" = [])), params(LedgerQuery, PageParams),
    responses((status = 200, body = Paged<EntryView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody)))]
#[get("/admin/points/ledger")]
async fn admin_ledger(
    state: web::Data<AppState>,
    me: AuthUser,
    q: web::Query<LedgerQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Paged<EntryView>>> {
    me.require_admin_of(&state.db, q.community_id).await?;
    let page = Page::try_from(page.into_inner())?;
    let mut select =
        point_entry::Entity::find().filter(point_entry::Column::CommunityId.eq(q.community_id));
    if let Some(u) = q.user_id {
        select = select.filter(point_entry::Column::UserId.eq(u));
    }
    Ok(web::Json(views::ledger(&state.db, select, page).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TotalsQuery {
    pub community_id: Option<i64>,
}

/// Points issued, spent, reversed, expired and held, per community of the admin's.
#[utoipa::path(tag = "points", security(("bearer" = [])), params(TotalsQuery),
    responses((status = 200, body = Vec<CommunityTotals>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody)))]
#[get("/admin/points/totals")]
async fn admin_totals(
    state: web::Data<AppState>,
    me: AuthUser,
    q: web::Query<TotalsQuery>,
) -> ApiResult<web::Json<Vec<CommunityTotals>>> {
    let scope = me.admin_scope(&state.db, q.community_id).await?;
    Ok(web::Json(views::totals(&state.db, scope).await?))
}
