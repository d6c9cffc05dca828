//! The resident's cart: goods and quantities, each line shown with the
//! goods as they are now and why it cannot be bought, if it cannot.

use entity::{cart_item, user};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::availability::{Shelf, Unavailable};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::goods::views::{GoodsView, with_images};
use crate::media::MediaStore;
use crate::money::Money;
use crate::time;

/// At most this many goods in a cart.
pub const MAX_LINES: u64 = 100;
/// At most this many of one goods in a line.
pub const MAX_QUANTITY: i64 = 999;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CartAdd {
    pub goods_id: i64,
    /// Added to what the cart holds already (1-999 in all).
    #[schema(minimum = 1, maximum = 999)]
    pub quantity: i64,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CartSet {
    /// The line's new quantity (1-999).
    #[schema(minimum = 1, maximum = 999)]
    pub quantity: i64,
}

/// One cart line: the goods as they are now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CartLine {
    pub goods_id: i64,
    pub merchant_id: i64,
    pub merchant_name: String,
    pub name: String,
    pub unit: String,
    pub price: Money,
    pub image: Option<String>,
    pub stock: i32,
    pub quantity: i64,
    /// Can be bought now, as many as `quantity`.
    pub available: bool,
    /// Why not, when it cannot.
    pub unavailable: Option<Unavailable>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CartView {
    pub lines: Vec<CartLine>,
}

fn check_quantity(quantity: i64) -> ApiResult<()> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(())
    } else {
        Err(ApiError::field("quantity", "数量须为 1-999"))
    }
}

/// The caller's cart, oldest line first.
pub async fn view(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    me: &user::Model,
) -> ApiResult<CartView> {
    let items = cart_item::Entity::find()
        .filter(cart_item::Column::UserId.eq(me.id))
        .order_by_asc(cart_item::Column::Id)
        .all(db)
        .await?;
    let shelf = Shelf::load(db, items.iter().map(|i| i.goods_id), me.community_id).await?;
    let views: Vec<GoodsView> = items
        .iter()
        .filter_map(|i| shelf.goods.get(&i.goods_id).cloned().map(GoodsView::from))
        .collect();
    let views = with_images(db, media, views).await?;
    let lines = items
        .iter()
        .filter_map(|i| {
            let g = views.iter().find(|v| v.id == i.goods_id)?;
            let why = shelf.why_not(i.goods_id, i.quantity);
            Some(CartLine {
                goods_id: g.id,
                merchant_id: g.merchant_id,
                merchant_name: shelf
                    .merchants
                    .get(&g.merchant_id)
                    .map(|m| m.name.clone())
                    .unwrap_or_default(),
                name: g.name.clone(),
                unit: g.unit.clone(),
                price: g.price,
                image: g.images.first().cloned(),
                stock: g.stock,
                quantity: i.quantity,
                available: why.is_none(),
                unavailable: why,
            })
        })
        .collect();
    Ok(CartView { lines })
}

/// Adds goods to the cart (a goods already there adds up). Only goods that
/// can be bought now are added; at most [`MAX_LINES`] goods.
pub async fn add(db: &impl ConnectionTrait, me: &user::Model, body: &CartAdd) -> ApiResult<()> {
    check_quantity(body.quantity)?;
    let shelf = Shelf::load(db, [body.goods_id], me.community_id).await?;
    match shelf.why_not(body.goods_id, 0) {
        None => {}
        Some(Unavailable::Deleted) => return Err(ErrorCode::GoodsNotFound.into()),
        Some(Unavailable::NotServed) => return Err(ErrorCode::NotServedHere.into()),
        Some(_) => return Err(ErrorCode::GoodsUnavailable.into()),
    }
    let existing = cart_item::Entity::find()
        .filter(cart_item::Column::UserId.eq(me.id))
        .filter(cart_item::Column::GoodsId.eq(body.goods_id))
        .one(db)
        .await?;
    let now = time::now();
    match existing {
        Some(line) => {
            let total = line.quantity + body.quantity;
            check_quantity(total)?;
            cart_item::Entity::update_many()
                .col_expr(cart_item::Column::Quantity, total.into())
                .col_expr(cart_item::Column::UpdatedAt, now.into())
                .filter(cart_item::Column::Id.eq(line.id))
                .exec(db)
                .await?;
        }
        None => {
            let lines = cart_item::Entity::find()
                .filter(cart_item::Column::UserId.eq(me.id))
                .count(db)
                .await?;
            if lines >= MAX_LINES {
                return Err(ErrorCode::CartFull.into());
            }
            cart_item::Entity::insert(cart_item::ActiveModel {
                user_id: Set(me.id),
                goods_id: Set(body.goods_id),
                quantity: Set(body.quantity),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .on_conflict(
                OnConflict::columns([cart_item::Column::UserId, cart_item::Column::GoodsId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        }
    }
    Ok(())
}

/// Sets a line's quantity; a goods not in the cart is 404.
pub async fn set(
    db: &impl ConnectionTrait,
    user_id: i64,
    goods_id: i64,
    body: &CartSet,
) -> ApiResult<()> {
    check_quantity(body.quantity)?;
    let changed = cart_item::Entity::update_many()
        .col_expr(cart_item::Column::Quantity, body.quantity.into())
        .col_expr(cart_item::Column::UpdatedAt, time::now().into())
        .filter(cart_item::Column::UserId.eq(user_id))
        .filter(cart_item::Column::GoodsId.eq(goods_id))
        .exec(db)
        .await?;
    if changed.rows_affected == 0 {
        return Err(ErrorCode::GoodsNotFound.into());
    }
    Ok(())
}

/// Removes goods from the cart (those not in it are ignored).
pub async fn remove(
    db: &impl ConnectionTrait,
    user_id: i64,
    goods_ids: impl IntoIterator<Item = i64>,
) -> ApiResult<()> {
    cart_item::Entity::delete_many()
        .filter(cart_item::Column::UserId.eq(user_id))
        .filter(cart_item::Column::GoodsId.is_in(goods_ids))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// A line's quantity is accepted exactly in 1-999; anything else is
        /// 422 naming `quantity`.
        #[test]
        fn quantities_are_bounded(quantity in any::<i64>()) {
            match check_quantity(quantity) {
                Ok(()) => prop_assert!((1..=MAX_QUANTITY).contains(&quantity)),
                Err(e) => {
                    prop_assert!(!(1..=MAX_QUANTITY).contains(&quantity));
                    prop_assert_eq!(e.code.status().as_u16(), 422);
                    let named = serde_json::to_string(&e.details).unwrap_or_default();
                    prop_assert!(named.contains("\"quantity\""), "{}", named);
                }
            }
        }

        /// The largest order checkout can be asked for (500 lines, each at
        /// the highest price and quantity) cannot overflow its fen sums, so
        /// "too large" is always the money rule's 422, never an overflow.
        #[test]
        fn the_largest_order_fits_in_fen(
            lines in proptest::collection::vec((0i64..=9_999_999_999, 1..=MAX_QUANTITY), 1..=500),
        ) {
            let total = lines.iter().try_fold(0i64, |acc, (price, q)| acc.checked_add(price.checked_mul(*q)?));
            prop_assert!(total.is_some());
        }
    }
}
