use sea_orm::entity::prelude::*;

/// An item on a community's 爱心超市 shelf, priced in points.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shelf_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub description: String,
    pub price_points: i64,
    pub stock: i32,
    /// JSON list of image references (upload ids or https URLs).
    #[sea_orm(column_type = "Text")]
    pub images: String,
    pub on_shelf: bool,
    pub deleted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
