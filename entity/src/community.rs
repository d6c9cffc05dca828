use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "communities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub district: String,
    pub address: String,
    pub lat: f64,
    pub lng: f64,
    pub created_at: DateTimeUtc,
    /// New building bindings wait for a grid worker's or an admin's approval.
    pub binding_requires_approval: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
