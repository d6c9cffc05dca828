use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One message in one user's inbox (站内信).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbox_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub kind: InboxKind,
    pub title: String,
    pub body: String,
    /// What the message is about, for the client to open: `{"type": "order", "order_no": ...}`.
    pub target: Option<Json>,
    /// Set for events that may be recorded more than once: UNIQUE with `user_id`.
    pub dedupe_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What a message tells of.
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum InboxKind {
    /// A merchant or helper application was approved or rejected.
    #[sea_orm(string_value = "application_reviewed")]
    ApplicationReviewed,
    /// A resident ordered from one of the recipient's group-buys.
    #[sea_orm(string_value = "order_placed")]
    OrderPlaced,
    /// One of the recipient's orders changed status (paid, cancelled, refunded, picked up).
    #[sea_orm(string_value = "order_status")]
    OrderStatus,
    /// A group-buy the recipient ordered from (or runs) succeeded or failed.
    #[sea_orm(string_value = "group_buy_settled")]
    GroupBuySettled,
    /// A resident booked one of the recipient's services.
    #[sea_orm(string_value = "booking_requested")]
    BookingRequested,
    /// One of the recipient's bookings changed status.
    #[sea_orm(string_value = "booking_status")]
    BookingStatus,
    /// A refund was requested or decided.
    #[sea_orm(string_value = "refund")]
    Refund,
    /// A notice concerning the recipient was published.
    #[sea_orm(string_value = "notice")]
    Notice,
    /// A request (诉求) needs the recipient, or changed for its reporter.
    #[sea_orm(string_value = "request")]
    Request,
    /// The recipient's building binding was approved or rejected.
    #[sea_orm(string_value = "binding")]
    Binding,
    /// An after-sales request (售后) was made, answered, escalated or decided.
    #[sea_orm(string_value = "after_sale")]
    AfterSale,
    /// An application to the recipient's odd job, or the answer to theirs.
    #[sea_orm(string_value = "odd_job")]
    OddJob,
    /// One of the recipient's tool loans is overdue.
    #[sea_orm(string_value = "tool_loan")]
    ToolLoan,
    /// Points were awarded, reversed or expired.
    #[sea_orm(string_value = "points")]
    Points,
    /// A redemption at the 爱心超市 changed (placed, picked up, cancelled).
    #[sea_orm(string_value = "redemption")]
    Redemption,
    /// A wish the recipient posted, claimed or reviews changed.
    #[sea_orm(string_value = "wish")]
    Wish,
    /// One of the recipient's activity sign-ups: a place given from the
    /// waiting list, a reminder before the session.
    #[sea_orm(string_value = "activity")]
    Activity,
}
