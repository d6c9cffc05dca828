//! What group-buys need from merchants and goods: ownership, visibility and
//! the stock a campaign reserves.

use entity::{goods, merchant, merchant_community};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QuerySelect};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// The merchant `merchant_id` if the caller owns it: 404 when it does not
/// exist, 403 when it is someone else's.
pub async fn owned_merchant(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    me: &AuthUser,
) -> ApiResult<merchant::Model> {
    let found = merchant::Entity::find_by_id(merchant_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::MerchantNotFound))?;
    if found.owner_user_id != me.id() {
        return Err(ErrorCode::Forbidden.into());
    }
    Ok(found)
}

pub async fn merchant(
    db: &impl ConnectionTrait,
    merchant_id: i64,
) -> ApiResult<Option<merchant::Model>> {
    Ok(merchant::Entity::find_by_id(merchant_id).one(db).await?)
}

pub async fn served_communities(
    db: &impl ConnectionTrait,
    merchant_id: i64,
) -> ApiResult<Vec<i64>> {
    Ok(merchant_community::Entity::find()
        .select_only()
        .column(merchant_community::Column::CommunityId)
        .filter(merchant_community::Column::MerchantId.eq(merchant_id))
        .into_tuple::<i64>()
        .all(db)
        .await?)
}

/// The merchant's live, on-shelf goods `goods_id`, or None.
pub async fn sellable_goods(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    goods_id: i64,
) -> ApiResult<Option<goods::Model>> {
    Ok(goods::Entity::find_by_id(goods_id)
        .filter(goods::Column::MerchantId.eq(merchant_id))
        .filter(goods::Column::OnShelf.eq(true))
        .filter(goods::Column::DeletedAt.is_null())
        .one(db)
        .await?)
}

/// Takes `quantity` from the goods' stock in one conditional statement;
/// false when the stock is short.
pub async fn reserve_stock(
    db: &impl ConnectionTrait,
    goods_id: i64,
    quantity: i64,
) -> ApiResult<bool> {
    let res = goods::Entity::update_many()
        .col_expr(
            goods::Column::Stock,
            Expr::col(goods::Column::Stock).sub(quantity),
        )
        .filter(goods::Column::Id.eq(goods_id))
        .filter(goods::Column::Stock.gte(quantity))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Puts `quantity` back into the goods' stock.
pub async fn release_stock(
    db: &impl ConnectionTrait,
    goods_id: i64,
    quantity: i64,
) -> ApiResult<()> {
    if quantity > 0 {
        goods::Entity::update_many()
            .col_expr(
                goods::Column::Stock,
                Expr::col(goods::Column::Stock).add(quantity),
            )
            .filter(goods::Column::Id.eq(goods_id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Counts a handed-over quantity as sold.
pub async fn add_sales(db: &impl ConnectionTrait, goods_id: i64, quantity: i64) -> ApiResult<()> {
    goods::Entity::update_many()
        .col_expr(
            goods::Column::Sales,
            Expr::col(goods::Column::Sales).add(quantity),
        )
        .filter(goods::Column::Id.eq(goods_id))
        .exec(db)
        .await?;
    Ok(())
}
