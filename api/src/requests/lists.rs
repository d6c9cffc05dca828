//! The lists of requests: the reporter's own, the handler's queue by
//! deadline, the grid worker's grid, and the admin board with its filters.

use chrono::{DateTime, Utc};
use entity::request;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::access::{Scope, not_overdue_at, overdue_at, reported_by};
use super::views::{RequestView, list};
use super::{Escalation, Status};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::bad_query;
use crate::pagination::{Page, PageParams, Paged};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// One status (`submitted`, `assigned`, `accepted`, `returned`,
    /// `resolved`, `closed`, `withdrawn`).
    #[param(value_type = Option<Status>)]
    pub status: Option<String>,
    /// Only requests whose running clock has run out (true) or has not (false).
    pub overdue: Option<bool>,
    /// Only requests the reporter urged (true).
    pub urged: Option<bool>,
    /// 1-based page number (default 1).
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    /// Items per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// One community (default: every community the admin administers).
    pub community_id: Option<i64>,
    #[param(value_type = Option<Status>)]
    pub status: Option<String>,
    pub category_id: Option<i64>,
    pub department_id: Option<i64>,
    pub grid_id: Option<i64>,
    /// Only requests whose running clock has run out (true) or has not (false).
    pub overdue: Option<bool>,
    /// Only requests escalated at least once.
    pub escalated: Option<bool>,
    /// Only requests the reporter urged.
    pub urged: Option<bool>,
    /// `newest` (default) or `due` (soonest deadline first).
    #[param(schema_with = sorts)]
    pub sort: Option<String>,
    /// 1-based page number (default 1).
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    /// Items per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u64>,
}

fn sorts() -> utoipa::openapi::Object {
    crate::openapi::choices(&["newest", "due"])
}

fn page(page: Option<u64>, page_size: Option<u64>) -> ApiResult<Page> {
    Page::try_from(PageParams { page, page_size })
}

fn status_filter(raw: Option<&str>) -> ApiResult<Option<Status>> {
    match raw {
        None => Ok(None),
        Some(s) => Status::parse(s)
            .map(Some)
            .ok_or_else(|| bad_query("status", "未知的诉求状态")),
    }
}

/// The filters every list shares.
fn common(
    status: Option<Status>,
    overdue: Option<bool>,
    urged: Option<bool>,
    now: DateTime<Utc>,
) -> Condition {
    let mut c = Condition::all();
    if let Some(s) = status {
        c = c.add(request::Column::Status.eq(s));
    }
    match overdue {
        Some(true) => c = c.add(overdue_at(now)),
        Some(false) => c = c.add(not_overdue_at(now)),
        None => {}
    }
    if urged == Some(true) {
        c = c.add(request::Column::UrgeCount.gt(0));
    }
    c
}

/// Soonest running deadline first; requests without one last.
fn by_deadline(select: sea_orm::Select<request::Entity>) -> sea_orm::Select<request::Entity> {
    select
        .order_by(Expr::col(request::Column::DueAt).is_null(), Order::Asc)
        .order_by_asc(request::Column::DueAt)
        .order_by_asc(request::Column::Id)
}

async fn run(
    conn: &impl ConnectionTrait,
    select: sea_orm::Select<request::Entity>,
    page: Page,
    viewer: i64,
    now: DateTime<Utc>,
) -> ApiResult<Paged<RequestView>> {
    page.fetch(conn, select)
        .await?
        .map_batch(|rows| list(conn, rows, viewer, now))
        .await
}

/// The requests the caller reported or filed, newest first.
pub async fn mine(
    conn: &impl ConnectionTrait,
    viewer: i64,
    q: &ListQuery,
    now: DateTime<Utc>,
) -> ApiResult<Paged<RequestView>> {
    let page = page(q.page, q.page_size)?;
    let filter = common(status_filter(q.status.as_deref())?, q.overdue, q.urged, now);
    let select = request::Entity::find()
        .filter(reported_by(viewer))
        .filter(filter)
        .order_by_desc(request::Column::Id);
    run(conn, select, page, viewer, now).await
}

/// What the caller is to work on, soonest deadline first (default: assigned
/// and accepted).
pub async fn queue(
    conn: &impl ConnectionTrait,
    viewer: i64,
    scope: &Scope,
    q: &ListQuery,
    now: DateTime<Utc>,
) -> ApiResult<Paged<RequestView>> {
    let page = page(q.page, q.page_size)?;
    let status = status_filter(q.status.as_deref())?;
    let mut filter = common(status, q.overdue, q.urged, now);
    if status.is_none() {
        filter = filter.add(request::Column::Status.is_in([Status::Assigned, Status::Accepted]));
    }
    let select = request::Entity::find()
        .filter(scope.handled())
        .filter(filter);
    run(conn, by_deadline(select), page, viewer, now).await
}

/// Every request located in the grid worker's grids, newest first.
pub async fn grid(
    conn: &impl ConnectionTrait,
    viewer: i64,
    grids: &[i64],
    q: &ListQuery,
    now: DateTime<Utc>,
) -> ApiResult<Paged<RequestView>> {
    let page = page(q.page, q.page_size)?;
    let filter = common(status_filter(q.status.as_deref())?, q.overdue, q.urged, now);
    let select = request::Entity::find()
        .filter(request::Column::GridId.is_in(grids.to_vec()))
        .filter(filter)
        .order_by_desc(request::Column::Id);
    run(conn, select, page, viewer, now).await
}

/// The admin board of the communities in `scope` (already narrowed to
/// `community_id` when one was asked for and allowed).
pub async fn board(
    conn: &impl ConnectionTrait,
    viewer: i64,
    scope: &Scope,
    q: &BoardQuery,
    now: DateTime<Utc>,
) -> ApiResult<Paged<RequestView>> {
    let page = page(q.page, q.page_size)?;
    let mut filter = common(status_filter(q.status.as_deref())?, q.overdue, q.urged, now);
    if let Some(c) = q.category_id {
        filter = filter.add(request::Column::CategoryId.eq(c));
    }
    if let Some(d) = q.department_id {
        filter = filter.add(request::Column::DepartmentId.eq(d));
    }
    if let Some(g) = q.grid_id {
        filter = filter.add(request::Column::GridId.eq(g));
    }
    match q.escalated {
        Some(true) => filter = filter.add(request::Column::Escalation.gt(Escalation::None.level())),
        Some(false) => {
            filter = filter.add(request::Column::Escalation.eq(Escalation::None.level()))
        }
        None => {}
    }
    let select = request::Entity::find()
        .filter(scope.administered())
        .filter(filter);
    let select = match q.sort.as_deref() {
        None | Some("newest") => select.order_by_desc(request::Column::Id),
        Some("due") => by_deadline(select),
        Some(_) => return Err(bad_query("sort", "须为 newest 或 due")),
    };
    run(conn, select, page, viewer, now).await
}

/// 404 for a community that does not exist; the scope narrowed to it (403
/// when the caller does not administer it).
pub async fn narrow(
    conn: &impl ConnectionTrait,
    me: &crate::auth::AuthUser,
    mut scope: Scope,
    community_id: Option<i64>,
) -> ApiResult<Scope> {
    if let Some(id) = community_id {
        if !crate::community_links::community_exists(conn, id).await? {
            return Err(ApiError::new(ErrorCode::CommunityNotFound));
        }
        me.require_admin_of(conn, id).await?;
        scope.communities = Some(vec![id]);
    }
    Ok(scope)
}
