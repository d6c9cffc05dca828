use sea_orm::entity::prelude::*;

/// A service a helper offers (a row of the catalog).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "services")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub helper_id: i64,
    pub category: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub price_fen: i64,
    pub duration_minutes: i32,
    pub active: bool,
    pub rating_sum: i64,
    pub rating_count: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
