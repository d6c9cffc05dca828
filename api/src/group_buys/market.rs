//! What group-buys need from goods: a sellable goods, and the stock a
//! campaign reserves.

use entity::goods;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter};

use crate::error::ApiResult;

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
