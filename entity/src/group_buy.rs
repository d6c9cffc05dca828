use sea_orm::entity::prelude::*;

/// A group-buy campaign. `state` is `open`, `succeeded`, `failed` or
/// `cancelled`; upcoming / ongoing are derived from the clock.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_buys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub merchant_id: i64,
    pub goods_id: i64,
    pub title: String,
    pub group_price_fen: i64,
    pub min_quantity: i64,
    pub total_quantity: i64,
    pub per_user_limit: i64,
    /// Sum of the quantities of live orders.
    pub ordered_quantity: i64,
    /// Number of live orders.
    pub orders_count: i64,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub pickup_address: String,
    pub pickup_starts_at: DateTimeUtc,
    pub pickup_ends_at: DateTimeUtc,
    pub state: String,
    pub settled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
