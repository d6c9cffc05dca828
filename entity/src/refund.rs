use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A refund of (part of) one payment: a full refund when its order ends
/// unfulfilled, or an after-sales refund (`after_sale_id`); a payment may
/// have several whose sum never exceeds it (`payments.refunded_fen`).
/// UNIQUE(out_refund_no): the refund number is fixed with the row, so a
/// retry never refunds twice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub payment_id: i64,
    pub order_id: i64,
    pub merchant_id: i64,
    #[sea_orm(unique)]
    pub out_refund_no: String,
    pub out_trade_no: String,
    pub amount_fen: i64,
    /// The payment's amount, fen.
    pub total_fen: i64,
    pub reason: String,
    pub status: RefundState,
    /// The provider's refund id, once it accepted the refund.
    pub refund_id: Option<String>,
    /// Requests sent for it so far.
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the money reached the payer.
    pub succeeded_at: Option<DateTimeUtc>,
    /// The after-sales request this refund pays; None for a full refund.
    pub after_sale_id: Option<i64>,
    /// As its payment's: `order` or `meal_booking` (`order_id` is then a
    /// meal booking).
    pub subject: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where a refund stands.
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
pub enum RefundState {
    /// Recorded; not yet accepted by the provider (sent by the refund sweep).
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Accepted; the money is on its way.
    #[sea_orm(string_value = "processing")]
    Processing,
    /// The money is back with the payer.
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    /// Closed by the provider without refunding: needs a person.
    #[sea_orm(string_value = "closed")]
    Closed,
    /// Stuck at the provider (the payer's card was cancelled ...): needs a person.
    #[sea_orm(string_value = "abnormal")]
    Abnormal,
    /// The provider refused the request for good: needs a person.
    #[sea_orm(string_value = "failed")]
    Failed,
}

impl RefundState {
    /// Shown on the admin's list of abnormal refunds.
    pub fn is_abnormal(self) -> bool {
        match self {
            RefundState::Closed | RefundState::Abnormal | RefundState::Failed => true,
            RefundState::Pending | RefundState::Processing | RefundState::Succeeded => false,
        }
    }
}
