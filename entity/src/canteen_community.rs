use sea_orm::entity::prelude::*;

/// A community whose residents a canteen serves.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "canteen_communities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub canteen_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub community_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
