//! What a campaign's card in a list shows beyond the campaign: its goods'
//! name and cover image, and its merchant's name.

use std::collections::HashMap;

use entity::{goods, merchant};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::service::GroupBuyView;
use crate::error::ApiResult;
use crate::goods::views::{GoodsView, with_images};
use crate::media::MediaStore;

/// Fills in the card fields of `views` (three queries for the whole page).
pub async fn with_cards(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    mut views: Vec<GroupBuyView>,
) -> ApiResult<Vec<GroupBuyView>> {
    let goods_rows = goods::Entity::find()
        .filter(goods::Column::Id.is_in(views.iter().map(|v| v.goods_id)))
        .all(db)
        .await?;
    let goods: HashMap<i64, GoodsView> = with_images(
        db,
        media,
        goods_rows.into_iter().map(GoodsView::from).collect(),
    )
    .await?
    .into_iter()
    .map(|g| (g.id, g))
    .collect();
    let merchants: HashMap<i64, String> = merchant::Entity::find()
        .filter(merchant::Column::Id.is_in(views.iter().map(|v| v.merchant_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect();
    for v in &mut views {
        if let Some(g) = goods.get(&v.goods_id) {
            v.goods_name = g.name.clone();
            v.cover_image = g.images.first().cloned();
        }
        v.merchant_name = merchants.get(&v.merchant_id).cloned().unwrap_or_default();
    }
    Ok(views)
}
