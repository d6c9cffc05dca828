//! Whether a goods can be bought now, by a given resident: the one rule the
//! cart flags and checkout refuses by.

use std::collections::{HashMap, HashSet};

use entity::merchant::MerchantStatus;
use entity::{goods, merchant, merchant_community};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiResult;

/// Why a goods cannot be bought now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unavailable {
    /// The merchant deleted it.
    Deleted,
    /// Off the shelf, or its text not (yet) public.
    OffShelf,
    /// Its merchant is suspended.
    MerchantSuspended,
    /// Its merchant does not serve the resident's community.
    NotServed,
    /// Fewer left than wanted.
    StockShort,
}

/// The goods, their merchants and which of them serve the resident's
/// community, loaded once for a cart or a checkout.
pub struct Shelf {
    pub goods: HashMap<i64, goods::Model>,
    pub merchants: HashMap<i64, merchant::Model>,
    /// Merchants serving the resident's community; None: no community bound.
    serving: Option<HashSet<i64>>,
}

impl Shelf {
    pub async fn load(
        db: &impl ConnectionTrait,
        goods_ids: impl IntoIterator<Item = i64>,
        community_id: Option<i64>,
    ) -> ApiResult<Self> {
        let ids: Vec<i64> = goods_ids.into_iter().collect();
        let goods: HashMap<i64, goods::Model> = goods::Entity::find()
            .filter(goods::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|g| (g.id, g))
            .collect();
        let merchant_ids: HashSet<i64> = goods.values().map(|g| g.merchant_id).collect();
        let merchants = merchant::Entity::find()
            .filter(merchant::Column::Id.is_in(merchant_ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        let serving = match community_id {
            None => None,
            Some(c) => Some(
                merchant_community::Entity::find()
                    .filter(merchant_community::Column::CommunityId.eq(c))
                    .filter(merchant_community::Column::MerchantId.is_in(merchant_ids))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(|mc| mc.merchant_id)
                    .collect(),
            ),
        };
        Ok(Self {
            goods,
            merchants,
            serving,
        })
    }

    /// Why `quantity` of the goods cannot be bought now; None when it can.
    /// A goods that does not exist reads as deleted.
    pub fn why_not(&self, goods_id: i64, quantity: i64) -> Option<Unavailable> {
        let Some(g) = self.goods.get(&goods_id) else {
            return Some(Unavailable::Deleted);
        };
        let suspended = self
            .merchants
            .get(&g.merchant_id)
            .is_none_or(|m| m.status != MerchantStatus::Active);
        if g.deleted_at.is_some() {
            Some(Unavailable::Deleted)
        } else if !g.on_shelf || g.moderation != "pass" {
            Some(Unavailable::OffShelf)
        } else if suspended {
            Some(Unavailable::MerchantSuspended)
        } else if self
            .serving
            .as_ref()
            .is_some_and(|s| !s.contains(&g.merchant_id))
        {
            Some(Unavailable::NotServed)
        } else if i64::from(g.stock) < quantity {
            Some(Unavailable::StockShort)
        } else {
            None
        }
    }
}
