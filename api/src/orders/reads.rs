//! Reading orders: the resident's own, and a merchant's.

use std::collections::HashMap;

use entity::order::{self, OrderKind, OrderStatus};
use entity::user;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use utoipa::IntoParams;

use super::cards::{OrderCard, cards_of};
use super::lines::lines_of;
use super::views::MerchantOrderView;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::media::MediaStore;
use crate::pagination::{Page, Paged};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    pub status: Option<OrderStatus>,
    /// Only orders of this kind (both when absent).
    pub kind: Option<OrderKind>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MerchantOrderQuery {
    pub group_buy_id: Option<i64>,
    pub status: Option<OrderStatus>,
    /// Only orders of this kind (both when absent).
    pub kind: Option<OrderKind>,
}

/// The resident's own order; another resident's is 404.
pub async fn own(
    db: &impl ConnectionTrait,
    user_id: i64,
    order_no: &str,
) -> ApiResult<order::Model> {
    order::Entity::find()
        .filter(order::Column::OrderNo.eq(order_no))
        .filter(order::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::OrderNotFound))
}

/// The resident's orders of both kinds, newest first, as list cards.
pub async fn list_mine(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    user_id: i64,
    query: &OrderQuery,
    page: Page,
) -> ApiResult<Paged<OrderCard>> {
    let mut select = order::Entity::find().filter(order::Column::UserId.eq(user_id));
    if let Some(s) = query.status {
        select = select.filter(order::Column::Status.eq(s));
    }
    if let Some(k) = query.kind {
        select = select.filter(order::Column::Kind.eq(k));
    }
    let select = select
        .order_by_desc(order::Column::CreatedAt)
        .order_by_desc(order::Column::Id);
    page.fetch(db, select)
        .await?
        .map_batch(|rows| cards_of(db, media, rows))
        .await
}

/// What a merchant filters its orders by.
#[derive(Clone, Copy, Debug, Default)]
pub struct MerchantFilter {
    pub group_buy_id: Option<i64>,
    pub status: Option<OrderStatus>,
    pub kind: Option<OrderKind>,
}

/// A merchant's orders, oldest first, with their buyers (phones masked):
/// one page, or every one (`None`: the pickup list).
pub async fn list_for_merchant(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    filter: MerchantFilter,
    page: Option<Page>,
) -> ApiResult<Paged<(MerchantOrderView, order::Model)>> {
    let mut select = order::Entity::find().filter(order::Column::MerchantId.eq(merchant_id));
    if let Some(g) = filter.group_buy_id {
        select = select.filter(order::Column::GroupBuyId.eq(g));
    }
    if let Some(s) = filter.status {
        select = select.filter(order::Column::Status.eq(s));
    }
    if let Some(k) = filter.kind {
        select = select.filter(order::Column::Kind.eq(k));
    }
    let select = select
        .order_by_asc(order::Column::CreatedAt)
        .order_by_asc(order::Column::Id);
    let rows = match page {
        Some(page) => page.fetch(db, select).await?,
        None => {
            let all = select.all(db).await?;
            let total = all.len() as u64;
            let everything = Page {
                page: 1,
                page_size: Ord::max(total, 1),
            };
            Paged::new(all, everything, total)
        }
    };
    rows.map_batch(|rows| with_buyers(db, rows)).await
}

async fn with_buyers(
    db: &impl ConnectionTrait,
    rows: Vec<order::Model>,
) -> ApiResult<Vec<(MerchantOrderView, order::Model)>> {
    let user_ids: Vec<i64> = rows.iter().map(|o| o.user_id).collect();
    let users: HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut lines = lines_of(db, rows.iter().map(|o| o.id)).await?;
    Ok(rows
        .into_iter()
        .map(|o| {
            let l = lines.remove(&o.id).unwrap_or_default();
            (
                MerchantOrderView::with_lines(&o, &l, users.get(&o.user_id)),
                o,
            )
        })
        .collect())
}
