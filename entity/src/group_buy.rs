use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A group-buy campaign. Upcoming / ongoing are derived from `state`
/// `Open` and the clock.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_buys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub merchant_id: i64,
    pub goods_id: i64,
    pub title: String,
    /// What the campaign offers, in the merchant's words (may be empty).
    pub description: String,
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
    pub state: CampaignState,
    pub settled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// A campaign's stored state.
// Settlement moves `Open` to `Succeeded` or `Failed` once; its merchant or
// an admin moves it to `Cancelled`.
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
pub enum CampaignState {
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    #[sea_orm(string_value = "failed")]
    Failed,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}
