//! An order as a row of the resident's list: enough to draw it without a
//! second call (title, image, merchant, where and when to collect it or
//! where it goes).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::after_sale::{self, AfterSaleStatus};
use entity::{goods, group_buy, merchant, order};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::lines::{lines_of, shop_title};
use super::views::{OrderView, Viewer};
use crate::error::ApiResult;
use crate::goods::views::{GoodsView, with_images};
use crate::media::MediaStore;

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderCard {
    #[serde(flatten)]
    pub order: OrderView,
    /// The campaign's title, or the first goods (`苹果等3件`).
    pub title: String,
    /// The campaign's goods' cover, or the first line's image.
    pub image: Option<String>,
    pub merchant_name: String,
    /// Where to collect it: the campaign's pickup point or the merchant's
    /// address (null for a delivery, which has `delivery_address`).
    pub pickup_address: Option<String>,
    /// The campaign's pickup window (group-buy orders).
    pub pickup_starts_at: Option<DateTime<Utc>>,
    pub pickup_ends_at: Option<DateTime<Utc>>,
    /// The status of the order's latest after-sales request (null: none).
    pub after_sale_status: Option<AfterSaleStatus>,
}

async fn by_id<E, M>(
    db: &impl ConnectionTrait,
    col: E::Column,
    ids: impl IntoIterator<Item = i64>,
    id_of: impl Fn(&M) -> i64,
) -> ApiResult<HashMap<i64, M>>
where
    E: EntityTrait<Model = M>,
{
    let ids: Vec<i64> = ids.into_iter().collect();
    Ok(E::find()
        .filter(col.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (id_of(&m), m))
        .collect())
}

/// The latest after-sales request's status of each order among `order_ids`.
async fn latest_after_sale(
    db: &impl ConnectionTrait,
    order_ids: impl IntoIterator<Item = i64>,
) -> ApiResult<HashMap<i64, AfterSaleStatus>> {
    use sea_orm::QueryOrder;
    let rows = after_sale::Entity::find()
        .filter(after_sale::Column::OrderId.is_in(order_ids))
        .order_by_asc(after_sale::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|a| (a.order_id, a.status)).collect())
}

/// The cards of `rows` (a handful of queries for the whole page).
pub async fn cards_of(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    rows: Vec<order::Model>,
) -> ApiResult<Vec<OrderCard>> {
    let mut lines = lines_of(db, rows.iter().map(|o| o.id)).await?;
    let after_sales = latest_after_sale(db, rows.iter().map(|o| o.id)).await?;
    let campaigns: HashMap<i64, group_buy::Model> = by_id::<group_buy::Entity, _>(
        db,
        group_buy::Column::Id,
        rows.iter().filter_map(|o| o.group_buy_id),
        |g| g.id,
    )
    .await?;
    let merchants: HashMap<i64, merchant::Model> = by_id::<merchant::Entity, _>(
        db,
        merchant::Column::Id,
        rows.iter().map(|o| o.merchant_id),
        |m| m.id,
    )
    .await?;
    let goods_rows = goods::Entity::find()
        .filter(goods::Column::Id.is_in(campaigns.values().map(|g| g.goods_id)))
        .all(db)
        .await?;
    let covers: HashMap<i64, Option<String>> = with_images(
        db,
        media,
        goods_rows.into_iter().map(GoodsView::from).collect(),
    )
    .await?
    .into_iter()
    .map(|v| (v.id, v.images.into_iter().next()))
    .collect();
    Ok(rows
        .into_iter()
        .map(|o| {
            let l = lines.remove(&o.id).unwrap_or_default();
            let shop = merchants.get(&o.merchant_id);
            let gb = o.group_buy_id.and_then(|id| campaigns.get(&id));
            let (title, image, pickup_address, starts, ends) = match gb {
                Some(gb) => (
                    gb.title.clone(),
                    covers.get(&gb.goods_id).cloned().flatten(),
                    Some(gb.pickup_address.clone()),
                    Some(gb.pickup_starts_at),
                    Some(gb.pickup_ends_at),
                ),
                None => (
                    shop_title(&l),
                    l.first().and_then(|x| x.image.clone()),
                    o.delivery_address
                        .is_none()
                        .then(|| shop.map(|m| m.address.clone()))
                        .flatten(),
                    None,
                    None,
                ),
            };
            OrderCard {
                order: OrderView::with_lines(&o, &l, Viewer::Owner),
                title,
                image,
                merchant_name: shop.map(|m| m.name.clone()).unwrap_or_default(),
                pickup_address,
                pickup_starts_at: starts,
                pickup_ends_at: ends,
                after_sale_status: after_sales.get(&o.id).copied(),
            }
        })
        .collect())
}
