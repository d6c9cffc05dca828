//! What an order holds, whatever its kind: a shop order's lines, and the
//! goods' sales counted when an order is completed or picked up.

use std::collections::HashMap;

use entity::order::{self, OrderKind};
use entity::{goods, group_buy, order_line};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder};

use crate::error::ApiResult;

/// The lines of `order_ids`, by order, in the order they were placed.
pub async fn lines_of(
    db: &impl ConnectionTrait,
    order_ids: impl IntoIterator<Item = i64>,
) -> ApiResult<HashMap<i64, Vec<order_line::Model>>> {
    let ids: Vec<i64> = order_ids.into_iter().collect();
    let mut by_order: HashMap<i64, Vec<order_line::Model>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_order);
    }
    for l in order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(ids))
        .order_by_asc(order_line::Column::Id)
        .all(db)
        .await?
    {
        by_order.entry(l.order_id).or_default().push(l);
    }
    Ok(by_order)
}

/// The goods quantities an order holds: its campaign's goods, or its lines.
pub async fn goods_quantities(
    db: &impl ConnectionTrait,
    o: &order::Model,
) -> ApiResult<Vec<(i64, i64)>> {
    match (o.kind, o.group_buy_id) {
        (OrderKind::GroupBuy, Some(gb)) => Ok(group_buy::Entity::find_by_id(gb)
            .one(db)
            .await?
            .map(|g| vec![(g.goods_id, o.quantity)])
            .unwrap_or_default()),
        _ => Ok(lines_of(db, [o.id])
            .await?
            .remove(&o.id)
            .unwrap_or_default()
            .into_iter()
            .map(|l| (l.goods_id, l.quantity))
            .collect()),
    }
}

/// The goods quantities `orders` hold together, by goods: (name, quantity).
pub async fn goods_quantities_of(
    db: &impl ConnectionTrait,
    orders: &[&order::Model],
) -> ApiResult<HashMap<i64, (String, i64)>> {
    let mut sold: HashMap<i64, (String, i64)> = HashMap::new();
    for lines in lines_of(db, orders.iter().map(|o| o.id))
        .await?
        .into_values()
    {
        for l in lines {
            let entry = sold.entry(l.goods_id).or_insert((l.name, 0));
            entry.1 += l.quantity;
        }
    }
    let campaigns: HashMap<i64, i64> = group_buy::Entity::find()
        .filter(group_buy::Column::Id.is_in(orders.iter().filter_map(|o| o.group_buy_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.goods_id))
        .collect();
    let names: HashMap<i64, String> = goods::Entity::find()
        .filter(goods::Column::Id.is_in(campaigns.values().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    for o in orders {
        if let Some(goods_id) = o.group_buy_id.and_then(|gb| campaigns.get(&gb)) {
            let name = names.get(goods_id).cloned().unwrap_or_default();
            sold.entry(*goods_id).or_insert((name, 0)).1 += o.quantity;
        }
    }
    Ok(sold)
}

/// What an order is called in lists and payments: its campaign's title, or
/// its first goods (`苹果等3件` when there are more).
pub async fn title_of(db: &impl ConnectionTrait, o: &order::Model) -> ApiResult<String> {
    if let Some(gb) = o.group_buy_id {
        return Ok(group_buy::Entity::find_by_id(gb)
            .one(db)
            .await?
            .map(|g| g.title)
            .unwrap_or_default());
    }
    let lines = lines_of(db, [o.id])
        .await?
        .remove(&o.id)
        .unwrap_or_default();
    Ok(shop_title(&lines))
}

/// A shop order's title from its lines.
pub fn shop_title(lines: &[order_line::Model]) -> String {
    match lines {
        [] => String::new(),
        [one] => one.name.clone(),
        [first, ..] => format!("{}等{}件", first.name, lines.len()),
    }
}

/// Counts an order's goods as sold (on pickup or completion).
pub async fn record_sales(txn: &impl ConnectionTrait, o: &order::Model) -> ApiResult<()> {
    for (goods_id, quantity) in goods_quantities(txn, o).await? {
        goods::Entity::update_many()
            .col_expr(
                goods::Column::Sales,
                Expr::col(goods::Column::Sales).add(quantity),
            )
            .filter(goods::Column::Id.eq(goods_id))
            .exec(txn)
            .await?;
    }
    Ok(())
}
