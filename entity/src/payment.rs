use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::order::PaymentProvider;

/// Money a provider reported received for an order; UNIQUE(transaction_id),
/// so a payment is recorded once however often it is notified.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub merchant_id: i64,
    pub provider: PaymentProvider,
    pub out_trade_no: String,
    #[sea_orm(unique)]
    pub transaction_id: String,
    /// What the provider received, fen.
    pub amount_fen: i64,
    pub currency: String,
    pub payer_openid: String,
    pub status: PaymentStatus,
    /// When the payer paid (the provider's time).
    pub paid_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    /// Fen refunded or being refunded so far (never above `amount_fen`).
    pub refunded_fen: i64,
    /// What was paid: `order` (`order_id` is an order) or `meal_booking`
    /// (`order_id` is a meal booking, `merchant_id` 0).
    pub subject: String,
}

/// `payments.subject` / `refunds.subject` of a shop or group-buy order.
pub const SUBJECT_ORDER: &str = "order";
/// `payments.subject` / `refunds.subject` of a canteen meal booking.
pub const SUBJECT_MEAL_BOOKING: &str = "meal_booking";

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What became of a payment.
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
pub enum PaymentStatus {
    /// It paid its order.
    #[sea_orm(string_value = "honoured")]
    Honoured,
    /// It arrived when its order could no longer be paid (expired or
    /// cancelled): refunded in full.
    #[sea_orm(string_value = "late")]
    Late,
    /// Not the order's amount or currency: the order was not marked paid;
    /// an admin decides.
    #[sea_orm(string_value = "amount_mismatch")]
    AmountMismatch,
}

impl PaymentStatus {
    /// Shown on the admin's list of abnormal payments.
    pub fn is_abnormal(self) -> bool {
        match self {
            PaymentStatus::AmountMismatch => true,
            PaymentStatus::Honoured | PaymentStatus::Late => false,
        }
    }
}
