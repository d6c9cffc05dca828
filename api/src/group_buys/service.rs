//! Campaigns: creation (reserving stock), public reads, cancellation.

use chrono::{DateTime, Utc};
use entity::group_buy::CampaignState;
use entity::merchant::MerchantStatus;
use entity::order::OrderStatus;
use entity::{group_buy, group_buy_community, merchant};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    ExprTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::market;
use super::order_lifecycle::cancel_orders_of;
use crate::auth::AuthUser;
use crate::community_links;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::merchants::service::require_owner;
use crate::money::Money;
use crate::orders::refunds::RefundReason;
use crate::pagination::{Page, Paged};
use crate::time;

/// A campaign's status: upcoming, ongoing (taking orders), settling (past
/// the cut-off, the result being computed), succeeded, failed or cancelled.
// The stored state, with `Open` split by the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Open, before its start.
    Upcoming,
    /// Open and taking orders.
    Ongoing,
    /// Past the cut-off, the result being computed.
    Settling,
    Succeeded,
    Failed,
    Cancelled,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Upcoming => "upcoming",
            CampaignStatus::Ongoing => "ongoing",
            CampaignStatus::Settling => "settling",
            CampaignStatus::Succeeded => "succeeded",
            CampaignStatus::Failed => "failed",
            CampaignStatus::Cancelled => "cancelled",
        }
    }

    /// Open: before the cut-off, or settling.
    pub fn is_open(self) -> bool {
        match self {
            CampaignStatus::Upcoming | CampaignStatus::Ongoing | CampaignStatus::Settling => true,
            CampaignStatus::Succeeded | CampaignStatus::Failed | CampaignStatus::Cancelled => false,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct GroupBuyView {
    pub id: i64,
    pub merchant_id: i64,
    pub goods_id: i64,
    pub title: String,
    pub description: String,
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
    pub status: CampaignStatus,
    pub ordered_quantity: i64,
    pub orders_count: i64,
    pub remaining_quantity: i64,
    pub created_at: DateTime<Utc>,
    /// For list cards: the goods' name, its first image and the merchant's
    /// name (empty on a single campaign's read).
    #[serde(default)]
    pub goods_name: String,
    #[serde(default)]
    pub cover_image: Option<String>,
    #[serde(default)]
    pub merchant_name: String,
}

/// The status clients see: `Open` is split by the clock.
pub fn public_status(
    state: CampaignState,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> CampaignStatus {
    match state {
        CampaignState::Open if now < starts_at => CampaignStatus::Upcoming,
        CampaignState::Open if now < ends_at => CampaignStatus::Ongoing,
        CampaignState::Open => CampaignStatus::Settling,
        CampaignState::Succeeded => CampaignStatus::Succeeded,
        CampaignState::Failed => CampaignStatus::Failed,
        CampaignState::Cancelled => CampaignStatus::Cancelled,
    }
}

pub fn view(gb: group_buy::Model, community_ids: Vec<i64>, now: DateTime<Utc>) -> GroupBuyView {
    GroupBuyView {
        status: public_status(gb.state, gb.starts_at, gb.ends_at, now),
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
        description: gb.description,
        pickup_address: gb.pickup_address,
        pickup_starts_at: gb.pickup_starts_at,
        pickup_ends_at: gb.pickup_ends_at,
        community_ids,
        ordered_quantity: gb.ordered_quantity,
        orders_count: gb.orders_count,
        created_at: gb.created_at,
        goods_name: String::new(),
        cover_image: None,
        merchant_name: String::new(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewGroupBuy {
    pub goods_id: i64,
    /// 1-60 characters.
    #[schema(max_length = 60, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub title: String,
    /// What the campaign offers, up to 500 characters; may be left out.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub description: String,
    /// More than 0 and at most the goods' price.
    pub group_price: Money,
    /// Quantity needed for the campaign to succeed (成团), 1..=total_quantity.
    pub min_quantity: i64,
    /// Quantity on offer, 1-999999; reserved from the goods' stock.
    #[schema(minimum = 1, maximum = 999999)]
    pub total_quantity: i64,
    /// Most a resident may hold in live orders, 1..=total_quantity.
    pub per_user_limit: i64,
    #[serde(deserialize_with = "crate::time::bounded")]
    pub starts_at: DateTime<Utc>,
    /// Cut-off (截单); after `starts_at` and in the future.
    #[serde(deserialize_with = "crate::time::bounded")]
    pub ends_at: DateTime<Utc>,
    /// 1-200 characters.
    #[schema(max_length = 200, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub pickup_address: String,
    /// At or after the cut-off.
    #[serde(deserialize_with = "crate::time::bounded")]
    pub pickup_starts_at: DateTime<Utc>,
    #[serde(deserialize_with = "crate::time::bounded")]
    pub pickup_ends_at: DateTime<Utc>,
    /// Communities shown the campaign: a non-empty subset of those the merchant serves.
    pub community_ids: Vec<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OwnerGroupBuyQuery {
    /// `upcoming`, `ongoing`, `settling`, `succeeded`, `failed` or `cancelled`; all when absent.
    pub status: Option<CampaignStatus>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupBuyQuery {
    pub community_id: Option<i64>,
    /// `upcoming`, `ongoing`, `settling` (past the cut-off, the result being
    /// computed), `succeeded`, `failed` or `cancelled`; default: open campaigns
    /// (upcoming, ongoing and settling).
    pub status: Option<CampaignStatus>,
}

type Shown = group_buy_community::Entity;

pub(super) fn validate(new: &NewGroupBuy, now: DateTime<Utc>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let title = new.title.trim().chars().count();
    if title == 0 || title > 60 {
        errors.push(FieldError::new("title", "标题须为 1-60 个字符"));
    }
    if new.description.trim().chars().count() > 500 {
        errors.push(FieldError::new("description", "介绍不能超过 500 个字符"));
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
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id))]
pub async fn create(
    db: &DatabaseConnection,
    me: &AuthUser,
    merchant_id: i64,
    new: NewGroupBuy,
) -> ApiResult<GroupBuyView> {
    let merchant = require_owner(db, merchant_id, me).await?;
    if merchant.status != MerchantStatus::Active {
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
    let served =
        community_links::communities_of_one::<entity::merchant_community::Entity>(db, merchant_id)
            .await?;
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
        description: Set(new.description.trim().to_owned()),
        pickup_address: Set(new.pickup_address.trim().to_owned()),
        pickup_starts_at: Set(time::normalise(new.pickup_starts_at)),
        pickup_ends_at: Set(time::normalise(new.pickup_ends_at)),
        state: Set(CampaignState::Open),
        settled_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    community_links::link::<Shown>(&txn, saved.id, &community_ids).await?;
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
                .and_where(Expr::col(merchant::Column::Status).eq(MerchantStatus::Active))
                .to_owned(),
        ),
    )
}

/// Campaigns whose public status is `status` at `now`.
pub fn status_condition(status: CampaignStatus, now: DateTime<Utc>) -> Condition {
    let open = Condition::all().add(group_buy::Column::State.eq(CampaignState::Open));
    match status {
        CampaignStatus::Upcoming => open.add(group_buy::Column::StartsAt.gt(now)),
        CampaignStatus::Ongoing => open
            .add(group_buy::Column::StartsAt.lte(now))
            .add(group_buy::Column::EndsAt.gt(now)),
        CampaignStatus::Settling => open.add(group_buy::Column::EndsAt.lte(now)),
        CampaignStatus::Succeeded => {
            Condition::all().add(group_buy::Column::State.eq(CampaignState::Succeeded))
        }
        CampaignStatus::Failed => {
            Condition::all().add(group_buy::Column::State.eq(CampaignState::Failed))
        }
        CampaignStatus::Cancelled => {
            Condition::all().add(group_buy::Column::State.eq(CampaignState::Cancelled))
        }
    }
}

pub async fn list(
    db: &impl ConnectionTrait,
    media: &crate::media::MediaStore,
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
    cond = match query.status {
        None => cond.add(group_buy::Column::State.eq(CampaignState::Open)),
        Some(status) => cond.add(status_condition(status, now)),
    };
    let select = group_buy::Entity::find()
        .filter(cond)
        .order_by_asc(group_buy::Column::EndsAt)
        .order_by_asc(group_buy::Column::Id);
    page.fetch(db, select)
        .await?
        .map_batch(|rows| async move {
            super::cards::with_cards(db, media, views(db, rows, now).await?).await
        })
        .await
}

/// The owner's campaigns, newest first, in every state or in `status`
/// (settling included: the counter sees campaigns past their cut-off).
#[tracing::instrument(skip_all, fields(merchant_id))]
pub async fn list_for_owner(
    db: &impl ConnectionTrait,
    media: &crate::media::MediaStore,
    merchant_id: i64,
    status: Option<CampaignStatus>,
    page: Page,
) -> ApiResult<Paged<GroupBuyView>> {
    let now = time::now();
    let mut select =
        group_buy::Entity::find().filter(group_buy::Column::MerchantId.eq(merchant_id));
    if let Some(status) = status {
        select = select.filter(status_condition(status, now));
    }
    let select = select
        .order_by_desc(group_buy::Column::CreatedAt)
        .order_by_desc(group_buy::Column::Id);
    page.fetch(db, select)
        .await?
        .map_batch(|rows| async move {
            super::cards::with_cards(db, media, views(db, rows, now).await?).await
        })
        .await
}

async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<group_buy::Model>,
    now: DateTime<Utc>,
) -> ApiResult<Vec<GroupBuyView>> {
    let ids: Vec<i64> = rows.iter().map(|g| g.id).collect();
    let mut communities = community_links::communities_of::<Shown>(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|g| {
            let c = communities.remove(&g.id).unwrap_or_default();
            view(g, c, now)
        })
        .collect())
}

/// A campaign as the public sees it: 404 when its merchant is suspended.
pub async fn get_public(db: &impl ConnectionTrait, id: i64) -> ApiResult<GroupBuyView> {
    let gb = group_buy::Entity::find_by_id(id)
        .filter(visible())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::GroupBuyNotFound))?;
    let communities = community_links::communities_of_one::<Shown>(db, id).await?;
    Ok(view(gb, communities, time::now()))
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<group_buy::Model> {
    group_buy::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::GroupBuyNotFound))
}

/// Cancels a campaign (its merchant, or an admin of all its communities):
/// every live order is cancelled (refunded where paid) and the unsold stock
/// returns. Only open or succeeded campaigns can be cancelled.
#[tracing::instrument(skip_all, fields(user_id = me.id(), group_buy_id = id))]
pub async fn cancel(db: &DatabaseConnection, me: &AuthUser, id: i64) -> ApiResult<GroupBuyView> {
    let gb = find(db, id).await?;
    let is_owner = merchant::Entity::find_by_id(gb.merchant_id)
        .one(db)
        .await?
        .is_some_and(|m| m.owner_user_id == me.id());
    if !is_owner {
        let communities = community_links::communities_of_one::<Shown>(db, id).await?;
        // It is withdrawn from every community it is shown in: rights over all.
        me.require_admin_of_all(db, &communities).await?;
    }
    let now = time::now();
    let txn = crate::db::begin_write(db).await?;
    // The state this cancel ends is the one its conditional update matched
    // inside the transaction, never the one read above: a settlement
    // committing in between (open → succeeded, unsold stock returned) makes
    // the first update miss and the second decide what still returns.
    let mut ended = None;
    for from in [CampaignState::Open, CampaignState::Succeeded] {
        let changed = group_buy::Entity::update_many()
            .col_expr(
                group_buy::Column::State,
                Expr::value(CampaignState::Cancelled),
            )
            .col_expr(group_buy::Column::SettledAt, Expr::value(now))
            .filter(group_buy::Column::Id.eq(id))
            .filter(group_buy::Column::State.eq(from))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 1 {
            ended = Some(from);
            break;
        }
    }
    let Some(ended) = ended else {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("该团购已结束或已取消"));
    };
    let ending = OrderStatus::all_where(OrderStatus::ends_with_its_campaign);
    let cancelled_quantity =
        cancel_orders_of(&txn, id, &ending, RefundReason::CampaignCancelled, now).await?;
    // An open campaign still holds its whole reservation; a succeeded one
    // returned its unsold part at settlement and now returns what was not handed over.
    let back = if ended == CampaignState::Open {
        gb.total_quantity
    } else {
        cancelled_quantity
    };
    market::release_stock(&txn, gb.goods_id, back).await?;
    txn.commit().await?;
    let fresh = find(db, id).await?;
    let communities = community_links::communities_of_one::<Shown>(db, id).await?;
    Ok(view(fresh, communities, now))
}
