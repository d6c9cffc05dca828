//! Departments that handle residents' requests (供电, 供水, 燃气, 物业, 城管,
//! 民政 ...) and their staff. Platform admins keep the list; a staff member
//! is a user (a WeChat user, so they work their queue in the mini-program)
//! given role `department_staff`; the head supervises the department's
//! requests (escalations and urges reach them).

use actix_web::{HttpResponse, delete, get, post, web};
use entity::{department, department_staff, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{AuthUser, Role, grant_role, join_roles, parse_roles};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::Json;
use crate::fields::Fields;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(staff_list)
        .service(add_staff)
        .service(remove_staff);
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DepartmentView {
    pub id: i64,
    pub name: String,
    /// The department's public hotline, may be empty.
    pub phone: String,
}

impl From<department::Model> for DepartmentView {
    fn from(d: department::Model) -> Self {
        Self {
            id: d.id,
            name: d.name,
            phone: d.phone,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DepartmentInput {
    /// 1-32 characters, unique.
    pub name: Option<String>,
    /// A hotline: mobile or landline with area code.
    pub phone: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct StaffInput {
    /// A mini-program user.
    pub user_id: Option<i64>,
    /// The department's head (supervisor); default false.
    pub head: Option<bool>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct StaffView {
    pub department_id: i64,
    pub user_id: i64,
    pub nickname: String,
    pub phone: Option<String>,
    pub head: bool,
}

pub use crate::pagination::PageParams as PageQuery;

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> ApiResult<department::Model> {
    department::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::DepartmentNotFound))
}

/// The departments, by name.
#[utoipa::path(
    tag = "requests",
    params(PageQuery),
    responses(
        (status = 200, body = Paged<DepartmentView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
    )
)]
#[get("/departments")]
#[tracing::instrument(skip_all, level = "debug")]
async fn list(
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> ApiResult<web::Json<Paged<DepartmentView>>> {
    let page = Page::try_from(PageParams {
        page: query.page,
        page_size: query.page_size,
    })?;
    let select = department::Entity::find().order_by_asc(department::Column::Name);
    let found = page.fetch(&state.db, select).await?;
    Ok(web::Json(found.map(DepartmentView::from)))
}

/// Add a department (platform admin).
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    request_body = DepartmentInput,
    responses(
        (status = 201, body = DepartmentView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a platform admin", body = ErrorBody),
        (status = 409, description = "ALREADY_EXISTS: the name is taken", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/admin/departments")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn create(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<DepartmentInput>,
) -> ApiResult<HttpResponse> {
    me.require(Role::PlatformAdmin)?;
    let mut f = Fields::new();
    let name = f.text("name", body.name.as_deref(), 1, 32);
    let phone = f.phone("phone", body.phone.as_deref()).unwrap_or_default();
    f.finish()?;
    let inserted = department::ActiveModel {
        name: Set(name),
        phone: Set(phone),
        created_at: Set(crate::time::now()),
        ..Default::default()
    }
    .insert(&state.db)
    .await;
    let saved = crate::db::or_conflict(inserted, ErrorCode::AlreadyExists)?;
    Ok(HttpResponse::Created().json(DepartmentView::from(saved)))
}

async fn staff_of(conn: &impl ConnectionTrait, department_id: i64) -> ApiResult<Vec<StaffView>> {
    let members = department_staff::Entity::find()
        .filter(department_staff::Column::DepartmentId.eq(department_id))
        .order_by_asc(department_staff::Column::UserId)
        .all(conn)
        .await?;
    let users: std::collections::HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(members.iter().map(|m| m.user_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok(members
        .into_iter()
        .map(|m| StaffView {
            department_id: m.department_id,
            user_id: m.user_id,
            nickname: users
                .get(&m.user_id)
                .map(|u| u.nickname.clone())
                .unwrap_or_default(),
            phone: users.get(&m.user_id).and_then(|u| u.phone.clone()),
            head: m.is_head,
        })
        .collect())
}

/// A department's staff (platform admin).
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Department id")),
    responses(
        (status = 200, body = Vec<StaffView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a platform admin", body = ErrorBody),
        (status = 404, description = "DEPARTMENT_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/admin/departments/{id}/staff")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), department_id = *id))]
async fn staff_list(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<Vec<StaffView>>> {
    me.require(Role::PlatformAdmin)?;
    let d = find(&state.db, id.into_inner()).await?;
    Ok(web::Json(staff_of(&state.db, d.id).await?))
}

/// Add a user to a department's staff, or change whether they head it
/// (platform admin). The user gets role `department_staff`.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Department id")),
    request_body = StaffInput,
    responses(
        (status = 201, body = StaffView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a platform admin", body = ErrorBody),
        (status = 404, description = "DEPARTMENT_NOT_FOUND or USER_NOT_FOUND", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/admin/departments/{id}/staff")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), department_id = *id))]
async fn add_staff(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<StaffInput>,
) -> ApiResult<HttpResponse> {
    me.require(Role::PlatformAdmin)?;
    let d = find(&state.db, id.into_inner()).await?;
    let mut f = Fields::new();
    let user_id = f.required("user_id", body.user_id);
    f.finish()?;
    let target = user::Entity::find_by_id(user_id.unwrap_or_default())
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::UserNotFound))?;
    if target.openid.is_none() {
        return Err(ApiError::field("user_id", "只能指定小程序用户"));
    }
    let head = body.head.unwrap_or(false);
    let txn = crate::db::begin_write(&state.db).await?;
    match department_staff::Entity::find_by_id((d.id, target.id))
        .one(&txn)
        .await?
    {
        Some(existing) => {
            let mut active = existing.into_active_model();
            active.is_head = Set(head);
            active.update(&txn).await?;
        }
        None => {
            department_staff::ActiveModel {
                department_id: Set(d.id),
                user_id: Set(target.id),
                is_head: Set(head),
                created_at: Set(crate::time::now()),
            }
            .insert(&txn)
            .await?;
        }
    }
    grant_role(&txn, target.id, Role::DepartmentStaff).await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(StaffView {
        department_id: d.id,
        user_id: target.id,
        nickname: target.nickname,
        phone: target.phone,
        head,
    }))
}

/// Remove a user from a department's staff (platform admin); the role goes
/// with their last department.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Department id"),
        ("user_id" = i64, Path, description = "Staff member's user id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a platform admin", body = ErrorBody),
        (status = 404, description = "DEPARTMENT_NOT_FOUND, or USER_NOT_FOUND when not on its staff", body = ErrorBody),
    )
)]
#[delete("/admin/departments/{id}/staff/{user_id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), department_id = path.0, staff_user_id = path.1))]
async fn remove_staff(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    me.require(Role::PlatformAdmin)?;
    let (id, user_id) = path.into_inner();
    let d = find(&state.db, id).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    let removed = department_staff::Entity::delete_many()
        .filter(department_staff::Column::DepartmentId.eq(d.id))
        .filter(department_staff::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(ErrorCode::UserNotFound.into());
    }
    let elsewhere = department_staff::Entity::find()
        .filter(department_staff::Column::UserId.eq(user_id))
        .count(&txn)
        .await?;
    if elsewhere == 0
        && let Some(u) = user::Entity::find_by_id(user_id).one(&txn).await?
    {
        let roles: Vec<Role> = parse_roles(&u.roles)
            .into_iter()
            .filter(|r| *r != Role::DepartmentStaff)
            .collect();
        let mut active = u.into_active_model();
        active.roles = Set(join_roles(&roles));
        active.updated_at = Set(crate::time::now());
        active.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
