use sea_orm::entity::prelude::*;

/// A dish on a meal's menu, price in fen.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meal_dishes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub meal_id: i64,
    pub name: String,
    pub price_fen: i64,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
