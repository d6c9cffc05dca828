use sea_orm::entity::prelude::*;

/// An odd job (零工) posted by a merchant or a registered organisation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "odd_jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub merchant_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub posted_by: i64,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub requirements: String,
    pub pay_fen: i64,
    /// `hour`, `day`, `piece` or `job`.
    pub pay_unit: String,
    pub place: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub headcount: i32,
    /// Applications accepted; never above `headcount`.
    pub accepted_count: i32,
    pub contact_name: String,
    pub contact_phone: String,
    /// `open`, `filled`, `closed` or `taken_down`.
    pub status: String,
    pub takedown_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
