use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A resident's after-sales request (售后): a refund of some lines or all
/// of a completed order. `open_order_id` is the order's id while the
/// request is open (UNIQUE: one open request per order), NULL otherwise.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "after_sales")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    #[sea_orm(unique)]
    pub open_order_id: Option<i64>,
    pub merchant_id: i64,
    pub user_id: i64,
    pub status: AfterSaleStatus,
    /// JSON array of the order line ids asked about; `[]` = the whole order.
    pub line_ids: String,
    pub amount_fen: i64,
    pub reason: String,
    /// JSON array of the photos (upload ids or https URLs).
    pub photos: String,
    /// Why the merchant rejected it.
    pub merchant_reason: Option<String>,
    /// Why the resident escalated it.
    pub escalation_reason: Option<String>,
    /// Why the admin decided as they did.
    pub admin_reason: Option<String>,
    /// Who approved or closed it: `merchant`, `clock` or `admin`.
    pub decided_by: Option<String>,
    pub admin_id: Option<i64>,
    /// The merchant's answer is due by then; the clock approves it after.
    pub answer_due_at: DateTimeUtc,
    pub answered_at: Option<DateTimeUtc>,
    pub escalated_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    pub refunded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where an after-sales request stands.
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
pub enum AfterSaleStatus {
    /// Waiting for the merchant (48 h, then approved by the clock).
    #[sea_orm(string_value = "requested")]
    Requested,
    /// The merchant said no; the resident may escalate it.
    #[sea_orm(string_value = "rejected")]
    Rejected,
    /// Waiting for a community admin of the merchant's community.
    #[sea_orm(string_value = "escalated")]
    Escalated,
    /// Approved; WeChat Pay is returning the money.
    #[sea_orm(string_value = "refunding")]
    Refunding,
    /// Approved and the money is back (offline: handed back in cash).
    #[sea_orm(string_value = "refunded")]
    Refunded,
    /// An admin rejected the escalated request: it is over.
    #[sea_orm(string_value = "closed")]
    Closed,
}

impl AfterSaleStatus {
    /// Holds the order's one open place (`open_order_id` set).
    pub fn is_open(self) -> bool {
        match self {
            AfterSaleStatus::Requested | AfterSaleStatus::Escalated => true,
            AfterSaleStatus::Rejected
            | AfterSaleStatus::Refunding
            | AfterSaleStatus::Refunded
            | AfterSaleStatus::Closed => false,
        }
    }
}
