use sea_orm::entity::prelude::*;

/// A questionnaire open to its communities from `opens_at` until `closes_at` (or `closed_early_at`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "surveys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub opens_at: DateTimeUtc,
    pub closes_at: DateTimeUtc,
    /// `2026Q4`: the quarter of `opens_at` (China Standard Time), for the index.
    pub quarter: String,
    pub created_by: i64,
    pub closed_early_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
