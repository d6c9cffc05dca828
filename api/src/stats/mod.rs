//! The dashboard: the figures the county reports, per community or overall.

pub mod civic;
pub mod service;

use actix_web::{get, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

pub use self::service::Stats;
use crate::auth::{AuthUser, Role};
use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_stats);
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
