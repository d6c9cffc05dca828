use sea_orm::entity::prelude::*;

/// A community notice. `status`: draft, scheduled, published, withdrawn.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub kind: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    /// Comma-separated target building ids; empty = the whole community.
    #[sea_orm(column_type = "Text")]
    pub building_ids: String,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    pub publish_at: Option<DateTimeUtc>,
    pub pinned: bool,
    pub push: bool,
    pub status: String,
    pub published_at: Option<DateTimeUtc>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
