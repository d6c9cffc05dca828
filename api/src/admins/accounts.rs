//! Platform admins manage community admins' accounts: list, disable (every
//! token of the account stops at once: its sessions are revoked and the
//! extractor refuses a disabled account), enable, and reset the password.

use chrono::{DateTime, Utc};
use entity::{admin_community, auth_session, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Role, parse_roles, password};
use crate::community_links;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::fields::{self, query_text};
use crate::pagination::{Page, Paged};
use crate::time;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminAccountQuery {
    /// Substring of the username.
    pub q: Option<String>,
    /// Admins of this community.
    pub community_id: Option<i64>,
}

/// A community admin's account as the platform admin sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminAccountView {
    pub id: i64,
    pub username: String,
    pub community_ids: Vec<i64>,
    /// Set while the account is disabled.
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// 8-128 characters; the admin's sessions end, they log in with it.
    pub new_password: String,
}

fn community_admins() -> sea_orm::Select<user::Entity> {
    user::Entity::find()
        .filter(user::Column::Roles.like(format!("%{}%", Role::CommunityAdmin.as_str())))
        .filter(user::Column::Username.is_not_null())
}

async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<user::Model>,
) -> ApiResult<Vec<AdminAccountView>> {
    let ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
    let mut scopes = community_links::communities_of::<admin_community::Entity>(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|u| AdminAccountView {
            community_ids: scopes.remove(&u.id).unwrap_or_default(),
            id: u.id,
            username: u.username.unwrap_or_default(),
            disabled_at: u.disabled_at,
            created_at: u.created_at,
        })
        .collect())
}

pub async fn list(
    db: &impl ConnectionTrait,
    query: AdminAccountQuery,
    page: Page,
) -> ApiResult<Paged<AdminAccountView>> {
    let mut select = community_admins();
    if let Some(q) = query_text("q", query.q.as_deref(), 32)? {
        select = select.filter(user::Column::Username.like(fields::contains(&q)));
    }
    if let Some(c) = query.community_id {
        select = select.filter(
            user::Column::Id
                .in_subquery(community_links::linked_to::<admin_community::Entity>([c])),
        );
    }
    let rows = page
        .fetch(db, select.order_by_asc(user::Column::Id))
        .await?;
    rows.map_batch(|rows| views(db, rows)).await
}

/// The community admin `id`; 404 `ADMIN_NOT_FOUND` for anyone else
/// (platform admins are not managed here).
async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<user::Model> {
    community_admins()
        .filter(user::Column::Id.eq(id))
        .one(db)
        .await?
        .filter(|u| !parse_roles(&u.roles).contains(&Role::PlatformAdmin))
        .ok_or_else(|| ApiError::new(ErrorCode::AdminNotFound))
}

async fn view(db: &impl ConnectionTrait, id: i64) -> ApiResult<AdminAccountView> {
    let found = find(db, id).await?;
    let mut all = views(db, vec![found]).await?;
    all.pop()
        .ok_or_else(|| ApiError::new(ErrorCode::AdminNotFound))
}

/// Ends every session of `user_id`.
async fn revoke_all_sessions(db: &impl ConnectionTrait, user_id: i64) -> ApiResult<()> {
    auth_session::Entity::update_many()
        .col_expr(auth_session::Column::RevokedAt, Expr::value(time::now()))
        .filter(auth_session::Column::UserId.eq(user_id))
        .filter(auth_session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Disables (`disable`) or enables the account, in one conditional update;
/// 409 `CONFLICT` when it already is so. Disabling ends its sessions.
pub async fn set_disabled(
    db: &DatabaseConnection,
    id: i64,
    disable: bool,
) -> ApiResult<AdminAccountView> {
    find(db, id).await?;
    let now = time::now();
    let txn = crate::db::begin_write(db).await?;
    let (to, currently) = if disable {
        (Some(now), user::Column::DisabledAt.is_null())
    } else {
        (None, user::Column::DisabledAt.is_not_null())
    };
    let changed = user::Entity::update_many()
        .col_expr(user::Column::DisabledAt, Expr::value(to))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(id))
        .filter(currently)
        .exec(&*txn)
        .await?;
    if changed.rows_affected == 0 {
        let msg = if disable {
            "账号已停用"
        } else {
            "账号未停用"
        };
        return Err(ApiError::new(ErrorCode::Conflict).message(msg));
    }
    if disable {
        revoke_all_sessions(&*txn, id).await?;
    }
    txn.commit().await?;
    view(db, id).await
}

/// Sets a new password chosen by the platform admin and ends every session.
pub async fn reset_password(
    db: &DatabaseConnection,
    id: i64,
    reset: PasswordReset,
) -> ApiResult<AdminAccountView> {
    find(db, id).await?;
    if reset.new_password.contains('\0') || !password::acceptable(&reset.new_password) {
        return Err(ApiError::validation(vec![FieldError::new(
            "new_password",
            "新密码须为 8-128 个字符",
        )]));
    }
    let hash = password::hash(reset.new_password).await?;
    let txn = crate::db::begin_write(db).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(time::now()))
        .filter(user::Column::Id.eq(id))
        .exec(&*txn)
        .await?;
    revoke_all_sessions(&*txn, id).await?;
    txn.commit().await?;
    view(db, id).await
}
