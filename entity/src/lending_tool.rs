use sea_orm::entity::prelude::*;

/// A tool a lending point lends, `quantity` units of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lending_tools")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub point_id: i64,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// Upload ids, a JSON array.
    #[sea_orm(column_type = "Text")]
    pub photos: String,
    pub quantity: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
