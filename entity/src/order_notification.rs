use sea_orm::entity::prelude::*;

use crate::order::OrderStatus;

/// A subscribe message owed to one party of a shop order for a change the
/// other party (or the clock) made; UNIQUE(order_id, status, user_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    /// The status the order moved to.
    pub status: OrderStatus,
    pub user_id: i64,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
