//! What an order must pass before anything is written.

use chrono::{DateTime, Utc};
use entity::group_buy_participant;
use entity::order::{self, OrderKind, OrderStatus, PaymentProvider};
use sea_orm::{IntoActiveModel, NotSet, Set};

use super::service::GroupBuyView;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::money::Money;
use crate::orders::numbers::new_order_no;
use crate::orders::payments;
use crate::orders::views::{OrderView, Viewer};
use crate::time;

/// An order that passed every check made before writing, ready to be
/// written alone ([`super::order_writes::place_alone`]) or in a batch
/// ([`super::batches`]).
pub struct CheckedOrder {
    pub user_id: i64,
    pub group_buy_id: i64,
    pub merchant_id: i64,
    pub per_user_limit: i64,
    pub quantity: i64,
    pub unit_price: Money,
    pub amount: Money,
    pub provider: PaymentProvider,
    pub payment_timeout_secs: i64,
}

/// Checks an order against the campaign as read before writing (perhaps
/// from the cache): a positive quantity (422), the resident's community
/// (403), the campaign ongoing (409 `NOT_ONGOING`), the quantity within the
/// per-user limit (409 `PER_USER_LIMIT`). Its terms never change once it is
/// opened; what may change, its state and remaining quantity, is checked
/// again by the writes.
pub fn check_order(
    gb: &GroupBuyView,
    me: &AuthUser,
    quantity: i64,
    provider: PaymentProvider,
    payment_timeout_secs: i64,
) -> ApiResult<CheckedOrder> {
    if quantity < 1 {
        return Err(ApiError::field("quantity", "数量须至少为 1"));
    }
    match me.user.community_id {
        Some(c) if gb.community_ids.contains(&c) => {}
        _ => {
            return Err(ApiError::new(ErrorCode::Forbidden).message("该团购不面向您所在的社区"));
        }
    }
    // By the clock now: the view may have been read a few seconds ago.
    let now = time::now();
    if !(gb.status.is_open() && gb.starts_at <= now && now < gb.ends_at) {
        return Err(ErrorCode::NotOngoing.into());
    }
    // More than the limit in one order is the limit rule, like any order
    // that would take the resident over it.
    if quantity > gb.per_user_limit {
        return Err(ErrorCode::PerUserLimit.into());
    }
    let amount = gb
        .group_price
        .times(quantity)
        .ok_or_else(|| ApiError::field("quantity", "金额过大"))?;
    Ok(CheckedOrder {
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

impl CheckedOrder {
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
        let status = payments::initial_status(self.provider);
        let placed = order::Model {
            id: 0,
            order_no: new_order_no(now),
            group_buy_id: Some(self.group_buy_id),
            merchant_id: self.merchant_id,
            kind: OrderKind::GroupBuy,
            user_id: self.user_id,
            quantity: self.quantity,
            unit_price_fen: self.unit_price.fen(),
            amount_fen: self.amount.fen(),
            status,
            payment_provider: self.provider,
            payment_ref: None,
            paid_at: None,
            pickup_code: None,
            picked_up_at: None,
            cancelled_at: None,
            refunded_at: None,
            expires_at: (status == OrderStatus::PendingPayment)
                .then(|| now + chrono::Duration::seconds(self.payment_timeout_secs)),
            fulfilment: None,
            delivery_address: None,
            delivery_fee_fen: 0,
            note: String::new(),
            decline_reason: None,
            accepted_at: None,
            delivering_at: None,
            completed_at: None,
            created_at: now,
            updated_at: now,
            refunded_fen: 0,
        };
        let view = OrderView::new(&placed, Viewer::Owner);
        let mut row = placed.into_active_model();
        row.id = NotSet;
        (row, view)
    }
}
