//! Finding requests as each party may see them, and their lists.

use entity::after_sale::{self, AfterSaleStatus};
use entity::{merchant_community, order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::views::{AfterSaleView, views_of};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::media::MediaStore;
use crate::merchants::access::require_desk;
use crate::pagination::{Page, Paged};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AfterSaleQuery {
    /// Only requests in this status.
    pub status: Option<AfterSaleStatus>,
}

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::AfterSaleNotFound)
}

/// The caller's own request; anyone else's is 404.
pub async fn mine(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<after_sale::Model> {
    after_sale::Entity::find_by_id(id)
        .filter(after_sale::Column::UserId.eq(me.id()))
        .one(db)
        .await?
        .ok_or_else(not_found)
}

/// A request of a shop whose desk the caller works: 404 when there is no
/// such request, 403 for anyone else.
pub async fn at_desk(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<after_sale::Model> {
    let a = after_sale::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    require_desk(db, a.merchant_id, me).await?;
    Ok(a)
}

/// The communities the merchant serves.
async fn communities_of(db: &impl ConnectionTrait, merchant_id: i64) -> ApiResult<Vec<i64>> {
    Ok(merchant_community::Entity::find()
        .select_only()
        .column(merchant_community::Column::CommunityId)
        .filter(merchant_community::Column::MerchantId.eq(merchant_id))
        .into_tuple()
        .all(db)
        .await?)
}

/// A request for an admin of one of the merchant's communities (platform
/// admins: every one): 404 when there is none, 403 for other admins.
pub async fn for_admin(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<after_sale::Model> {
    me.admin_communities(db).await?;
    let a = after_sale::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let communities = communities_of(db, a.merchant_id).await?;
    me.require_admin_of_any(db, &communities).await?;
    Ok(a)
}

async fn page_of(
    db: &DatabaseConnection,
    media: &MediaStore,
    select: sea_orm::Select<after_sale::Entity>,
    query: &AfterSaleQuery,
    page: Page,
) -> ApiResult<Paged<AfterSaleView>> {
    let mut select = select;
    if let Some(s) = query.status {
        select = select.filter(after_sale::Column::Status.eq(s));
    }
    let select = select
        .order_by_desc(after_sale::Column::CreatedAt)
        .order_by_desc(after_sale::Column::Id);
    page.fetch(db, select)
        .await?
        .map_batch(|rows| views_of(db, media, rows))
        .await
}

/// The caller's requests, newest first.
pub async fn list_mine(
    db: &DatabaseConnection,
    media: &MediaStore,
    me: &AuthUser,
    query: &AfterSaleQuery,
    page: Page,
) -> ApiResult<Paged<AfterSaleView>> {
    let select = after_sale::Entity::find().filter(after_sale::Column::UserId.eq(me.id()));
    page_of(db, media, select, query, page).await
}

/// The merchant's requests (the caller works its desk), newest first.
pub async fn list_for_merchant(
    db: &DatabaseConnection,
    media: &MediaStore,
    merchant_id: i64,
    query: &AfterSaleQuery,
    page: Page,
) -> ApiResult<Paged<AfterSaleView>> {
    let select = after_sale::Entity::find().filter(after_sale::Column::MerchantId.eq(merchant_id));
    page_of(db, media, select, query, page).await
}

/// The requests of merchants serving the admin's communities, newest first.
pub async fn list_for_admin(
    db: &DatabaseConnection,
    media: &MediaStore,
    me: &AuthUser,
    query: &AfterSaleQuery,
    page: Page,
) -> ApiResult<Paged<AfterSaleView>> {
    let mut select = after_sale::Entity::find();
    if let Some(own) = me.admin_communities(db).await? {
        let merchants = sea_orm::sea_query::Query::select()
            .column(merchant_community::Column::MerchantId)
            .from(merchant_community::Entity)
            .and_where(merchant_community::Column::CommunityId.is_in(own))
            .to_owned();
        select = select.filter(after_sale::Column::MerchantId.in_subquery(merchants));
    }
    page_of(db, media, select, query, page).await
}

/// The requests of order `order_no`, newest first: for its resident or the
/// merchant's desk; 404 for anyone else.
pub async fn of_order(
    db: &DatabaseConnection,
    media: &MediaStore,
    me: &AuthUser,
    order_no: &str,
) -> ApiResult<Vec<AfterSaleView>> {
    let o = order::Entity::find()
        .filter(order::Column::OrderNo.eq(order_no))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::OrderNotFound))?;
    if o.user_id != me.id() && require_desk(db, o.merchant_id, me).await.is_err() {
        return Err(ApiError::new(ErrorCode::OrderNotFound));
    }
    let rows = after_sale::Entity::find()
        .filter(after_sale::Column::OrderId.eq(o.id))
        .order_by_desc(after_sale::Column::Id)
        .all(db)
        .await?;
    views_of(db, media, rows).await
}
