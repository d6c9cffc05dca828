use sea_orm::entity::prelude::*;

/// The WeChat Pay prepay of an order awaiting payment: paid with by
/// re-signing it while it is valid (2 hours), one row per order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_prepays")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub order_id: i64,
    pub prepay_id: String,
    pub valid_until: DateTimeUtc,
    /// When the reconciliation sweep last asked WeChat Pay about the trade.
    pub checked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
