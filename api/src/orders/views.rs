//! An order as its resident and as its merchant see it.

use chrono::{DateTime, Utc};
use entity::order::{self, OrderStatus, PaymentProvider};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::money::Money;

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderView {
    pub order_no: String,
    pub group_buy_id: i64,
    pub quantity: i64,
    pub unit_price: Money,
    pub amount: Money,
    pub status: OrderStatus,
    pub payment_provider: PaymentProvider,
    /// Shown to the order's owner only, once the order awaits pickup.
    pub pickup_code: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Who is looking at an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    /// The resident who placed it: sees the pickup code.
    Owner,
    /// The merchant at the counter.
    Merchant,
}

impl OrderView {
    pub fn new(o: &order::Model, viewer: Viewer) -> Self {
        Self {
            order_no: o.order_no.clone(),
            group_buy_id: o.group_buy_id,
            quantity: o.quantity,
            unit_price: Money::from_fen(o.unit_price_fen),
            amount: Money::from_fen(o.amount_fen),
            status: o.status,
            payment_provider: o.payment_provider,
            pickup_code: if viewer == Viewer::Owner && o.status == OrderStatus::AwaitingPickup {
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
    pub status: OrderStatus,
    pub created_at: DateTime<Utc>,
    pub picked_up_at: Option<DateTime<Utc>>,
}
