//! Admin accounts (platform and community admins) and grid-worker assignments.

use actix_web::{HttpResponse, post, web};
use entity::{admin_community, community, grid_worker, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{AuthUser, Role, grant_role, join_roles, password};
use crate::communities::service::find_grid;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode, FieldError};
use crate::extract::Json;
use crate::startup::AppState;
use crate::time;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_admin).service(assign_grid_worker);
}

#[derive(Deserialize, ToSchema)]
pub struct NewAdmin {
    /// 3-32 of `a-z A-Z 0-9 _ . -`.
    pub username: String,
    /// 8-128 characters.
    pub password: String,
    /// Communities this admin manages; at least one.
    pub community_ids: Vec<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminView {
    pub id: i64,
    pub username: String,
    pub roles: Vec<Role>,
    pub community_ids: Vec<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewGridWorker {
    pub user_id: i64,
    pub grid_id: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GridWorkerView {
    pub user_id: i64,
    pub grid_id: i64,
    pub community_id: i64,
}

/// Which admin account to create.
pub enum AdminScope {
    Platform,
    Communities(Vec<i64>),
}

fn valid_username(name: &str) -> bool {
    (3..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// Creates an admin account; used by the API and by `yizhan create-admin`.
pub async fn create_admin_account(
    db: &DatabaseConnection,
    username: &str,
    password_plain: &str,
    scope: AdminScope,
) -> ApiResult<AdminView> {
    let mut errors = Vec::new();
    if !valid_username(username) {
        errors.push(FieldError::new(
            "username",
            "用户名须为 3-32 位字母、数字或 _ . -",
        ));
    }
    if !password::acceptable(password_plain) {
        errors.push(FieldError::new("password", "密码须为 8-128 个字符"));
    }
    let (role, community_ids) = match scope {
        AdminScope::Platform => (Role::PlatformAdmin, Vec::new()),
        AdminScope::Communities(mut ids) => {
            ids.sort_unstable();
            ids.dedup();
            if ids.is_empty() {
                errors.push(FieldError::new("community_ids", "至少指定一个社区"));
            } else {
                let found = community::Entity::find()
                    .filter(community::Column::Id.is_in(ids.clone()))
                    .count(db)
                    .await?;
                if found != ids.len() as u64 {
                    errors.push(FieldError::new("community_ids", "包含不存在的社区"));
                }
            }
            (Role::CommunityAdmin, ids)
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let hash = password::hash(password_plain.to_owned()).await?;
    let txn = crate::db::begin_write(db).await?;
    let now = time::now();
    let inserted = user::ActiveModel {
        username: Set(Some(username.to_owned())),
        password_hash: Set(Some(hash)),
        nickname: Set(username.to_owned()),
        roles: Set(join_roles(&[role])),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let account = crate::db::or_conflict(inserted, ErrorCode::UsernameTaken)?;
    for community_id in &community_ids {
        admin_community::ActiveModel {
            user_id: Set(account.id),
            community_id: Set(*community_id),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(AdminView {
        id: account.id,
        username: username.to_owned(),
        roles: vec![role],
        community_ids,
    })
}

/// Create a community admin (platform admin).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewAdmin,
    responses(
        (status = 201, body = AdminView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a platform admin", body = ErrorBody),
        (status = 409, description = "USERNAME_TAKEN", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/admin/admins")]
async fn create_admin(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<NewAdmin>,
) -> ApiResult<HttpResponse> {
    me.require(Role::PlatformAdmin)?;
    let body = body.0;
    let created = create_admin_account(
        &state.db,
        body.username.trim(),
        &body.password,
        AdminScope::Communities(body.community_ids),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Make a resident the grid worker of a grid in the admin's community.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewGridWorker,
    responses(
        (status = 201, body = GridWorkerView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: the grid is outside the admin's communities", body = ErrorBody),
        (status = 404, description = "GRID_NOT_FOUND or USER_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "ALREADY_EXISTS: already this grid's worker", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/admin/grid-workers")]
async fn assign_grid_worker(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<NewGridWorker>,
) -> ApiResult<HttpResponse> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let grid = find_grid(&state.db, body.grid_id).await?;
    me.require_admin_of(&state.db, grid.community_id).await?;
    let target = user::Entity::find_by_id(body.user_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::UserNotFound))?;
    if target.openid.is_none() {
        return Err(ApiError::field("user_id", "只能指定小程序居民用户"));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let inserted = grid_worker::ActiveModel {
        user_id: Set(target.id),
        grid_id: Set(grid.id),
        created_at: Set(time::now()),
    }
    .insert(&txn)
    .await;
    crate::db::or_conflict(inserted, ErrorCode::AlreadyExists)?;
    grant_role(&txn, target.id, Role::GridWorker).await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(GridWorkerView {
        user_id: body.user_id,
        grid_id: grid.id,
        community_id: grid.community_id,
    }))
}
