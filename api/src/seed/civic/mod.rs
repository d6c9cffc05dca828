//! The demo's happiness survey, odd jobs and tool lending, at the county's
//! proportions:
//!
//! - two surveys of ten questions open to every community, last quarter's
//!   (closed) and this quarter's (open), each answered by 50 residents of
//!   every community, one answer in five entered offline by a grid worker;
//! - three odd jobs per community, posted by a shop serving it (or, where
//!   no active shop serves it, by an organisation registered for it): one filled
//!   (two accepted, one declined), one open (one accepted, two applied), one
//!   past its end (one declined);
//! - a lending point per community, kept by one of its residents, with five
//!   tools and eight loans: four returned, one out and overdue, one out due
//!   today, two reserved ahead.
//!
//! Each section counts what a previous run made and adds only what is
//! missing; a survey, a job or a point commits with its answers,
//! applications or loans, so a rerun never finds one without the others.

mod jobs;
mod lending;
mod surveys;

use entity::{community, user};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{Plan, Report};
use crate::error::ApiResult;

/// Seeded surveys and job organisations are made by nobody (`created_by = 0`).
const SEEDER: i64 = 0;

pub async fn seed(db: &DatabaseConnection, plan: &Plan, report: &mut Report) -> ApiResult<()> {
    let communities = community::Entity::find()
        .order_by_asc(community::Column::Id)
        .all(db)
        .await?;
    surveys::seed(db, &communities, report).await?;
    jobs::seed(db, plan, &communities, report).await?;
    lending::seed(db, plan, &communities, report).await?;
    Ok(())
}

/// Up to `n` seeded residents of community `c` from the `skip`th on.
async fn residents_of(
    db: &impl ConnectionTrait,
    c: i64,
    skip: u64,
    n: u64,
) -> ApiResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::CommunityId.eq(c))
        .filter(user::Column::Openid.starts_with("seed-"))
        .order_by_asc(user::Column::Id)
        .offset(skip)
        .limit(n)
        .all(db)
        .await?)
}
