//! The request category tree (two levels): each category names the level
//! that handles it, its default department and its deadlines in working
//! days. `GET /request-categories` is public; platform admins edit it.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, patch, post, web};
use entity::{department, request_category};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::{Level, MAX_EXTENSION_DAYS};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::Json;
use crate::fields::Fields;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(tree).service(create).service(update);
}

/// The default deadlines: 1 working day to assign, 1 to accept, 7 to
/// resolve (3 for grid-level categories: 小问题网格内3天内办结).
pub fn default_resolve_days(level: Level) -> i16 {
    match level {
        Level::Grid => 3,
        Level::Community | Level::Department => 7,
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = RequestCategoryView)]
pub struct CategoryView {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub level: Level,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    /// Working days to assign (交办).
    pub assign_days: i16,
    /// Working days to accept (受理) once assigned.
    pub accept_days: i16,
    /// Working days from submission to resolve (办结).
    pub resolve_days: i16,
    pub active: bool,
    pub sort: i32,
    /// Sub-categories (top level only); requests are filed under a leaf.
    #[schema(no_recursion)]
    pub children: Vec<CategoryView>,
}

/// A new category; every field may be missing so that all problems are listed at once.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CategoryInput {
    /// A top-level category to file this under; absent = top level.
    pub parent_id: Option<i64>,
    /// 1-32 characters.
    #[schema(max_length = 32, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: Option<String>,
    /// `grid`, `community` or `department`.
    #[schema(schema_with = category_levels)]
    pub level: Option<String>,
    /// The default department; required for level `department`.
    pub department_id: Option<i64>,
    /// 1-5 (default 1).
    #[schema(minimum = 1, maximum = 5)]
    pub assign_days: Option<i16>,
    /// 1-5 (default 1).
    #[schema(minimum = 1, maximum = 5)]
    pub accept_days: Option<i16>,
    /// 1-15 (default 7; 3 for level `grid`).
    #[schema(minimum = 1, maximum = 15)]
    pub resolve_days: Option<i16>,
    pub sort: Option<i32>,
    /// Inactive categories are hidden from the tree and refuse new requests.
    pub active: Option<bool>,
}
fn category_levels() -> utoipa::openapi::Object {
    crate::openapi::choices(&["grid", "community", "department"])
}

fn view(c: request_category::Model, departments: &HashMap<i64, String>) -> CategoryView {
    CategoryView {
        level: c.level,
        department_name: c.department_id.and_then(|d| departments.get(&d).cloned()),
        id: c.id,
        parent_id: c.parent_id,
        name: c.name,
        department_id: c.department_id,
        assign_days: c.assign_days,
        accept_days: c.accept_days,
        resolve_days: c.resolve_days,
        active: c.active,
        sort: c.sort,
        children: Vec::new(),
    }
}

async fn department_names(conn: &impl ConnectionTrait) -> ApiResult<HashMap<i64, String>> {
    Ok(department::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect())
}

/// The active tree, ordered by `sort` then id.
pub async fn active_tree(conn: &impl ConnectionTrait) -> ApiResult<Vec<CategoryView>> {
    let rows = request_category::Entity::find()
        .filter(request_category::Column::Active.eq(true))
        .order_by_asc(request_category::Column::Sort)
        .order_by_asc(request_category::Column::Id)
        .all(conn)
        .await?;
    let departments = department_names(conn).await?;
    let mut children: HashMap<i64, Vec<CategoryView>> = HashMap::new();
    let mut top = Vec::new();
    for c in rows {
        match c.parent_id {
            Some(p) => children.entry(p).or_default().push(view(c, &departments)),
            None => top.push(view(c, &departments)),
        }
    }
    for t in &mut top {
        t.children = children.remove(&t.id).unwrap_or_default();
    }
    Ok(top)
}

/// A category a request may be filed under: active, and without active children.
pub async fn fileable(
    conn: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<Option<request_category::Model>> {
    let Some(c) = request_category::Entity::find_by_id(id)
        .filter(request_category::Column::Active.eq(true))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let children = request_category::Entity::find()
        .filter(request_category::Column::ParentId.eq(id))
        .filter(request_category::Column::Active.eq(true))
        .count(conn)
        .await?;
    Ok((children == 0).then_some(c))
}

async fn check_and_apply(
    conn: &impl ConnectionTrait,
    input: &CategoryInput,
    current: Option<&request_category::Model>,
) -> ApiResult<request_category::ActiveModel> {
    let mut f = Fields::new();
    let name = match (&input.name, current) {
        (None, Some(c)) => c.name.clone(),
        (name, _) => f.text("name", name.as_deref(), 1, 32),
    };
    let level = match (&input.level, current) {
        (None, Some(c)) => Some(c.level),
        (None, None) => {
            f.push("level", "必填");
            None
        }
        (Some(raw), _) => {
            let parsed = Level::parse(raw);
            if parsed.is_none() {
                f.push("level", "须为 grid、community 或 department");
            }
            parsed
        }
    };
    let department_id = input
        .department_id
        .or_else(|| current.and_then(|c| c.department_id));
    if let Some(d) = department_id {
        if department::Entity::find_by_id(d).one(conn).await?.is_none() {
            f.push("department_id", "部门不存在");
        }
    } else if level == Some(Level::Department) {
        f.push("department_id", "部门级类别须指定默认部门");
    }
    let parent_id = match current {
        Some(c) => c.parent_id,
        None => input.parent_id,
    };
    if let Some(p) = parent_id
        && current.is_none()
    {
        match request_category::Entity::find_by_id(p).one(conn).await? {
            Some(parent) if parent.parent_id.is_none() => {}
            Some(_) => f.push("parent_id", "只支持两级类别"),
            None => f.push("parent_id", "上级类别不存在"),
        }
    }
    let days = |f: &mut Fields,
                field: &str,
                value: Option<i16>,
                old: Option<i16>,
                default: i16,
                max: i16| {
        let v = value.or(old).unwrap_or(default);
        if !(1..=max).contains(&v) {
            f.push(field, format!("须在 1-{max} 之间"));
        }
        v
    };
    let resolve_default = level.map(default_resolve_days).unwrap_or(7);
    let assign_days = days(
        &mut f,
        "assign_days",
        input.assign_days,
        current.map(|c| c.assign_days),
        1,
        5,
    );
    let accept_days = days(
        &mut f,
        "accept_days",
        input.accept_days,
        current.map(|c| c.accept_days),
        1,
        5,
    );
    let resolve_days = days(
        &mut f,
        "resolve_days",
        input.resolve_days,
        current.map(|c| c.resolve_days),
        resolve_default,
        MAX_EXTENSION_DAYS,
    );
    f.finish()?;
    let mut active = match current {
        Some(c) => c.clone().into_active_model(),
        None => request_category::ActiveModel {
            created_at: Set(crate::time::now()),
            ..Default::default()
        },
    };
    active.parent_id = Set(parent_id);
    active.name = Set(name);
    active.level = Set(level.unwrap_or(Level::Community));
    active.department_id = Set(department_id);
    active.assign_days = Set(assign_days);
    active.accept_days = Set(accept_days);
    active.resolve_days = Set(resolve_days);
    active.sort = Set(input.sort.or(current.map(|c| c.sort)).unwrap_or(0));
    active.active = Set(input.active.or(current.map(|c| c.active)).unwrap_or(true));
    Ok(active)
}

/// The active request categories as a tree, with their deadlines.
#[utoipa::path(tag = "requests", responses((status = 200, body = Vec<CategoryView>)))]
#[get("/request-categories")]
#[tracing::instrument(skip_all, level = "debug")]
async fn tree(state: web::Data<AppState>) -> ApiResult<web::Json<Vec<CategoryView>>> {
    Ok(web::Json(active_tree(&state.db).await?))
}

/// Add a request category (platform admin).
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    request_body = CategoryInput,
    responses(
        (status = 201, body = CategoryView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a platform admin", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: every bad field listed", body = ErrorBody),
    )
)]
#[post("/admin/request-categories")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn create(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<CategoryInput>,
) -> ApiResult<HttpResponse> {
    me.require(Role::PlatformAdmin)?;
    let saved = check_and_apply(&state.db, &body, None)
        .await?
        .insert(&state.db)
        .await?;
    let departments = department_names(&state.db).await?;
    Ok(HttpResponse::Created().json(view(saved, &departments)))
}

/// Change a request category (platform admin): name, level, default
/// department, deadlines, order, active. Requests already filed keep their deadlines.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Category id")),
    request_body = CategoryInput,
    responses(
        (status = 200, body = CategoryView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a platform admin", body = ErrorBody),
        (status = 404, description = "CATEGORY_NOT_FOUND", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[patch("/admin/request-categories/{id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), category_id = *id))]
async fn update(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<CategoryInput>,
) -> ApiResult<web::Json<CategoryView>> {
    me.require(Role::PlatformAdmin)?;
    let current = request_category::Entity::find_by_id(id.into_inner())
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::CategoryNotFound))?;
    let saved = check_and_apply(&state.db, &body, Some(&current))
        .await?
        .update(&state.db)
        .await?;
    let departments = department_names(&state.db).await?;
    Ok(web::Json(view(saved, &departments)))
}
