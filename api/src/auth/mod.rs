//! Identity: who is calling, what they may do, and the tokens that say so.

pub mod gate;
pub mod jwt;
pub mod password;
pub mod routes;
pub mod service;
mod user_view;
pub mod write_limits;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use entity::{admin_community, auth_session, user};
use futures_util::future::LocalBoxFuture;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, RelationTrait, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use self::jwt::JwtKeys;
pub use self::user_view::UserView;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

/// What a user may do. A user holds several (a resident who runs a shop is
/// `resident` and `merchant`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Resident,
    Merchant,
    Helper,
    GridWorker,
    CommunityAdmin,
    PlatformAdmin,
    /// Staff of a department that handles residents' requests.
    DepartmentStaff,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::Merchant => "merchant",
            Role::Helper => "helper",
            Role::GridWorker => "grid_worker",
            Role::CommunityAdmin => "community_admin",
            Role::PlatformAdmin => "platform_admin",
            Role::DepartmentStaff => "department_staff",
        }
    }

    fn parse(s: &str) -> Option<Role> {
        [
            Role::Resident,
            Role::Merchant,
            Role::Helper,
            Role::GridWorker,
            Role::CommunityAdmin,
            Role::PlatformAdmin,
            Role::DepartmentStaff,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// Parses the comma-separated `users.roles` column.
pub fn parse_roles(raw: &str) -> Vec<Role> {
    raw.split(',')
        .filter_map(|s| Role::parse(s.trim()))
        .collect()
}

/// Joins roles for storage, without duplicates, in a stable order.
pub fn join_roles(roles: &[Role]) -> String {
    let mut names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

/// Adds `role` to a stored role list.
pub fn with_role(raw: &str, role: Role) -> String {
    let mut roles = parse_roles(raw);
    roles.push(role);
    join_roles(&roles)
}

/// Gives `user_id` the `role` (merchant, helper, grid worker) on approval.
pub async fn grant_role(conn: &impl ConnectionTrait, user_id: i64, role: Role) -> ApiResult<()> {
    let user = user::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::UserNotFound))?;
    let roles = with_role(&user.roles, role);
    let mut active = user.into_active_model();
    active.roles = Set(roles);
    active.updated_at = Set(crate::time::now());
    active.update(conn).await?;
    Ok(())
}

/// The authenticated caller: a valid access token whose session is not revoked.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user: user::Model,
    pub roles: Vec<Role>,
    pub session_id: String,
}

impl AuthUser {
    pub fn id(&self) -> i64 {
        self.user.id
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// 403 unless the caller holds `role`.
    pub fn require(&self, role: Role) -> ApiResult<()> {
        if self.has(role) {
            Ok(())
        } else {
            Err(ErrorCode::Forbidden.into())
        }
    }

    /// 403 unless the caller holds one of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> ApiResult<()> {
        if roles.iter().any(|r| self.has(*r)) {
            Ok(())
        } else {
            Err(ErrorCode::Forbidden.into())
        }
    }

    /// 403 unless the caller administers `community_id` (platform admins administer all).
    pub async fn require_admin_of(
        &self,
        db: &impl ConnectionTrait,
        community_id: i64,
    ) -> ApiResult<()> {
        if self.has(Role::PlatformAdmin) {
            return Ok(());
        }
        if self.has(Role::CommunityAdmin) && self.administers(db, community_id).await? {
            return Ok(());
        }
        Err(ErrorCode::Forbidden.into())
    }

    /// 403 unless the caller administers at least one of `community_ids`
    /// (what a merchant serves, what an application names).
    pub async fn require_admin_of_any(
        &self,
        db: &impl ConnectionTrait,
        community_ids: &[i64],
    ) -> ApiResult<()> {
        match self.admin_communities(db).await? {
            None => Ok(()),
            Some(own) if community_ids.iter().any(|c| own.contains(c)) => Ok(()),
            Some(_) => Err(ErrorCode::Forbidden.into()),
        }
    }

    /// 403 unless the caller administers every one of `community_ids`: an
    /// action on something shared by several communities (suspending a
    /// merchant or a helper, cancelling a campaign) needs rights over all.
    pub async fn require_admin_of_all(
        &self,
        db: &impl ConnectionTrait,
        community_ids: &[i64],
    ) -> ApiResult<()> {
        match self.admin_communities(db).await? {
            None => Ok(()),
            Some(own) if community_ids.iter().all(|c| own.contains(c)) => Ok(()),
            Some(_) => Err(ErrorCode::Forbidden.into()),
        }
    }

    /// The part of `community_ids` the caller administers (all of them for a
    /// platform admin): what an approval may grant.
    pub async fn own_part_of(
        &self,
        db: &impl ConnectionTrait,
        community_ids: &[i64],
    ) -> ApiResult<Vec<i64>> {
        Ok(match self.admin_communities(db).await? {
            None => community_ids.to_vec(),
            Some(own) => community_ids
                .iter()
                .copied()
                .filter(|c| own.contains(c))
                .collect(),
        })
    }

    /// The communities an admin's list covers: theirs (None: every one, a
    /// platform admin), narrowed to `community_id` when given; a community
    /// outside theirs leaves nothing.
    pub async fn admin_scope(
        &self,
        db: &impl ConnectionTrait,
        community_id: Option<i64>,
    ) -> ApiResult<Option<Vec<i64>>> {
        Ok(match (self.admin_communities(db).await?, community_id) {
            (None, None) => None,
            (None, Some(c)) => Some(vec![c]),
            (Some(own), None) => Some(own),
            (Some(own), Some(c)) => Some(own.into_iter().filter(|o| *o == c).collect()),
        })
    }

    async fn administers(&self, db: &impl ConnectionTrait, community_id: i64) -> ApiResult<bool> {
        Ok(
            admin_community::Entity::find_by_id((self.user.id, community_id))
                .one(db)
                .await?
                .is_some(),
        )
    }

    /// The communities a community admin manages; None means all (platform admin).
    pub async fn admin_communities(
        &self,
        db: &impl ConnectionTrait,
    ) -> ApiResult<Option<Vec<i64>>> {
        if self.has(Role::PlatformAdmin) {
            return Ok(None);
        }
        if !self.has(Role::CommunityAdmin) {
            return Err(ErrorCode::Forbidden.into());
        }
        let ids = admin_community::Entity::find()
            .select_only()
            .column(admin_community::Column::CommunityId)
            .filter(admin_community::Column::UserId.eq(self.user.id))
            .into_tuple::<i64>()
            .all(db)
            .await?;
        Ok(Some(ids))
    }
}

fn bearer(req: &HttpRequest) -> Option<Result<String, ApiError>> {
    let header = req.headers().get(actix_web::http::header::AUTHORIZATION)?;
    let value = header.to_str().ok();
    Some(
        value
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| token.trim().to_owned())
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::new(ErrorCode::TokenInvalid)),
    )
}

async fn authenticate(
    (state, keys): (web::Data<AppState>, web::Data<JwtKeys>),
    token: String,
) -> ApiResult<AuthUser> {
    let claims = keys.decode_access(&token)?;
    let user_id: i64 = claims
        .sub
        .parse()
        .map_err(|_| ApiError::new(ErrorCode::TokenInvalid))?;
    let user = user::Entity::find_by_id(user_id)
        .join(
            sea_orm::JoinType::InnerJoin,
            user::Relation::AuthSession.def(),
        )
        .filter(auth_session::Column::Id.eq(claims.sid.as_str()))
        .filter(auth_session::Column::RevokedAt.is_null())
        // A disabled account's tokens stop at once (its sessions are revoked
        // too; this holds even for a session a race left open).
        .filter(user::Column::DisabledAt.is_null())
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::TokenInvalid))?;
    Ok(AuthUser {
        roles: parse_roles(&user.roles),
        user,
        session_id: claims.sid,
    })
}

/// What checking a token needs: the database (sessions) and the JWT keys.
fn app_state(req: &HttpRequest) -> ApiResult<(web::Data<AppState>, web::Data<JwtKeys>)> {
    let missing = || ApiError::internal(anyhow::anyhow!("application state missing"));
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(missing)?;
    let keys = req.app_data::<web::Data<JwtKeys>>().ok_or_else(missing)?;
    Ok((state.clone(), keys.clone()))
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Already authenticated by a gate in front of the handler.
        if let Some(me) = req.extensions().get::<AuthUser>().cloned() {
            return Box::pin(async move { Ok(me) });
        }
        let token = bearer(req);
        let state = app_state(req);
        Box::pin(async move {
            let token = token.ok_or_else(|| ApiError::new(ErrorCode::Unauthorized))??;
            let me = authenticate(state?, token).await?;
            tracing::Span::current().record("user_id", me.id());
            Ok(me)
        })
    }
}

/// The caller when a token is sent, None when none is; a bad token is still 401.
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl FromRequest for MaybeAuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let state = app_state(req);
        Box::pin(async move {
            match token {
                None => Ok(MaybeAuthUser(None)),
                Some(token) => {
                    let me = authenticate(state?, token?).await?;
                    tracing::Span::current().record("user_id", me.id());
                    Ok(MaybeAuthUser(Some(me)))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_without_duplicates() {
        let raw = with_role("resident", Role::Merchant);
        assert_eq!(raw, "merchant,resident");
        assert_eq!(with_role(&raw, Role::Merchant), "merchant,resident");
        assert_eq!(
            parse_roles("resident,bogus,grid_worker"),
            vec![Role::Resident, Role::GridWorker]
        );
    }
}
