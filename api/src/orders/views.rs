//! An order as its resident and as its merchant see it.

use chrono::{DateTime, Utc};
use entity::order::{self, Fulfilment, OrderKind, OrderStatus, PaymentProvider};
use entity::{order_line, user};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::fields::mask_phone;
use crate::money::Money;

/// One goods of a shop order, as it was when ordered.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LineView {
    /// The line's id (an after-sales request names lines by it).
    pub id: i64,
    pub goods_id: i64,
    pub name: String,
    pub unit: String,
    pub price: Money,
    pub image: Option<String>,
    pub quantity: i64,
    pub amount: Money,
}

impl From<&order_line::Model> for LineView {
    fn from(l: &order_line::Model) -> Self {
        Self {
            id: l.id,
            goods_id: l.goods_id,
            name: l.name.clone(),
            unit: l.unit.clone(),
            price: Money::from_fen(l.price_fen),
            image: l.image.clone(),
            quantity: l.quantity,
            amount: Money::from_fen(l.amount_fen),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderView {
    pub order_no: String,
    pub kind: OrderKind,
    /// The campaign of a group-buy order; null for a shop order.
    pub group_buy_id: Option<i64>,
    pub merchant_id: i64,
    pub quantity: i64,
    pub unit_price: Money,
    /// What the resident pays: the goods plus the delivery fee.
    pub amount: Money,
    pub status: OrderStatus,
    pub payment_provider: PaymentProvider,
    /// Shown to the order's owner only, once the order awaits pickup.
    pub pickup_code: Option<String>,
    /// A shop order's fulfilment; null for a group-buy order.
    pub fulfilment: Option<Fulfilment>,
    pub delivery_address: Option<String>,
    pub delivery_fee: Money,
    pub note: String,
    /// Why the merchant declined it.
    pub decline_reason: Option<String>,
    /// A shop order's goods (empty for a group-buy order).
    pub lines: Vec<LineView>,
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

/// The pickup code is out once the order waits at the counter.
fn awaits_pickup(status: OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::AwaitingPickup | OrderStatus::ReadyForPickup
    )
}

impl OrderView {
    pub fn new(o: &order::Model, viewer: Viewer) -> Self {
        Self::with_lines(o, &[], viewer)
    }

    pub fn with_lines(o: &order::Model, lines: &[order_line::Model], viewer: Viewer) -> Self {
        Self {
            order_no: o.order_no.clone(),
            kind: o.kind,
            group_buy_id: o.group_buy_id,
            merchant_id: o.merchant_id,
            quantity: o.quantity,
            unit_price: Money::from_fen(o.unit_price_fen),
            amount: Money::from_fen(o.amount_fen),
            status: o.status,
            payment_provider: o.payment_provider,
            pickup_code: if viewer == Viewer::Owner && awaits_pickup(o.status) {
                o.pickup_code.clone()
            } else {
                None
            },
            fulfilment: o.fulfilment,
            delivery_address: o.delivery_address.clone(),
            delivery_fee: Money::from_fen(o.delivery_fee_fen),
            note: o.note.clone(),
            decline_reason: o.decline_reason.clone(),
            lines: lines.iter().map(LineView::from).collect(),
            created_at: o.created_at,
        }
    }
}

/// A merchant's view of an order: who (masked), what, which state.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MerchantOrderView {
    pub order_no: String,
    pub kind: OrderKind,
    pub group_buy_id: Option<i64>,
    pub user_id: i64,
    pub nickname: String,
    /// Masked, e.g. `138****8000`; in full to the owning merchant once it
    /// accepted a delivery order (the courier calls).
    pub phone: Option<String>,
    pub quantity: i64,
    pub amount: Money,
    pub delivery_fee: Money,
    pub status: OrderStatus,
    pub fulfilment: Option<Fulfilment>,
    pub delivery_address: Option<String>,
    pub note: String,
    pub lines: Vec<LineView>,
    pub created_at: DateTime<Utc>,
    pub picked_up_at: Option<DateTime<Utc>>,
}

/// The buyer's phone shows in full only for a delivery the merchant accepted.
fn shows_full_phone(o: &order::Model) -> bool {
    o.fulfilment == Some(Fulfilment::Delivery)
        && matches!(
            o.status,
            OrderStatus::Accepted | OrderStatus::Delivering | OrderStatus::Completed
        )
}

impl MerchantOrderView {
    /// The order as its merchant sees it; `buyer` is the ordering resident.
    pub fn from_model(o: &order::Model, buyer: Option<&user::Model>) -> Self {
        Self::with_lines(o, &[], buyer)
    }

    pub fn with_lines(
        o: &order::Model,
        lines: &[order_line::Model],
        buyer: Option<&user::Model>,
    ) -> Self {
        let phone = buyer.and_then(|u| u.phone.as_deref()).map(|p| {
            if shows_full_phone(o) {
                p.to_owned()
            } else {
                mask_phone(p)
            }
        });
        Self {
            order_no: o.order_no.clone(),
            kind: o.kind,
            group_buy_id: o.group_buy_id,
            user_id: o.user_id,
            nickname: buyer.map(|u| u.nickname.clone()).unwrap_or_default(),
            phone,
            quantity: o.quantity,
            amount: Money::from_fen(o.amount_fen),
            delivery_fee: Money::from_fen(o.delivery_fee_fen),
            status: o.status,
            fulfilment: o.fulfilment,
            delivery_address: o.delivery_address.clone(),
            note: o.note.clone(),
            lines: lines.iter().map(LineView::from).collect(),
            created_at: o.created_at,
            picked_up_at: o.picked_up_at,
        }
    }
}
