use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A wish (微心愿) on a community's wall.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wishes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    /// Whose wish it is.
    pub wisher_id: i64,
    /// Who wrote it: the wisher, or a grid worker for them.
    pub posted_by: i64,
    pub title: String,
    pub content: String,
    #[sea_orm(column_type = "Text")]
    pub photos: String,
    pub category: String,
    pub public: bool,
    pub status: WishStatus,
    pub reject_reason: Option<String>,
    pub claimer_id: Option<i64>,
    pub claimed_at: Option<DateTimeUtc>,
    /// A claim still unfulfilled then returns the wish to the wall.
    pub claim_deadline: Option<DateTimeUtc>,
    pub fulfil_note: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub fulfil_photos: String,
    pub fulfilled_at: Option<DateTimeUtc>,
    pub confirmed_at: Option<DateTimeUtc>,
    pub confirmed_by: Option<i64>,
    pub award_entry_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where a wish stands: `pending` (awaiting approval) → `open` (on the
/// wall) → `claimed` → `fulfilled` → `confirmed`; or `rejected`.
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
pub enum WishStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "claimed")]
    Claimed,
    #[sea_orm(string_value = "fulfilled")]
    Fulfilled,
    #[sea_orm(string_value = "confirmed")]
    Confirmed,
    #[sea_orm(string_value = "rejected")]
    Rejected,
}
