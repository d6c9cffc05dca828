//! Sign-in, token rotation and sign-out.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use entity::{auth_session, refresh_token, user};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::jwt::JwtKeys;
use super::{Role, UserView, join_roles, parse_roles};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::time;

/// Answer of every login and refresh.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Access token lifetime in seconds.
    pub expires_in: i64,
    pub token_type: String,
    pub user: UserView,
}

fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Finds the user with this WeChat openid, creating a resident on first login.
/// Two first logins racing both end with the one row the unique index allows.
pub async fn find_or_create_by_openid(
    db: &impl ConnectionTrait,
    openid: &str,
    unionid: Option<String>,
    nickname: Option<String>,
) -> ApiResult<user::Model> {
    if let Some(found) = user::Entity::find()
        .filter(user::Column::Openid.eq(openid))
        .one(db)
        .await?
    {
        return Ok(found);
    }
    let now = time::now();
    let fresh = user::ActiveModel {
        openid: Set(Some(openid.to_owned())),
        unionid: Set(unionid),
        nickname: Set(nickname.unwrap_or_default()),
        roles: Set(join_roles(&[Role::Resident])),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    match fresh.insert(db).await {
        Ok(model) => Ok(model),
        Err(err) if crate::db::is_duplicate(&err) => user::Entity::find()
            .filter(user::Column::Openid.eq(openid))
            .one(db)
            .await?
            .ok_or_else(|| ApiError::internal(err)),
        Err(err) => Err(err.into()),
    }
}

/// Starts a new session (refresh-token family) and answers its first pair.
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn start_session(
    db: &impl ConnectionTrait,
    jwt: &JwtKeys,
    refresh_ttl_days: i64,
    user: user::Model,
) -> ApiResult<TokenPair> {
    let session_id = uuid::Uuid::new_v4().to_string();
    auth_session::ActiveModel {
        id: Set(session_id.clone()),
        user_id: Set(user.id),
        created_at: Set(time::now()),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    issue_pair(db, jwt, refresh_ttl_days, user, &session_id).await
}

async fn issue_pair(
    db: &impl ConnectionTrait,
    jwt: &JwtKeys,
    refresh_ttl_days: i64,
    user: user::Model,
    session_id: &str,
) -> ApiResult<TokenPair> {
    let refresh = new_refresh_token();
    let now = time::now();
    refresh_token::ActiveModel {
        session_id: Set(session_id.to_owned()),
        token_hash: Set(hash_token(&refresh)),
        expires_at: Set(now + Duration::days(refresh_ttl_days)),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(TokenPair {
        access_token: jwt.issue_access(user.id, session_id)?,
        refresh_token: refresh,
        expires_in: jwt.access_ttl_secs,
        token_type: "Bearer".into(),
        user: UserView::from_model(&user),
    })
}

/// Revokes a session: its refresh tokens stop working and so do its access tokens.
pub async fn revoke_session(db: &impl ConnectionTrait, session_id: &str) -> ApiResult<()> {
    auth_session::Entity::update_many()
        .col_expr(auth_session::Column::RevokedAt, Expr::value(time::now()))
        .filter(auth_session::Column::Id.eq(session_id))
        .filter(auth_session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Signs out the session a refresh token belongs to, spent or not; an
/// unknown token changes nothing.
pub async fn revoke_by_refresh_token(db: &impl ConnectionTrait, presented: &str) -> ApiResult<()> {
    if let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(presented)))
        .one(db)
        .await?
    {
        revoke_session(db, &token.session_id).await?;
    }
    Ok(())
}

/// Spends a refresh token for a new pair. A token is good once: presenting a
/// spent one (a stolen copy, or a replay) revokes its whole family.
pub async fn rotate(
    db: &impl ConnectionTrait,
    jwt: &JwtKeys,
    refresh_ttl_days: i64,
    presented: &str,
) -> ApiResult<TokenPair> {
    let invalid = || ApiError::new(ErrorCode::RefreshTokenInvalid);
    let token = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(presented)))
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    let session = auth_session::Entity::find_by_id(token.session_id.clone())
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    if session.revoked_at.is_some() {
        return Err(invalid());
    }
    if token.used_at.is_some() {
        revoke_session(db, &session.id).await?;
        return Err(ErrorCode::RefreshTokenReused.into());
    }
    let now = time::now();
    if token.expires_at <= now {
        return Err(invalid());
    }
    // Only one presenter can spend it; a concurrent second one is a replay.
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    if spent.rows_affected != 1 {
        revoke_session(db, &session.id).await?;
        return Err(ErrorCode::RefreshTokenReused.into());
    }
    let user = user::Entity::find_by_id(session.user_id)
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    issue_pair(db, jwt, refresh_ttl_days, user, &session.id).await
}

/// Checks an admin's username and password; the same answer for an unknown
/// user and a wrong password.
pub async fn admin_login(
    db: &impl ConnectionTrait,
    username: &str,
    password: &str,
) -> ApiResult<user::Model> {
    let wrong = || ApiError::new(ErrorCode::InvalidCredentials);
    let Some(found) = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await?
    else {
        // Spend the same effort as a real check so timing does not reveal names.
        let _ = super::password::verify(password.to_owned(), DUMMY_HASH.to_owned()).await;
        return Err(wrong());
    };
    let roles = parse_roles(&found.roles);
    let is_admin = roles.contains(&Role::CommunityAdmin) || roles.contains(&Role::PlatformAdmin);
    let Some(phc) = found.password_hash.clone() else {
        return Err(wrong());
    };
    if !super::password::verify(password.to_owned(), phc).await? || !is_admin {
        return Err(wrong());
    }
    // Told only to whoever knows the password.
    if found.disabled_at.is_some() {
        return Err(ErrorCode::AccountDisabled.into());
    }
    Ok(found)
}

/// Changes an admin's own password: the old one must match. Every other
/// session of the account is revoked (a stolen session ends with it); the
/// caller's own stays signed in. Every bad field is reported together.
pub async fn change_password(
    db: &sea_orm::DatabaseConnection,
    me: &super::AuthUser,
    old_password: &str,
    new_password: &str,
) -> ApiResult<()> {
    use crate::error::FieldError;
    let Some(phc) = me.user.password_hash.clone() else {
        return Err(ApiError::new(ErrorCode::Forbidden).message("该账号没有登录密码"));
    };
    let mut errors = Vec::new();
    if old_password.is_empty() {
        errors.push(FieldError::new("old_password", "请输入原密码"));
    } else if !super::password::verify(old_password.to_owned(), phc).await? {
        errors.push(FieldError::new("old_password", "原密码不正确"));
    }
    if new_password.contains('\0') {
        errors.push(FieldError::new("new_password", "不能包含空字符"));
    } else if !super::password::acceptable(new_password) {
        errors.push(FieldError::new("new_password", "新密码须为 8-128 个字符"));
    } else if new_password == old_password {
        errors.push(FieldError::new("new_password", "新密码不能与原密码相同"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let hash = super::password::hash(new_password.to_owned()).await?;
    let now = time::now();
    let txn = crate::db::begin_write(db).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(me.id()))
        .exec(&txn)
        .await?;
    auth_session::Entity::update_many()
        .col_expr(auth_session::Column::RevokedAt, Expr::value(now))
        .filter(auth_session::Column::UserId.eq(me.id()))
        .filter(auth_session::Column::Id.ne(me.session_id.as_str()))
        .filter(auth_session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// argon2id of a random password, verified against when the username is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3ZQ0sQ2tb6Gd0JHkgNuV0cRjYvHd2VYlYAbmHzAp9Ms";

#[cfg(test)]
mod tests {
    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = super::new_refresh_token();
        let b = super::new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(super::hash_token(&a).len(), 64);
        assert_ne!(super::hash_token(&a), a);
    }
}
