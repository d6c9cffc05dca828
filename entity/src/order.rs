use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A resident's order: in a group-buy (`kind` `group_buy`, one goods, its
/// campaign in `group_buy_id`) or from a merchant's shop (`kind` `shop`, its
/// goods in `order_lines`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub order_no: String,
    /// The campaign of a group-buy order; None for a shop order.
    pub group_buy_id: Option<i64>,
    pub merchant_id: i64,
    pub kind: OrderKind,
    pub user_id: i64,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub amount_fen: i64,
    pub status: OrderStatus,
    pub payment_provider: PaymentProvider,
    /// The provider's reference (WeChat Pay prepay id / transaction id).
    pub payment_ref: Option<String>,
    pub paid_at: Option<DateTimeUtc>,
    #[sea_orm(unique)]
    pub pickup_code: Option<String>,
    pub picked_up_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub refunded_at: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
    /// A shop order's fulfilment; None for a group-buy order (picked up).
    pub fulfilment: Option<Fulfilment>,
    /// Where a delivery goes, as it was when ordered.
    pub delivery_address: Option<String>,
    pub delivery_fee_fen: i64,
    pub note: String,
    /// Why the merchant declined the order.
    pub decline_reason: Option<String>,
    pub accepted_at: Option<DateTimeUtc>,
    pub delivering_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Fen given back by after-sales refunds so far (never above `amount_fen`).
    pub refunded_fen: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Which kind of order.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    #[sea_orm(string_value = "group_buy")]
    GroupBuy,
    #[sea_orm(string_value = "shop")]
    Shop,
}

/// How a shop order reaches its resident.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Fulfilment {
    /// Collected at the merchant with a pickup code.
    #[sea_orm(string_value = "pickup")]
    Pickup,
    /// Brought to the resident's building and room.
    #[sea_orm(string_value = "delivery")]
    Delivery,
}

/// Who collects an order's money: the deployment's `payments.provider` for
/// new orders, and stored on each order.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum PaymentProvider {
    /// Pay the merchant at pickup.
    #[sea_orm(string_value = "offline")]
    Offline,
    /// WeChat Pay API v3 JSAPI.
    #[sea_orm(string_value = "wechat")]
    Wechat,
}

/// Where an order stands.
// Each rule about statuses is a method below with an exhaustive match, so
// that a new status (a shop order's `accepted`)
// makes the compiler point at every rule that must decide about it.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Waiting for an online payment (expires at `expires_at`).
    #[sea_orm(string_value = "pending_payment")]
    PendingPayment,
    /// Paid, or to be paid at pickup (offline): in its campaign.
    #[sea_orm(string_value = "placed")]
    Placed,
    /// The campaign succeeded: collect with the pickup code.
    #[sea_orm(string_value = "awaiting_pickup")]
    AwaitingPickup,
    #[sea_orm(string_value = "picked_up")]
    PickedUp,
    /// A shop order the merchant took on (the resident can no longer cancel).
    #[sea_orm(string_value = "accepted")]
    Accepted,
    /// A shop order packed at the counter: collect with the pickup code.
    #[sea_orm(string_value = "ready_for_pickup")]
    ReadyForPickup,
    /// A shop order on its way to the resident.
    #[sea_orm(string_value = "delivering")]
    Delivering,
    /// A shop order handed over or delivered.
    #[sea_orm(string_value = "completed")]
    Completed,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    /// Cancelled after it was paid; the refund is on its way.
    #[sea_orm(string_value = "refunding")]
    Refunding,
    /// Cancelled after it was paid, and the money returned.
    #[sea_orm(string_value = "refunded")]
    Refunded,
    /// Not paid in time.
    #[sea_orm(string_value = "expired")]
    Expired,
}

impl OrderStatus {
    /// Counts in its campaign's quantity, and in the dashboard's orders.
    pub fn holds_quantity(self) -> bool {
        match self {
            OrderStatus::PendingPayment
            | OrderStatus::Placed
            | OrderStatus::AwaitingPickup
            | OrderStatus::PickedUp
            | OrderStatus::Accepted
            | OrderStatus::ReadyForPickup
            | OrderStatus::Delivering
            | OrderStatus::Completed => true,
            OrderStatus::Cancelled
            | OrderStatus::Refunding
            | OrderStatus::Refunded
            | OrderStatus::Expired => false,
        }
    }

    /// The resident may still cancel it (before the cut-off).
    pub fn cancellable_by_resident(self) -> bool {
        match self {
            OrderStatus::PendingPayment | OrderStatus::Placed => true,
            OrderStatus::AwaitingPickup
            | OrderStatus::PickedUp
            | OrderStatus::Accepted
            | OrderStatus::ReadyForPickup
            | OrderStatus::Delivering
            | OrderStatus::Completed
            | OrderStatus::Cancelled
            | OrderStatus::Refunding
            | OrderStatus::Refunded
            | OrderStatus::Expired => false,
        }
    }

    /// Cancelling its campaign cancels it (and refunds it where paid).
    pub fn ends_with_its_campaign(self) -> bool {
        match self {
            OrderStatus::PendingPayment | OrderStatus::Placed | OrderStatus::AwaitingPickup => true,
            OrderStatus::PickedUp
            | OrderStatus::Accepted
            | OrderStatus::ReadyForPickup
            | OrderStatus::Delivering
            | OrderStatus::Completed
            | OrderStatus::Cancelled
            | OrderStatus::Refunding
            | OrderStatus::Refunded
            | OrderStatus::Expired => false,
        }
    }

    /// A payment that arrives now is honoured (otherwise it is refunded).
    pub fn accepts_payment(self) -> bool {
        match self {
            OrderStatus::PendingPayment => true,
            OrderStatus::Placed
            | OrderStatus::AwaitingPickup
            | OrderStatus::PickedUp
            | OrderStatus::Accepted
            | OrderStatus::ReadyForPickup
            | OrderStatus::Delivering
            | OrderStatus::Completed
            | OrderStatus::Cancelled
            | OrderStatus::Refunding
            | OrderStatus::Refunded
            | OrderStatus::Expired => false,
        }
    }

    /// `POST /orders/{order_no}/pay` applies.
    pub fn payable(self) -> bool {
        match self {
            OrderStatus::PendingPayment
            | OrderStatus::Placed
            | OrderStatus::AwaitingPickup
            | OrderStatus::Accepted
            | OrderStatus::ReadyForPickup
            | OrderStatus::Delivering => true,
            OrderStatus::PickedUp
            | OrderStatus::Completed
            | OrderStatus::Cancelled
            | OrderStatus::Refunding
            | OrderStatus::Refunded
            | OrderStatus::Expired => false,
        }
    }

    /// The statuses for which `rule` holds, for `IN (…)` filters.
    pub fn all_where(rule: impl Fn(Self) -> bool) -> Vec<Self> {
        <Self as sea_orm::Iterable>::iter()
            .filter(|s| rule(*s))
            .collect()
    }
}
