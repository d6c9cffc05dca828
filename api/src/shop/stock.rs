//! A shop order's stock: taken by one conditional update per line inside
//! the order's transaction (never below zero, whatever the concurrency),
//! given back when the order ends unfulfilled.

use entity::order::{self, OrderKind};
use entity::{goods, order_line};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter};

use crate::error::ApiResult;

/// Takes `quantity` of a goods on the shelf if that many are left; false
/// when they are not (or it left the shelf meanwhile).
pub async fn take(txn: &impl ConnectionTrait, goods_id: i64, quantity: i64) -> ApiResult<bool> {
    let taken = goods::Entity::update_many()
        .col_expr(
            goods::Column::Stock,
            Expr::col(goods::Column::Stock).sub(quantity),
        )
        .filter(goods::Column::Id.eq(goods_id))
        .filter(goods::Column::OnShelf.eq(true))
        .filter(goods::Column::DeletedAt.is_null())
        .filter(Expr::col(goods::Column::Stock).gte(quantity))
        .exec(txn)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Puts a shop order's lines back into stock (decline, cancel, expiry).
pub async fn give_back(txn: &impl ConnectionTrait, o: &order::Model) -> ApiResult<()> {
    if o.kind != OrderKind::Shop {
        return Ok(());
    }
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(o.id))
        .all(txn)
        .await?;
    for l in lines {
        goods::Entity::update_many()
            .col_expr(
                goods::Column::Stock,
                Expr::col(goods::Column::Stock).add(l.quantity),
            )
            .filter(goods::Column::Id.eq(l.goods_id))
            .exec(txn)
            .await?;
    }
    Ok(())
}
