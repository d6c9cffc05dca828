use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A resident's order in a group-buy.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub order_no: String,
    pub group_buy_id: i64,
    pub merchant_id: i64,
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
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

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
// that a new status (WeChat Pay's `refunding`, a shop order's `accepted`)
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
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
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
            | OrderStatus::PickedUp => true,
            OrderStatus::Cancelled | OrderStatus::Refunded | OrderStatus::Expired => false,
        }
    }

    /// The resident may still cancel it (before the cut-off).
    pub fn cancellable_by_resident(self) -> bool {
        match self {
            OrderStatus::PendingPayment | OrderStatus::Placed => true,
            OrderStatus::AwaitingPickup
            | OrderStatus::PickedUp
            | OrderStatus::Cancelled
            | OrderStatus::Refunded
            | OrderStatus::Expired => false,
        }
    }

    /// Cancelling its campaign cancels it (and refunds it where paid).
    pub fn ends_with_its_campaign(self) -> bool {
        match self {
            OrderStatus::PendingPayment | OrderStatus::Placed | OrderStatus::AwaitingPickup => true,
            OrderStatus::PickedUp
            | OrderStatus::Cancelled
            | OrderStatus::Refunded
            | OrderStatus::Expired => false,
        }
    }

    /// `POST /orders/{order_no}/pay` applies.
    pub fn payable(self) -> bool {
        match self {
            OrderStatus::PendingPayment | OrderStatus::Placed | OrderStatus::AwaitingPickup => true,
            OrderStatus::PickedUp
            | OrderStatus::Cancelled
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
