//! Orders: placing (the atomic check-and-decrement), cancelling, reading,
//! and pickup at the merchant's counter.

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use entity::{group_buy, group_buy_participant, order, user};
use rand::Rng;
use sea_orm::sea_query::{Alias, Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::market;
use super::payments::{self, Provider};
use super::service::{self, OPEN};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::idempotency::Attempt;
use crate::me::mask_phone;
use crate::money::Money;
use crate::pagination::{Page, Paged};
use crate::time;

/// Orders that hold quantity in a campaign.
pub const LIVE: [&str; 4] = ["pending_payment", "placed", "awaiting_pickup", "picked_up"];
pub const STATUSES: [&str; 7] = [
    "pending_payment",
    "placed",
    "awaiting_pickup",
    "picked_up",
    "cancelled",
    "refunded",
    "expired",
];

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderView {
    pub order_no: String,
    pub group_buy_id: i64,
    pub quantity: i64,
    pub unit_price: Money,
    pub amount: Money,
    /// pending_payment, placed, awaiting_pickup, picked_up, cancelled, refunded or expired.
    pub status: String,
    pub payment_provider: String,
    /// Shown to the order's owner only, once the order awaits pickup.
    pub pickup_code: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl OrderView {
    /// `with_code`: the caller owns the order.
    pub fn from_model(o: &order::Model, with_code: bool) -> Self {
        Self {
            order_no: o.order_no.clone(),
            group_buy_id: o.group_buy_id,
            quantity: o.quantity,
            unit_price: Money::from_fen(o.unit_price_fen),
            amount: Money::from_fen(o.amount_fen),
            status: o.status.clone(),
            payment_provider: o.payment_provider.clone(),
            pickup_code: if with_code && o.status == "awaiting_pickup" {
                o.pickup_code.clone()
            } else {
                None
            },
            created_at: o.created_at,
        }
    }
}

/// A merchant's view of an order: who (masked), how many, which state.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MerchantOrderView {
    pub order_no: String,
    pub group_buy_id: i64,
    pub user_id: i64,
    pub nickname: String,
    /// Masked, e.g. `138****8000`.
    pub phone: Option<String>,
    pub quantity: i64,
    pub amount: Money,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub picked_up_at: Option<DateTime<Utc>>,
}

impl MerchantOrderView {
    /// The order as its merchant sees it; `buyer` is the ordering resident.
    pub fn from_model(o: order::Model, buyer: Option<&user::Model>) -> Self {
        Self {
            order_no: o.order_no,
            group_buy_id: o.group_buy_id,
            user_id: o.user_id,
            nickname: buyer.map(|u| u.nickname.clone()).unwrap_or_default(),
            phone: buyer.and_then(|u| u.phone.as_deref().map(mask_phone)),
            quantity: o.quantity,
            amount: Money::from_fen(o.amount_fen),
            status: o.status,
            created_at: o.created_at,
            picked_up_at: o.picked_up_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewOrder {
    /// 1..=the campaign's per-user limit.
    pub quantity: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    pub status: Option<String>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MerchantOrderQuery {
    pub group_buy_id: Option<i64>,
    pub status: Option<String>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PickupRequest {
    pub pickup_code: String,
}

pub fn check_status_filter(status: Option<&str>) -> ApiResult<()> {
    match status {
        Some(s) if !STATUSES.contains(&s) => Err(ApiError::new(ErrorCode::InvalidQuery).details(
            serde_json::json!({ "fields": [FieldError::new("status", format!("须为 {}", STATUSES.join(", ")))] }),
        )),
        _ => Ok(()),
    }
}

/// Unguessable: a date for people, then 16 random characters.
fn new_order_no(now: DateTime<Utc>) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let tail: String = (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}{}", now.format("%Y%m%d"), tail)
}

fn new_pickup_code() -> String {
    format!("{:08}", rand::rng().random_range(0..100_000_000u32))
}

/// An order that passed every check made before writing, ready to be
/// written alone ([`place`]) or with others (`desk`).
pub struct Ticket {
    pub user_id: i64,
    pub group_buy_id: i64,
    pub merchant_id: i64,
    pub per_user_limit: i64,
    pub quantity: i64,
    pub unit_price: Money,
    pub amount: Money,
    pub provider: Provider,
    pub payment_timeout_secs: i64,
}

/// Checks an order against the campaign as read before writing (perhaps
/// from the cache): quantity within the per-user limit, the resident's
/// community, the campaign ongoing. Its terms never change once it is
/// opened; what may change, its state and remaining quantity, is checked
/// again by the writes.
pub fn ticket(
    gb: &service::GroupBuyView,
    me: &AuthUser,
    quantity: i64,
    provider: Provider,
    payment_timeout_secs: i64,
) -> ApiResult<Ticket> {
    if quantity < 1 || quantity > gb.per_user_limit {
        return Err(ApiError::field(
            "quantity",
            &format!("数量须在 1-{} 之间", gb.per_user_limit),
        ));
    }
    match me.user.community_id {
        Some(c) if gb.community_ids.contains(&c) => {}
        _ => {
            return Err(ApiError::new(ErrorCode::Forbidden).message("该团购不面向您所在的社区"));
        }
    }
    // By the clock now: the view may have been read a few seconds ago.
    let now = time::now();
    let open = matches!(gb.status.as_str(), "upcoming" | "ongoing" | "settling");
    if !(open && gb.starts_at <= now && now < gb.ends_at) {
        return Err(ErrorCode::NotOngoing.into());
    }
    let amount = gb
        .group_price
        .times(quantity)
        .ok_or_else(|| ApiError::field("quantity", "金额过大"))?;
    Ok(Ticket {
        user_id: me.id(),
        group_buy_id: gb.id,
        merchant_id: gb.merchant_id,
        per_user_limit: gb.per_user_limit,
        quantity,
        unit_price: gb.group_price,
        amount,
        provider,
        payment_timeout_secs,
    })
}

impl Ticket {
    /// The resident's participation, added to their running total if it
    /// stays within the limit (the conflict update's condition).
    pub(super) fn participation(&self) -> group_buy_participant::ActiveModel {
        group_buy_participant::ActiveModel {
            group_buy_id: Set(self.group_buy_id),
            user_id: Set(self.user_id),
            quantity: Set(self.quantity),
        }
    }

    /// The order row and the answer its resident gets.
    pub(super) fn order(&self, now: DateTime<Utc>) -> (order::ActiveModel, OrderView) {
        let status = self.provider.initial_status();
        let order_no = new_order_no(now);
        let row = order::ActiveModel {
            order_no: Set(order_no.clone()),
            group_buy_id: Set(self.group_buy_id),
            merchant_id: Set(self.merchant_id),
            user_id: Set(self.user_id),
            quantity: Set(self.quantity),
            unit_price_fen: Set(self.unit_price.fen()),
            amount_fen: Set(self.amount.fen()),
            status: Set(status.to_owned()),
            payment_provider: Set(self.provider.as_str().to_owned()),
            expires_at: Set((status == "pending_payment")
                .then(|| now + chrono::Duration::seconds(self.payment_timeout_secs))),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        let view = OrderView {
            order_no,
            group_buy_id: self.group_buy_id,
            quantity: self.quantity,
            unit_price: self.unit_price,
            amount: self.amount,
            status: status.to_owned(),
            payment_provider: self.provider.as_str().to_owned(),
            pickup_code: None,
            created_at: now,
        };
        (row, view)
    }
}

/// Adds residents' quantities to their running totals in one statement;
/// a resident whose total would pass the limit is left as they were.
/// Returns the residents whose quantity was added.
pub(super) async fn join(
    txn: &impl ConnectionTrait,
    per_user_limit: i64,
    tickets: impl IntoIterator<Item = &Ticket>,
) -> ApiResult<Vec<i64>> {
    let mine = Expr::col((
        group_buy_participant::Entity,
        group_buy_participant::Column::Quantity,
    ));
    let theirs = Expr::col((
        Alias::new("excluded"),
        group_buy_participant::Column::Quantity,
    ));
    let joined =
        group_buy_participant::Entity::insert_many(tickets.into_iter().map(Ticket::participation))
            .on_conflict(
                OnConflict::columns([
                    group_buy_participant::Column::GroupBuyId,
                    group_buy_participant::Column::UserId,
                ])
                .value(
                    group_buy_participant::Column::Quantity,
                    mine.clone().add(theirs.clone()),
                )
                .action_and_where(mine.add(theirs).lte(per_user_limit))
                .to_owned(),
            )
            .exec_with_returning(txn)
            .await?;
    Ok(joined.into_iter().map(|p| p.user_id).collect())
}

/// Takes `quantity` over `orders` orders from an open, ongoing campaign if
/// that much remains; false when it does not (or the campaign closed).
pub(super) async fn take(
    txn: &impl ConnectionTrait,
    group_buy_id: i64,
    quantity: i64,
    orders: i64,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let taken = group_buy::Entity::update_many()
        .col_expr(
            group_buy::Column::OrderedQuantity,
            Expr::col(group_buy::Column::OrderedQuantity).add(quantity),
        )
        .col_expr(
            group_buy::Column::OrdersCount,
            Expr::col(group_buy::Column::OrdersCount).add(orders),
        )
        .filter(group_buy::Column::Id.eq(group_buy_id))
        .filter(group_buy::Column::State.eq(OPEN))
        .filter(group_buy::Column::StartsAt.lte(now))
        .filter(group_buy::Column::EndsAt.gt(now))
        .filter(
            Expr::col(group_buy::Column::OrderedQuantity)
                .add(quantity)
                .lte(Expr::col(group_buy::Column::TotalQuantity)),
        )
        .exec(txn)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Places one order in the attempt's write transaction: the per-user limit
/// and the campaign's remaining quantity are checked and taken by
/// conditional writes, so concurrent orders can neither oversell nor exceed
/// a limit. The campaign row, which every order of a hot campaign updates,
/// is written last, after the idempotent answer is saved, so that PostgreSQL
/// holds its lock only until the commit. Most orders are placed in batches
/// by the `desk`; this is the way for those a batch could not place, and the
/// one that answers with the exact error.
///
/// The ticket was checked against the campaign as read before the
/// transaction (so that SQLite's single writer does not wait on reads);
/// whatever may have changed since, its state, window and remaining
/// quantity, is checked again by the writes.
pub async fn place(attempt: &mut Attempt, t: &Ticket) -> ApiResult<OrderView> {
    let now = time::now();
    let txn = attempt.txn();
    if join(txn, t.per_user_limit, [t]).await?.is_empty() {
        return Err(ErrorCode::PerUserLimit.into());
    }
    let (row, placed) = t.order(now);
    order::Entity::insert(row)
        .exec_without_returning(txn)
        .await?;
    let answer = serde_json::to_value(&placed).map_err(ApiError::internal)?;
    if !attempt
        .save_answer_early(StatusCode::CREATED, &answer)
        .await?
    {
        // The same key won meanwhile; `finish` answers with its answer.
        return Err(ErrorCode::IdempotencyInProgress.into());
    }
    let txn = attempt.txn();
    if !take(txn, t.group_buy_id, t.quantity, 1, now).await? {
        let current = service::find(txn, t.group_buy_id).await?;
        let ongoing = current.state == OPEN && current.starts_at <= now && current.ends_at > now;
        return Err(if ongoing {
            ErrorCode::SoldOut
        } else {
            ErrorCode::NotOngoing
        }
        .into());
    }
    Ok(placed)
}

/// The caller's own order; another resident's is 404.
pub async fn own(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    order_no: &str,
) -> ApiResult<order::Model> {
    order::Entity::find()
        .filter(order::Column::OrderNo.eq(order_no))
        .filter(order::Column::UserId.eq(me.id()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::OrderNotFound))
}

pub async fn list_mine(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    status: Option<&str>,
    page: Page,
) -> ApiResult<Paged<OrderView>> {
    check_status_filter(status)?;
    let mut select = order::Entity::find().filter(order::Column::UserId.eq(me.id()));
    if let Some(s) = status {
        select = select.filter(order::Column::Status.eq(s));
    }
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_desc(order::Column::CreatedAt)
        .order_by_desc(order::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok(Paged::new(
        rows.iter()
            .map(|o| OrderView::from_model(o, true))
            .collect(),
        page,
        total,
    ))
}

/// Takes a live order's quantity back out of its campaign's counters.
pub(super) async fn give_back(txn: &impl ConnectionTrait, o: &order::Model) -> ApiResult<()> {
    group_buy::Entity::update_many()
        .col_expr(
            group_buy::Column::OrderedQuantity,
            Expr::col(group_buy::Column::OrderedQuantity).sub(o.quantity),
        )
        .col_expr(
            group_buy::Column::OrdersCount,
            Expr::col(group_buy::Column::OrdersCount).sub(1),
        )
        .filter(group_buy::Column::Id.eq(o.group_buy_id))
        .exec(txn)
        .await?;
    group_buy_participant::Entity::update_many()
        .col_expr(
            group_buy_participant::Column::Quantity,
            Expr::col(group_buy_participant::Column::Quantity).sub(o.quantity),
        )
        .filter(group_buy_participant::Column::GroupBuyId.eq(o.group_buy_id))
        .filter(group_buy_participant::Column::UserId.eq(o.user_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The resident cancels before cut-off; the quantity returns to the campaign.
pub async fn cancel_mine(
    db: &DatabaseConnection,
    me: &AuthUser,
    order_no: &str,
) -> ApiResult<OrderView> {
    let o = own(db, me, order_no).await?;
    let gb = service::find(db, o.group_buy_id).await?;
    let now = time::now();
    if gb.state != OPEN || gb.ends_at <= now {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("已截单，不能取消"));
    }
    let txn = crate::db::begin_write(db).await?;
    let next = if payments::refund_needed(&o) {
        "refunded"
    } else {
        "cancelled"
    };
    let changed = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(next))
        .col_expr(order::Column::CancelledAt, Expr::value(now))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(o.id))
        .filter(order::Column::Status.is_in(["pending_payment", "placed"]))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("订单当前状态不能取消"));
    }
    // The cut-off may have passed while we worked: only give back to an open campaign.
    let still_open = group_buy::Entity::find_by_id(gb.id)
        .filter(group_buy::Column::State.eq(OPEN))
        .filter(group_buy::Column::EndsAt.gt(now))
        .count(&txn)
        .await?;
    if still_open != 1 {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("已截单，不能取消"));
    }
    give_back(&txn, &o).await?;
    txn.commit().await?;
    let fresh = own(db, me, order_no).await?;
    Ok(OrderView::from_model(&fresh, true))
}

/// Cancels (or refunds, where paid) every order of a campaign in `statuses`;
/// answers the quantity cancelled. Runs inside the caller's transaction.
pub async fn cancel_orders_of(
    txn: &impl ConnectionTrait,
    group_buy_id: i64,
    statuses: &[&str],
    now: DateTime<Utc>,
) -> ApiResult<i64> {
    let orders = order::Entity::find()
        .filter(order::Column::GroupBuyId.eq(group_buy_id))
        .filter(order::Column::Status.is_in(statuses.to_vec()))
        .all(txn)
        .await?;
    let mut quantity = 0;
    for o in orders {
        let next = if payments::refund_needed(&o) {
            "refunded"
        } else {
            "cancelled"
        };
        let refunded_at = (next == "refunded").then_some(now);
        let changed = order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(next))
            .col_expr(order::Column::CancelledAt, Expr::value(now))
            .col_expr(order::Column::RefundedAt, Expr::value(refunded_at))
            .col_expr(order::Column::UpdatedAt, Expr::value(now))
            .filter(order::Column::Id.eq(o.id))
            .filter(order::Column::Status.eq(o.status.as_str()))
            .exec(txn)
            .await?;
        if changed.rows_affected == 1 {
            quantity += o.quantity;
        }
    }
    Ok(quantity)
}

/// Expires a campaign's unpaid orders and gives their quantity back;
/// answers how many expired. Runs inside the caller's transaction.
pub async fn expire_pending_of(
    txn: &impl ConnectionTrait,
    group_buy_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<u64> {
    let pending = order::Entity::find()
        .filter(order::Column::GroupBuyId.eq(group_buy_id))
        .filter(order::Column::Status.eq("pending_payment"))
        .all(txn)
        .await?;
    let mut expired = 0;
    for o in pending {
        let changed = order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value("expired"))
            .col_expr(order::Column::UpdatedAt, Expr::value(now))
            .filter(order::Column::Id.eq(o.id))
            .filter(order::Column::Status.eq("pending_payment"))
            .exec(txn)
            .await?;
        if changed.rows_affected == 1 {
            give_back(txn, &o).await?;
            expired += 1;
        }
    }
    Ok(expired)
}

/// Expires unpaid orders past their payment deadline, releasing their
/// quantity; answers how many expired.
pub async fn expire_overdue(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<u64> {
    let overdue = order::Entity::find()
        .filter(order::Column::Status.eq("pending_payment"))
        .filter(order::Column::ExpiresAt.lte(now))
        .limit(500)
        .all(db)
        .await?;
    let mut expired = 0;
    for o in overdue {
        let txn = crate::db::begin_write(db).await?;
        let changed = order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value("expired"))
            .col_expr(order::Column::UpdatedAt, Expr::value(now))
            .filter(order::Column::Id.eq(o.id))
            .filter(order::Column::Status.eq("pending_payment"))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 1 {
            give_back(&txn, &o).await?;
            expired += 1;
        }
        txn.commit().await?;
    }
    Ok(expired)
}

/// Gives a succeeded campaign's placed orders their pickup codes. Codes are
/// unique across all orders; a collision retries inside a savepoint.
pub async fn assign_pickup_codes(
    txn: &sea_orm::DatabaseTransaction,
    group_buy_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<u64> {
    let orders = order::Entity::find()
        .filter(order::Column::GroupBuyId.eq(group_buy_id))
        .filter(order::Column::Status.eq("placed"))
        .all(txn)
        .await?;
    let mut done = 0;
    for o in orders {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let sp = txn.begin().await?;
            let res = order::Entity::update_many()
                .col_expr(order::Column::Status, Expr::value("awaiting_pickup"))
                .col_expr(order::Column::PickupCode, Expr::value(new_pickup_code()))
                .col_expr(order::Column::UpdatedAt, Expr::value(now))
                .filter(order::Column::Id.eq(o.id))
                .filter(order::Column::Status.eq("placed"))
                .exec(&sp)
                .await;
            match res {
                Ok(_) => {
                    sp.commit().await?;
                    done += 1;
                    break;
                }
                Err(err) if attempts < 5 && crate::db::is_duplicate(&err) => {
                    sp.rollback().await?;
                }
                Err(err) => return Err(err.into()),
            }
        }
    }
    Ok(done)
}

/// Hands an order over at the counter: the code must belong to this
/// merchant's order that awaits pickup; used once.
pub async fn pick_up(
    db: &DatabaseConnection,
    merchant_id: i64,
    code: &str,
) -> ApiResult<OrderView> {
    let code = code.trim();
    if code.is_empty() || code.len() > 16 {
        return Err(ApiError::field("pickup_code", "请输入提货码"));
    }
    let now = time::now();
    let txn = crate::db::begin_write(db).await?;
    let changed = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value("picked_up"))
        .col_expr(order::Column::PickedUpAt, Expr::value(now))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::PickupCode.eq(code))
        .filter(order::Column::MerchantId.eq(merchant_id))
        .filter(order::Column::Status.eq("awaiting_pickup"))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ErrorCode::PickupCodeInvalid.into());
    }
    let o = order::Entity::find()
        .filter(order::Column::PickupCode.eq(code))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::PickupCodeInvalid))?;
    let gb = service::find(&txn, o.group_buy_id).await?;
    market::add_sales(&txn, gb.goods_id, o.quantity).await?;
    txn.commit().await?;
    Ok(OrderView::from_model(&o, false))
}

pub async fn list_for_merchant(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    group_buy_id: Option<i64>,
    status: Option<&str>,
    page: Option<Page>,
) -> ApiResult<Paged<MerchantOrderView>> {
    check_status_filter(status)?;
    let mut select = order::Entity::find().filter(order::Column::MerchantId.eq(merchant_id));
    if let Some(g) = group_buy_id {
        select = select.filter(order::Column::GroupBuyId.eq(g));
    }
    if let Some(s) = status {
        select = select.filter(order::Column::Status.eq(s));
    }
    let total = select.clone().count(db).await?;
    let mut select = select
        .order_by_asc(order::Column::CreatedAt)
        .order_by_asc(order::Column::Id);
    if let Some(p) = page {
        select = select.offset(p.offset()).limit(p.page_size);
    }
    let rows = select.all(db).await?;
    let user_ids: Vec<i64> = rows.iter().map(|o| o.user_id).collect();
    let users: std::collections::HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let items = rows
        .into_iter()
        .map(|o| {
            let buyer = users.get(&o.user_id);
            MerchantOrderView::from_model(o, buyer)
        })
        .collect();
    let page = page.unwrap_or(Page {
        page: 1,
        page_size: Ord::max(total, 1),
    });
    Ok(Paged::new(items, page, total))
}

/// The counter's pickup list as CSV: order no, nickname, masked phone,
/// quantity, pickup code, status.
pub async fn pickup_csv(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    group_buy_id: i64,
) -> ApiResult<String> {
    let list = list_for_merchant(db, merchant_id, Some(group_buy_id), None, None).await?;
    let codes: std::collections::HashMap<String, Option<String>> = order::Entity::find()
        .filter(order::Column::GroupBuyId.eq(group_buy_id))
        .filter(order::Column::MerchantId.eq(merchant_id))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.order_no, o.pickup_code))
        .collect();
    let mut out = String::from("order_no,nickname,phone,quantity,pickup_code,status\n");
    for o in list.items {
        let code = codes
            .get(&o.order_no)
            .cloned()
            .flatten()
            .unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            csv_field(&o.order_no),
            csv_field(&o.nickname),
            csv_field(o.phone.as_deref().unwrap_or("")),
            o.quantity,
            csv_field(&code),
            csv_field(&o.status)
        ));
    }
    Ok(out)
}

/// Quotes a CSV field when needed and defuses spreadsheet formulas.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_and_codes_have_their_shapes() {
        let now = time::now();
        let a = new_order_no(now);
        assert_eq!(a.len(), 24);
        assert_ne!(a, new_order_no(now));
        let code = new_pickup_code();
        assert_eq!(code.len(), 8);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("王芳"), "王芳");
    }
}
