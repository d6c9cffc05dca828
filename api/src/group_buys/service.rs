//! Campaigns: creation (reserving stock), public reads, cancellation.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{group_buy, group_buy_community, merchant};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    ExprTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::market;
use super::orders::cancel_orders_of;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::money::Money;
use crate::pagination::{Page, Paged};
use crate::time;

pub const OPEN: &str = "open";
pub const SUCCEEDED: &str = "succeeded";
pub const FAILED: &str = "failed";
pub const CANCELLED: &str = "cancelled";

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct GroupBuyView {
    pub id: i64,
    pub merchant_id: i64,
    pub goods_id: i64,
    pub title: String,
    pub group_price: Money,
    pub min_quantity: i64,
    pub total_quantity: i64,
    pub per_user_limit: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub pickup_address: String,
    pub pickup_starts_at: DateTime<Utc>,
    pub pickup_ends_at: DateTime<Utc>,
    pub community_ids: Vec<i64>,
    /// `upcoming`, `ongoing`, `settling` (past cut-off, result being
    /// computed), `succeeded`, `failed` or `cancelled`.
    pub status: String,
    pub ordered_quantity: i64,
    pub orders_count: i64,
    pub remaining_quantity: i64,
    pub created_at: DateTime<Utc>,
}

/// The status clients see: `open` is split by the clock.
pub fn public_status(
    state: &str,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> &'static str {
    match state {
        OPEN if now < starts_at => "upcoming",
        OPEN if now < ends_at => "ongoing",
        OPEN => "settling",
        SUCCEEDED => SUCCEEDED,
        FAILED => FAILED,
        _ => CANCELLED,
    }
}

pub fn view(gb: group_buy::Model, community_ids: Vec<i64>, now: DateTime<Utc>) -> GroupBuyView {
    GroupBuyView {
        status: public_status(&gb.state, gb.starts_at, gb.ends_at, now).to_owned(),
        remaining_quantity: Ord::max(gb.total_quantity - gb.ordered_quantity, 0),
        id: gb.id,
        merchant_id: gb.merchant_id,
        goods_id: gb.goods_id,
        title: gb.title,
        group_price: Money::from_fen(gb.group_price_fen),
        min_quantity: gb.min_quantity,
        total_quantity: gb.total_quantity,
        per_user_limit: gb.per_user_limit,
        starts_at: gb.starts_at,
        ends_at: gb.ends_at,
        pickup_address: gb.pickup_address,
        pickup_starts_at: gb.pickup_starts_at,
        pickup_ends_at: gb.pickup_ends_at,
        community_ids,
        ordered_quantity: gb.ordered_quantity,
        orders_count: gb.orders_count,
        created_at: gb.created_at,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewGroupBuy {
    pub goods_id: i64,
    /// 1-60 characters.
    pub title: String,
    /// More than 0 and at most the goods' price.
    pub group_price: Money,
    /// Quantity needed for the campaign to succeed (成团), 1..=total_quantity.
    pub min_quantity: i64,
    /// Quantity on offer, 1-999999; reserved from the goods' stock.
    pub total_quantity: i64,
    /// Most a resident may hold in live orders, 1..=total_quantity.
    pub per_user_limit: i64,
    pub starts_at: DateTime<Utc>,
    /// Cut-off (截单); after `starts_at` and in the future.
    pub ends_at: DateTime<Utc>,
    /// 1-200 characters.
    pub pickup_address: String,
    /// At or after the cut-off.
    pub pickup_starts_at: DateTime<Utc>,
    pub pickup_ends_at: DateTime<Utc>,
    /// Communities shown the campaign: a non-empty subset of those the merchant serves.
    pub community_ids: Vec<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupBuyQuery {
    pub community_id: Option<i64>,
    /// `upcoming`, `ongoing`, `succeeded`, `failed` or `cancelled`; default: open
    /// campaigns (upcoming, ongoing and settling).
    pub status: Option<String>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

/// The communities each campaign is shown in, in id order.
pub async fn communities_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> ApiResult<HashMap<i64, Vec<i64>>> {
    let rows = group_buy_community::Entity::find()
        .filter(group_buy_community::Column::GroupBuyId.is_in(ids.to_vec()))
        .order_by_asc(group_buy_community::Column::CommunityId)
        .all(db)
        .await?;
    let mut map: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in rows {
        map.entry(r.group_buy_id).or_default().push(r.community_id);
    }
    Ok(map)
}

fn validate(new: &NewGroupBuy, now: DateTime<Utc>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let title = new.title.trim().chars().count();
    if title == 0 || title > 60 {
        errors.push(FieldError::new("title", "标题须为 1-60 个字符"));
    }
    if new.group_price.is_zero() {
        errors.push(FieldError::new("group_price", "团购价须大于 0"));
    }
    if !(1..=999_999).contains(&new.total_quantity) {
        errors.push(FieldError::new("total_quantity", "总量须在 1-999999 之间"));
    }
    if new.min_quantity < 1 || new.min_quantity > new.total_quantity {
        errors.push(FieldError::new("min_quantity", "成团数量须在 1 到总量之间"));
    }
    if new.per_user_limit < 1 || new.per_user_limit > new.total_quantity {
        errors.push(FieldError::new(
            "per_user_limit",
            "每人限购须在 1 到总量之间",
        ));
    }
    if new.ends_at <= new.starts_at {
        errors.push(FieldError::new("ends_at", "截单时间须晚于开始时间"));
    } else if new.ends_at <= now {
        errors.push(FieldError::new("ends_at", "截单时间须在未来"));
    }
    if new.pickup_starts_at < new.ends_at {
        errors.push(FieldError::new(
            "pickup_starts_at",
            "自提开始时间不能早于截单时间",
        ));
    }
    if new.pickup_ends_at <= new.pickup_starts_at {
        errors.push(FieldError::new(
            "pickup_ends_at",
            "自提结束时间须晚于开始时间",
        ));
    }
    let address = new.pickup_address.trim().chars().count();
    if address == 0 || address > 200 {
        errors.push(FieldError::new("pickup_address", "自提点须为 1-200 个字符"));
    }
    if new.community_ids.is_empty() {
        errors.push(FieldError::new("community_ids", "至少选择一个社区"));
    }
    errors
}

/// Opens a campaign on the merchant's own goods and reserves its quantity.
pub async fn create(
    db: &DatabaseConnection,
    me: &AuthUser,
    merchant_id: i64,
    new: NewGroupBuy,
) -> ApiResult<GroupBuyView> {
    let merchant = market::owned_merchant(db, merchant_id, me).await?;
    if merchant.status != market::ACTIVE {
        return Err(ApiError::new(ErrorCode::Forbidden).message("商户已被暂停，不能发起团购"));
    }
    let now = time::now();
    let mut errors = validate(&new, now);
    match market::sellable_goods(db, merchant_id, new.goods_id).await? {
        None => errors.push(FieldError::new("goods_id", "商品不存在或未上架")),
        Some(goods) if new.group_price.fen() > goods.price_fen => {
            errors.push(FieldError::new("group_price", "团购价不能高于商品原价"))
        }
        Some(_) => {}
    }
    let served = market::served_communities(db, merchant_id).await?;
    if new.community_ids.iter().any(|c| !served.contains(c)) {
        errors.push(FieldError::new("community_ids", "只能选择商户服务的社区"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut community_ids = new.community_ids.clone();
    community_ids.sort_unstable();
    community_ids.dedup();

    let txn = crate::db::begin_write(db).await?;
    if !market::reserve_stock(&txn, new.goods_id, new.total_quantity).await? {
        return Err(ErrorCode::InsufficientStock.into());
    }
    let saved = group_buy::ActiveModel {
        merchant_id: Set(merchant_id),
        goods_id: Set(new.goods_id),
        title: Set(new.title.trim().to_owned()),
        group_price_fen: Set(new.group_price.fen()),
        min_quantity: Set(new.min_quantity),
        total_quantity: Set(new.total_quantity),
        per_user_limit: Set(new.per_user_limit),
        ordered_quantity: Set(0),
        orders_count: Set(0),
        starts_at: Set(time::normalise(new.starts_at)),
        ends_at: Set(time::normalise(new.ends_at)),
        pickup_address: Set(new.pickup_address.trim().to_owned()),
        pickup_starts_at: Set(time::normalise(new.pickup_starts_at)),
        pickup_ends_at: Set(time::normalise(new.pickup_ends_at)),
        state: Set(OPEN.to_owned()),
        settled_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    group_buy_community::Entity::insert_many(community_ids.iter().map(|c| {
        group_buy_community::ActiveModel {
            group_buy_id: Set(saved.id),
            community_id: Set(*c),
        }
    }))
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(view(saved, community_ids, now))
}

/// Campaigns of active merchants only.
fn visible() -> Condition {
    Condition::all().add(
        group_buy::Column::MerchantId.in_subquery(
            Query::select()
                .column(merchant::Column::Id)
                .from(merchant::Entity)
                .and_where(Expr::col(merchant::Column::Status).eq(market::ACTIVE))
                .to_owned(),
        ),
    )
}

/// Campaigns in a public status (`upcoming`, `ongoing`, `settling`,
/// `succeeded`, `failed`, `cancelled`); every campaign for None.
pub fn status_condition(status: Option<&str>, now: DateTime<Utc>) -> ApiResult<Condition> {
    let open = Condition::all().add(group_buy::Column::State.eq(OPEN));
    Ok(match status {
        None => Condition::all(),
        Some("upcoming") => open.add(group_buy::Column::StartsAt.gt(now)),
        Some("ongoing") => open
            .add(group_buy::Column::StartsAt.lte(now))
            .add(group_buy::Column::EndsAt.gt(now)),
        Some("settling") => open.add(group_buy::Column::EndsAt.lte(now)),
        Some(s @ (SUCCEEDED | FAILED | CANCELLED)) => {
            Condition::all().add(group_buy::Column::State.eq(s))
        }
        Some(_) => {
            return Err(ApiError::new(ErrorCode::InvalidQuery)
                .details(serde_json::json!({ "fields": [FieldError::new("status", "upcoming, ongoing, settling, succeeded, failed 或 cancelled")] })));
        }
    })
}

pub async fn list(
    db: &impl ConnectionTrait,
    query: &GroupBuyQuery,
    page: Page,
) -> ApiResult<Paged<GroupBuyView>> {
    let now = time::now();
    let mut cond = visible();
    if let Some(cid) = query.community_id {
        cond = cond.add(
            group_buy::Column::Id.in_subquery(
                Query::select()
                    .column(group_buy_community::Column::GroupBuyId)
                    .from(group_buy_community::Entity)
                    .and_where(Expr::col(group_buy_community::Column::CommunityId).eq(cid))
                    .to_owned(),
            ),
        );
    }
    cond = cond.add(match query.status.as_deref() {
        None => Condition::all().add(group_buy::Column::State.eq(OPEN)),
        status => status_condition(status, now)?,
    });
    let select = group_buy::Entity::find().filter(cond);
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_asc(group_buy::Column::EndsAt)
        .order_by_asc(group_buy::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|g| g.id).collect();
    let mut communities = communities_of(db, &ids).await?;
    let items = rows
        .into_iter()
        .map(|g| {
            let c = communities.remove(&g.id).unwrap_or_default();
            view(g, c, now)
        })
        .collect();
    Ok(Paged::new(items, page, total))
}

/// A campaign as the public sees it: 404 when its merchant is suspended.
pub async fn get_public(db: &impl ConnectionTrait, id: i64) -> ApiResult<GroupBuyView> {
    let gb = group_buy::Entity::find_by_id(id)
        .filter(visible())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::GroupBuyNotFound))?;
    let communities = communities_of(db, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok(view(gb, communities, time::now()))
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<group_buy::Model> {
    group_buy::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::GroupBuyNotFound))
}

/// Cancels a campaign (its merchant, or an admin of one of its communities):
/// every live order is cancelled (refunded where paid) and the unsold stock
/// returns. Only open or succeeded campaigns can be cancelled.
pub async fn cancel(db: &DatabaseConnection, me: &AuthUser, id: i64) -> ApiResult<GroupBuyView> {
    let gb = find(db, id).await?;
    let is_owner = market::merchant(db, gb.merchant_id)
        .await?
        .is_some_and(|m| m.owner_user_id == me.id());
    if !is_owner {
        let communities = communities_of(db, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        let mut allowed = false;
        for c in communities {
            if me.require_admin_of(db, c).await.is_ok() {
                allowed = true;
                break;
            }
        }
        if !allowed {
            return Err(ErrorCode::Forbidden.into());
        }
    }
    let now = time::now();
    let txn = crate::db::begin_write(db).await?;
    let changed = group_buy::Entity::update_many()
        .col_expr(group_buy::Column::State, Expr::value(CANCELLED))
        .col_expr(group_buy::Column::SettledAt, Expr::value(now))
        .filter(group_buy::Column::Id.eq(id))
        .filter(group_buy::Column::State.is_in([OPEN, SUCCEEDED]))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("该团购已结束或已取消"));
    }
    let cancelled_quantity = cancel_orders_of(&txn, id, &LIVE_BEFORE_PICKUP, now).await?;
    // An open campaign still holds its whole reservation; a succeeded one
    // returned its unsold part at settlement and now returns what was not handed over.
    let back = if gb.state == OPEN {
        gb.total_quantity
    } else {
        cancelled_quantity
    };
    market::release_stock(&txn, gb.goods_id, back).await?;
    txn.commit().await?;
    let fresh = find(db, id).await?;
    let communities = communities_of(db, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok(view(fresh, communities, now))
}

/// Orders that a cancellation still reaches.
const LIVE_BEFORE_PICKUP: [&str; 3] = ["pending_payment", "placed", "awaiting_pickup"];
