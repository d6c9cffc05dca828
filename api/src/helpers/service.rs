//! Helpers: who the caller is as a helper, and profiles as residents see them.

use entity::helper::HelperStatus;
use entity::{helper, helper_community};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rating_avg;
use crate::auth::{AuthUser, Role};
use crate::community_links;
use crate::error::{ApiResult, ErrorCode};
use crate::fields::mask_phone;

/// A helper's own profile.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HelperView {
    pub id: i64,
    pub user_id: i64,
    pub display_name: String,
    pub phone: String,
    pub skills: Vec<String>,
    pub community_ids: Vec<i64>,
    pub status: HelperStatus,
    pub rating_avg: Option<f64>,
    pub rating_count: i64,
}

/// The helper as the catalog shows them; the phone masked.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HelperSummary {
    pub id: i64,
    pub display_name: String,
    /// Masked, e.g. `138****8000`.
    pub phone: String,
    pub rating_avg: Option<f64>,
    pub rating_count: i64,
}

impl From<&helper::Model> for HelperSummary {
    fn from(h: &helper::Model) -> Self {
        Self {
            id: h.id,
            display_name: h.display_name.clone(),
            phone: mask_phone(&h.phone),
            rating_avg: rating_avg(h.rating_sum, h.rating_count),
            rating_count: h.rating_count,
        }
    }
}

pub fn split_skills(raw: &str) -> Vec<String> {
    raw.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

pub async fn find_by_user(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> ApiResult<Option<helper::Model>> {
    Ok(helper::Entity::find()
        .filter(helper::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// The caller as an active helper; 403 for anyone else.
pub async fn current_helper(db: &impl ConnectionTrait, me: &AuthUser) -> ApiResult<helper::Model> {
    me.require(Role::Helper)?;
    find_by_user(db, me.id())
        .await?
        .filter(|h| h.status == HelperStatus::Active)
        .ok_or_else(|| ErrorCode::Forbidden.into())
}

pub async fn helper_communities(db: &impl ConnectionTrait, helper_id: i64) -> ApiResult<Vec<i64>> {
    community_links::communities_of_one::<helper_community::Entity>(db, helper_id).await
}

pub async fn profile(db: &impl ConnectionTrait, h: helper::Model) -> ApiResult<HelperView> {
    Ok(HelperView {
        community_ids: helper_communities(db, h.id).await?,
        skills: split_skills(&h.skills),
        rating_avg: rating_avg(h.rating_sum, h.rating_count),
        id: h.id,
        user_id: h.user_id,
        display_name: h.display_name,
        phone: h.phone,
        status: h.status,
        rating_count: h.rating_count,
    })
}
