//! Audited building bindings (MicroCommunity's 审核绑定): where a community
//! sets `binding_requires_approval`, a resident's new building binding is
//! pending until a grid worker of the building's grid or an admin of the
//! community approves it; rejecting unbinds. Pending residents are not
//! counted by notices (`notices::audience`).
//!
//! Decisions are conditional updates on the binding as it was shown (same
//! building, still pending): a resident who moved meanwhile is not approved
//! into the new building, and two reviewers cannot both decide.

use chrono::{DateTime, Utc};
use entity::{building, community, grid_worker, user};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::mask_phone;
use crate::grid::service::reach;
use crate::inbox::{self, Kind as InboxKind, Message};
use crate::pagination::{Page, Paged};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindingApprovalSetting {
    /// New bindings wait for approval. Turning it off approves every pending one.
    pub binding_requires_approval: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommunityBindingSetting {
    pub community_id: i64,
    pub binding_requires_approval: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PendingQuery {
    /// One of the caller's communities.
    pub community_id: Option<i64>,
}

/// A binding waiting for approval.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PendingBinding {
    pub user_id: i64,
    pub nickname: String,
    /// Masked, e.g. `138****8000`.
    pub phone: Option<String>,
    pub community_id: i64,
    pub building_id: i64,
    pub room: Option<String>,
    /// When the resident bound the building.
    pub requested_at: DateTime<Utc>,
}

/// What a decision did.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BindingDecision {
    pub user_id: i64,
    pub building_id: i64,
    /// False: rejected, the resident is unbound.
    pub approved: bool,
}

/// Whether a new binding in `community_id` must wait for approval.
pub async fn requires_approval(conn: &impl ConnectionTrait, community_id: i64) -> ApiResult<bool> {
    Ok(community::Entity::find_by_id(community_id)
        .one(conn)
        .await?
        .is_some_and(|c| c.binding_requires_approval))
}

/// Sets the community's rule; only its admins.
pub async fn set_rule(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    community_id: i64,
    setting: BindingApprovalSetting,
) -> ApiResult<CommunityBindingSetting> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    community::Entity::find_by_id(community_id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::CommunityNotFound))?;
    me.require_admin_of(conn, community_id).await?;
    community::Entity::update_many()
        .col_expr(
            community::Column::BindingRequiresApproval,
            Expr::value(setting.binding_requires_approval),
        )
        .filter(community::Column::Id.eq(community_id))
        .exec(conn)
        .await?;
    if !setting.binding_requires_approval {
        user::Entity::update_many()
            .col_expr(user::Column::BindingPending, Expr::value(false))
            .filter(user::Column::CommunityId.eq(community_id))
            .filter(user::Column::BindingPending.eq(true))
            .exec(conn)
            .await?;
    }
    Ok(CommunityBindingSetting {
        community_id,
        binding_requires_approval: setting.binding_requires_approval,
    })
}

/// The pending bindings the caller may decide: in the buildings of their
/// grids (grid workers) and of the communities they administer.
pub async fn pending(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    q: &PendingQuery,
    page: Page,
) -> ApiResult<Paged<PendingBinding>> {
    me.require_any(&[Role::GridWorker, Role::CommunityAdmin, Role::PlatformAdmin])?;
    let mut scope = Condition::any();
    if me.has(Role::GridWorker) {
        scope = scope.add(
            user::Column::BuildingId.in_subquery(
                Query::select()
                    .column(building::Column::Id)
                    .from(building::Entity)
                    .and_where(
                        Expr::col(building::Column::GridId).in_subquery(
                            Query::select()
                                .column(grid_worker::Column::GridId)
                                .from(grid_worker::Entity)
                                .and_where(Expr::col(grid_worker::Column::UserId).eq(me.id()))
                                .to_owned(),
                        ),
                    )
                    .to_owned(),
            ),
        );
    }
    if me.has(Role::CommunityAdmin) || me.has(Role::PlatformAdmin) {
        scope = match me.admin_communities(conn).await? {
            None => scope.add(user::Column::CommunityId.is_not_null()),
            Some(ids) => scope.add(user::Column::CommunityId.is_in(ids)),
        };
    }
    let mut select = user::Entity::find()
        .filter(user::Column::BindingPending.eq(true))
        .filter(scope);
    if let Some(c) = q.community_id {
        select = select.filter(user::Column::CommunityId.eq(c));
    }
    let select = select
        .order_by_asc(user::Column::UpdatedAt)
        .order_by_asc(user::Column::Id);
    Ok(page.fetch(conn, select).await?.map(|u| PendingBinding {
        user_id: u.id,
        nickname: u.nickname,
        phone: u.phone.as_deref().map(mask_phone),
        community_id: u.community_id.unwrap_or_default(),
        building_id: u.building_id.unwrap_or_default(),
        room: u.room,
        requested_at: u.updated_at,
    }))
}

/// Approves (`approve`) or rejects (unbinds) the resident's pending binding.
/// 404 when the caller does not reach the resident; 409 when it is not pending.
pub async fn decide(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    user_id: i64,
    approve: bool,
    now: DateTime<Utc>,
) -> ApiResult<BindingDecision> {
    let (_, b) = reach(conn, me, user_id, true).await?;
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::BindingPending, Expr::value(false))
        .col_expr(user::Column::UpdatedAt, Expr::value(now));
    if !approve {
        update = update
            .col_expr(user::Column::BuildingId, Expr::value(Option::<i64>::None))
            .col_expr(user::Column::CommunityId, Expr::value(Option::<i64>::None))
            .col_expr(user::Column::Room, Expr::value(Option::<String>::None));
    }
    let done = update
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::BuildingId.eq(b.id))
        .filter(user::Column::BindingPending.eq(true))
        .exec(conn)
        .await?;
    if done.rows_affected != 1 {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("该绑定不在待审核状态"));
    }
    let body = if approve {
        format!("您绑定「{}」的申请已通过", b.name)
    } else {
        format!("您绑定「{}」的申请未通过，请核对后重新绑定", b.name)
    };
    let message = Message::new(InboxKind::Binding, "楼栋绑定审核", body)
        .target(serde_json::json!({ "type": "binding", "building_id": b.id, "approved": approve }));
    inbox::post(conn, user_id, message).await?;
    Ok(BindingDecision {
        user_id,
        building_id: b.id,
        approved: approve,
    })
}
