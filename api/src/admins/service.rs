//! Admin accounts and grid-worker assignments.

use entity::{admin_community, community, grid_worker, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};

use super::{AdminView, GridWorkerView, NewGridWorker};
use crate::auth::{AuthUser, Role, grant_role, join_roles, password};
use crate::communities::service::find_grid;
use crate::community_links;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::FieldErrors;
use crate::time;

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
    let mut errors = FieldErrors::default();
    if !valid_username(username) {
        errors.push("username", "用户名须为 3-32 位字母、数字或 _ . -");
    }
    if !password::acceptable(password_plain) {
        errors.push("password", "密码须为 8-128 个字符");
    }
    let (role, community_ids) = match scope {
        AdminScope::Platform => (Role::PlatformAdmin, Vec::new()),
        AdminScope::Communities(mut ids) => {
            ids.sort_unstable();
            ids.dedup();
            if ids.is_empty() {
                errors.push("community_ids", "至少指定一个社区");
            } else {
                let found = community::Entity::find()
                    .filter(community::Column::Id.is_in(ids.clone()))
                    .count(db)
                    .await?;
                if found != ids.len() as u64 {
                    errors.push("community_ids", "包含不存在的社区");
                }
            }
            (Role::CommunityAdmin, ids)
        }
    };
    errors.finish()?;
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
    community_links::link::<admin_community::Entity>(&txn, account.id, &community_ids).await?;
    txn.commit().await?;
    Ok(AdminView {
        id: account.id,
        username: username.to_owned(),
        roles: vec![role],
        community_ids,
    })
}

/// Makes a resident the grid worker of a grid in the admin's communities.
pub async fn assign_grid_worker(
    db: &DatabaseConnection,
    me: &AuthUser,
    new: NewGridWorker,
) -> ApiResult<GridWorkerView> {
    let grid = find_grid(db, new.grid_id).await?;
    me.require_admin_of(db, grid.community_id).await?;
    // From the admin's directory: a resident of another community is not
    // found (finding 4), and one of another of the admin's communities is
    // refused, since the role lets them act for this grid's residents.
    let target = super::directory::find_in_scope(db, me, new.user_id).await?;
    if target.openid.is_none() {
        return Err(ApiError::field("user_id", "只能指定小程序居民用户"));
    }
    if target.community_id != Some(grid.community_id) {
        return Err(ApiError::field("user_id", "只能指定绑定在本社区的居民"));
    }
    let txn = crate::db::begin_write(db).await?;
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
    Ok(GridWorkerView {
        user_id: new.user_id,
        grid_id: grid.id,
        community_id: grid.community_id,
    })
}
