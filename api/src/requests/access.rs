//! Who the caller is to a request, and which requests each view may show.
//!
//! A request is seen by its reporter and the grid worker who filed it, the
//! admins of its community (platform admins: all), the grid workers of its
//! grid, and the staff of the department it is assigned to, nobody else
//! (404). It is handled by whoever its level names: the grid's workers, the
//! community's admins, or the department's staff.

use entity::{admin_community, department_staff, grid_worker, request};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{ActorRole, Level, Status};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, ErrorCode};

/// How the caller relates to one request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relation {
    /// The reporter, or the grid worker who filed it for them.
    pub reporter: bool,
    /// An admin of its community (or a platform admin).
    pub admin: bool,
    pub platform_admin: bool,
    /// A grid worker of its grid.
    pub grid_worker: bool,
    /// Staff of the department it is assigned to (its head included).
    pub department_staff: bool,
}

impl Relation {
    pub fn sees(&self) -> bool {
        self.reporter || self.admin || self.grid_worker || self.department_staff
    }

    /// Whether the caller works requests at `level`.
    pub fn handles(&self, level: Level) -> bool {
        match level {
            Level::Grid => self.grid_worker,
            Level::Community => self.admin && !self.platform_admin,
            Level::Department => self.department_staff,
        }
    }

    /// Whether the reporter's identity is shown to the caller when the
    /// request is anonymous: only to the reporter's own side.
    pub fn sees_identity(&self) -> bool {
        self.reporter
    }

    /// The capacity the caller acts in as the handler at `level`.
    pub fn handler_role(level: Level) -> ActorRole {
        match level {
            Level::Grid => ActorRole::GridWorker,
            Level::Community => ActorRole::Admin,
            Level::Department => ActorRole::Department,
        }
    }
}

/// The caller's relation to `r`.
pub async fn relation(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    r: &request::Model,
) -> ApiResult<Relation> {
    let mut rel = Relation {
        reporter: r.reporter_id == me.id() || r.filed_by == Some(me.id()),
        ..Relation::default()
    };
    if me.has(Role::PlatformAdmin) {
        rel.admin = true;
        rel.platform_admin = true;
    } else if me.has(Role::CommunityAdmin) {
        rel.admin = admin_community::Entity::find_by_id((me.id(), r.community_id))
            .one(conn)
            .await?
            .is_some();
    }
    if me.has(Role::GridWorker)
        && let Some(grid_id) = r.grid_id
    {
        rel.grid_worker = grid_worker::Entity::find_by_id((me.id(), grid_id))
            .one(conn)
            .await?
            .is_some();
    }
    if let Some(department_id) = r.department_id
        && r.level == Level::Department
    {
        rel.department_staff = department_staff::Entity::find_by_id((department_id, me.id()))
            .one(conn)
            .await?
            .is_some();
    }
    Ok(rel)
}

/// The request and the caller's relation to it; 404 when the caller may not see it.
pub async fn visible(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<(request::Model, Relation)> {
    let found = request::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::RequestNotFound))?;
    let rel = relation(conn, me, &found).await?;
    if !rel.sees() {
        return Err(ErrorCode::RequestNotFound.into());
    }
    Ok((found, rel))
}

/// What the caller works or supervises, for the lists.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Communities administered; None = every community (platform admin).
    pub communities: Option<Vec<i64>>,
    pub grids: Vec<i64>,
    pub departments: Vec<i64>,
}

pub async fn scope_of(conn: &impl ConnectionTrait, me: &AuthUser) -> ApiResult<Scope> {
    let communities = if me.has(Role::PlatformAdmin) {
        None
    } else if me.has(Role::CommunityAdmin) {
        Some(
            admin_community::Entity::find()
                .select_only()
                .column(admin_community::Column::CommunityId)
                .filter(admin_community::Column::UserId.eq(me.id()))
                .into_tuple::<i64>()
                .all(conn)
                .await?,
        )
    } else {
        Some(Vec::new())
    };
    Ok(Scope {
        communities,
        grids: grids_of(conn, me.id()).await?,
        departments: department_staff::Entity::find()
            .select_only()
            .column(department_staff::Column::DepartmentId)
            .filter(department_staff::Column::UserId.eq(me.id()))
            .into_tuple::<i64>()
            .all(conn)
            .await?,
    })
}

/// The grids `user_id` works.
pub async fn grids_of(conn: &impl ConnectionTrait, user_id: i64) -> ApiResult<Vec<i64>> {
    Ok(grid_worker::Entity::find()
        .select_only()
        .column(grid_worker::Column::GridId)
        .filter(grid_worker::Column::UserId.eq(user_id))
        .into_tuple::<i64>()
        .all(conn)
        .await?)
}

impl Scope {
    /// The requests the caller is to work on (assigned to their department,
    /// their grid, or their community at community level). Platform admins
    /// supervise rather than handle.
    pub fn handled(&self) -> Condition {
        let mut any = Condition::any()
            .add(
                Condition::all()
                    .add(request::Column::Level.eq(Level::Department))
                    .add(request::Column::DepartmentId.is_in(self.departments.clone())),
            )
            .add(
                Condition::all()
                    .add(request::Column::Level.eq(Level::Grid))
                    .add(request::Column::GridId.is_in(self.grids.clone())),
            );
        if let Some(communities) = &self.communities {
            any = any.add(
                Condition::all()
                    .add(request::Column::Level.eq(Level::Community))
                    .add(request::Column::Status.ne(Status::Submitted))
                    .add(request::Column::CommunityId.is_in(communities.clone())),
            );
        }
        any
    }

    /// The requests of the communities the caller administers.
    pub fn administered(&self) -> Condition {
        match &self.communities {
            None => Condition::all(),
            Some(ids) => Condition::all().add(request::Column::CommunityId.is_in(ids.clone())),
        }
    }
}

/// Requests a user reported or filed for someone.
pub fn reported_by(user_id: i64) -> Condition {
    Condition::any()
        .add(request::Column::ReporterId.eq(user_id))
        .add(request::Column::FiledBy.eq(user_id))
}

/// Requests whose running clock has run out at `now`.
pub fn overdue_at(now: chrono::DateTime<chrono::Utc>) -> Condition {
    Condition::all()
        .add(request::Column::Status.is_in(Status::LIVE))
        .add(Expr::col(request::Column::DueAt).lte(now))
}

/// The complement of [`overdue_at`], NULL deadlines included.
pub fn not_overdue_at(now: chrono::DateTime<chrono::Utc>) -> Condition {
    Condition::any()
        .add(request::Column::Status.is_not_in(Status::LIVE))
        .add(request::Column::DueAt.is_null())
        .add(Expr::col(request::Column::DueAt).gt(now))
}
