//! Who may act for a merchant. The owner does everything; a clerk (店员,
//! `merchant_staff`) works the desk only: the campaign orders, the pickup
//! list and the pickup counter. Goods, prices, the shop's profile,
//! campaigns and staff stay with the owner (`service::require_owner`).

use entity::{merchant, merchant_staff};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::find;
use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorCode};

/// How the caller works at a shop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShopRole {
    Owner,
    Clerk,
}

/// The caller's role at `m`, None when they do not work there.
pub async fn role_at(
    db: &impl ConnectionTrait,
    m: &merchant::Model,
    me: &AuthUser,
) -> ApiResult<Option<ShopRole>> {
    if m.owner_user_id == me.id() {
        return Ok(Some(ShopRole::Owner));
    }
    let clerk = merchant_staff::Entity::find_by_id((m.id, me.id()))
        .one(db)
        .await?;
    Ok(clerk.map(|_| ShopRole::Clerk))
}

/// The merchant `merchant_id` when the caller may work its order and pickup
/// desk (its owner or one of its clerks): 404 when it does not exist, 403
/// for anyone else. The one check every desk route makes.
pub async fn require_desk(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    me: &AuthUser,
) -> ApiResult<merchant::Model> {
    let m = find(db, merchant_id).await?;
    match role_at(db, &m, me).await? {
        Some(_) => Ok(m),
        None => Err(ErrorCode::Forbidden.into()),
    }
}

/// Everyone who works `merchant_id`'s desk and so hears of its orders: the
/// owner first, then the clerks. Empty when there is no such merchant.
pub async fn desk_users(conn: &impl ConnectionTrait, merchant_id: i64) -> ApiResult<Vec<i64>> {
    let Some(m) = merchant::Entity::find_by_id(merchant_id).one(conn).await? else {
        return Ok(Vec::new());
    };
    let clerks = merchant_staff::Entity::find()
        .filter(merchant_staff::Column::MerchantId.eq(merchant_id))
        .all(conn)
        .await?;
    Ok(std::iter::once(m.owner_user_id)
        .chain(clerks.into_iter().map(|c| c.user_id))
        .collect())
}
