//! The user directory of an admin's communities: the people bound to them,
//! found by phone (full, or its last four digits), nickname or building,
//! with their roles and bindings. The grid-worker assignment takes its user
//! from here, so an admin never reaches a resident of another community.

use std::collections::HashMap;

use entity::{grid_worker, user};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthUser, Role, parse_roles};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::{self, bad_query, mask_phone, query_text};
use crate::pagination::{Page, Paged};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// One of the admin's communities; all of them when absent.
    pub community_id: Option<i64>,
    /// A full mobile number (11 digits) or its last four digits.
    pub phone: Option<String>,
    /// Substring of the nickname, up to 50 characters.
    pub nickname: Option<String>,
    pub building_id: Option<i64>,
}

/// A person as the admin's directory shows them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DirectoryEntry {
    pub id: i64,
    pub nickname: String,
    /// Masked, e.g. `138****8000`.
    pub phone: Option<String>,
    pub roles: Vec<Role>,
    /// False for an offline profile an admin created (no WeChat account).
    pub has_wechat: bool,
    pub community_id: Option<i64>,
    pub building_id: Option<i64>,
    pub room: Option<String>,
    /// Grids this person is a grid worker of.
    pub grid_ids: Vec<i64>,
}

/// The phone filter: the full number, or a suffix of exactly four digits.
fn phone_condition(raw: &str) -> ApiResult<Condition> {
    let digits = raw.bytes().all(|b| b.is_ascii_digit());
    match raw.len() {
        11 if digits => Ok(Condition::all().add(user::Column::Phone.eq(raw))),
        4 if digits => Ok(Condition::all().add(user::Column::Phone.like(format!("%{raw}")))),
        _ => Err(bad_query("phone", "须为 11 位手机号或其后 4 位")),
    }
}

pub async fn search(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    query: DirectoryQuery,
    page: Page,
) -> ApiResult<Paged<DirectoryEntry>> {
    let phone = query_text("phone", query.phone.as_deref(), 20)?;
    let nickname = query_text("nickname", query.nickname.as_deref(), 50)?;
    let mut select = user::Entity::find();
    select = match me.admin_scope(db, query.community_id).await? {
        Some(own) => select.filter(user::Column::CommunityId.is_in(own)),
        None => select.filter(user::Column::CommunityId.is_not_null()),
    };
    if let Some(phone) = phone {
        select = select.filter(phone_condition(&phone)?);
    }
    if let Some(nickname) = nickname {
        select = select.filter(user::Column::Nickname.like(fields::contains(&nickname)));
    }
    if let Some(building) = query.building_id {
        select = select.filter(user::Column::BuildingId.eq(building));
    }
    let rows = page
        .fetch(db, select.order_by_asc(user::Column::Id))
        .await?;
    rows.map_batch(|rows| entries(db, rows)).await
}

async fn entries(
    db: &impl ConnectionTrait,
    rows: Vec<user::Model>,
) -> ApiResult<Vec<DirectoryEntry>> {
    let ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
    let mut grids: HashMap<i64, Vec<i64>> = HashMap::new();
    for g in grid_worker::Entity::find()
        .filter(grid_worker::Column::UserId.is_in(ids))
        .order_by_asc(grid_worker::Column::GridId)
        .all(db)
        .await?
    {
        grids.entry(g.user_id).or_default().push(g.grid_id);
    }
    Ok(rows
        .into_iter()
        .map(|u| DirectoryEntry {
            grid_ids: grids.remove(&u.id).unwrap_or_default(),
            roles: parse_roles(&u.roles),
            has_wechat: u.openid.is_some(),
            phone: u.phone.as_deref().map(mask_phone),
            id: u.id,
            nickname: u.nickname,
            community_id: u.community_id,
            building_id: u.building_id,
            room: u.room,
        })
        .collect())
}

/// The person `user_id` when bound to one of the admin's communities; 404
/// `USER_NOT_FOUND` otherwise, as if they did not exist.
pub async fn find_in_scope(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    user_id: i64,
) -> ApiResult<user::Model> {
    let found = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::UserNotFound))?;
    let visible = match (me.admin_communities(db).await?, found.community_id) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(own), Some(c)) => own.contains(&c),
    };
    if !visible {
        return Err(ErrorCode::UserNotFound.into());
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_full_numbers_or_four_digit_suffixes() {
        assert!(phone_condition("13800138000").is_ok());
        assert!(phone_condition("8000").is_ok());
        for bad in ["800", "138001380001", "abcd", "12345"] {
            assert!(phone_condition(bad).is_err(), "{bad}");
        }
    }
}
