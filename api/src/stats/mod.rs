//! The dashboard: the figures the county reports, per community or overall.

pub mod civic;
pub mod daily;
pub mod service;

use actix_web::{get, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

pub use self::daily::{DailyFigures, DailyStats};
pub use self::service::Stats;
use crate::auth::{AuthUser, Role};
use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_stats).service(get_daily);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// One community; omitted: every community the caller administers
    /// (all of them for a platform admin).
    pub community_id: Option<i64>,
}

/// The dashboard figures (community admins: their communities; platform admins: any).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(StatsQuery),
    responses(
        (status = 200, body = Stats),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of that community", body = ErrorBody),
        (status = 404, description = "COMMUNITY_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/admin/stats")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn get_stats(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<StatsQuery>,
) -> ApiResult<web::Json<Stats>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    Ok(web::Json(
        service::figures(&state.db, &me, query.community_id).await?,
    ))
}

/// The dashboard figures per China-time day of a range (`from..=to`, default
/// the last 30 days; a longer range is cut to its first 92 days, a reversed
/// one covers no day): residents who registered, orders they
/// placed, notices published and requests received, for charts over time.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(daily::DailyQuery),
    responses(
        (status = 200, body = DailyStats),
        (status = 400, description = "INVALID_QUERY: a date that is no date or outside 2000-2099 (`details.fields`)", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of that community", body = ErrorBody),
        (status = 404, description = "COMMUNITY_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/admin/stats/daily")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn get_daily(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<daily::DailyQuery>,
) -> ApiResult<web::Json<DailyStats>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    Ok(web::Json(
        daily::daily(&state.db, &me, &query, state.clock.now()).await?,
    ))
}
