//! Residents of a grid, their care profiles, visits: the helpers they share
//! and who reaches a resident.

mod care;
mod residents;
mod visits;

use chrono::{NaiveDate, TimeDelta};
use entity::{building, user};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait};

use super::{CareTag, CareTier, visit_interval};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::pagination::{Page, PageParams};

pub use care::{CareInput, OfflineInput, create_offline, set_care};
pub use residents::{ResidentQuery, ResidentView, residents};
pub use visits::{VisitInput, VisitQuery, VisitView, log_visit, overdue_visits, visits};

pub use crate::pagination::PageParams as PageQuery;

fn page(page: Option<u64>, page_size: Option<u64>) -> ApiResult<Page> {
    Page::try_from(PageParams { page, page_size })
}

fn date(s: Option<&str>) -> Option<NaiveDate> {
    s?.parse().ok()
}

fn split_tags(raw: &str) -> Vec<CareTag> {
    raw.split(',')
        .filter_map(|t| CareTag::parse(t.trim()))
        .collect()
}

fn join_tags(tags: &[CareTag]) -> String {
    tags.iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The next visit: the interval after the last visit (or after `since`
/// when there was none yet).
fn next_due(
    tier: Option<CareTier>,
    tags: &[CareTag],
    last: Option<NaiveDate>,
    since: NaiveDate,
) -> Option<NaiveDate> {
    let days = visit_interval(tier, tags)?;
    Some(last.unwrap_or(since) + TimeDelta::days(days))
}

/// Users living in buildings of `grids`.
fn living_in(grids: &[i64]) -> Condition {
    Condition::all().add(
        user::Column::BuildingId.in_subquery(
            Query::select()
                .column(building::Column::Id)
                .from(building::Entity)
                .and_where(Expr::col(building::Column::GridId).is_in(grids.to_vec()))
                .to_owned(),
        ),
    )
}

/// The resident if the caller reaches them: a grid worker of their grid or
/// (with `admins_too`) an admin of their community. 404 otherwise.
pub async fn reach(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    user_id: i64,
    admins_too: bool,
) -> ApiResult<(user::Model, building::Model)> {
    let not_found = || ApiError::new(ErrorCode::UserNotFound);
    let resident = user::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    let b = match resident.building_id {
        Some(b) => building::Entity::find_by_id(b).one(conn).await?,
        None => None,
    }
    .ok_or_else(not_found)?;
    let works = me.has(Role::GridWorker)
        && entity::grid_worker::Entity::find_by_id((me.id(), b.grid_id))
            .one(conn)
            .await?
            .is_some();
    let administers = admins_too
        && match me.require_admin_of(conn, b.community_id).await {
            Ok(()) => true,
            Err(e) if e.code == ErrorCode::Forbidden => false,
            Err(e) => return Err(e),
        };
    if works || administers {
        Ok((resident, b))
    } else {
        Err(not_found())
    }
}
