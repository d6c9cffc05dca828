use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Points exchanged for an item of the 爱心超市, picked up with a code.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "redemptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub community_id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub quantity: i32,
    pub points: i64,
    pub status: RedemptionStatus,
    pub pickup_code: String,
    pub spend_entry_id: i64,
    pub created_at: DateTimeUtc,
    pub picked_up_at: Option<DateTimeUtc>,
    pub picked_up_by: Option<i64>,
    pub cancelled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum RedemptionStatus {
    #[sea_orm(string_value = "awaiting_pickup")]
    AwaitingPickup,
    #[sea_orm(string_value = "picked_up")]
    PickedUp,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}
