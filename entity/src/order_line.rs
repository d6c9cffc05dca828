use sea_orm::entity::prelude::*;

/// One goods of a shop order, as it was when ordered (name, unit, price,
/// image), so later edits of the goods never change the order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub goods_id: i64,
    pub name: String,
    pub unit: String,
    pub price_fen: i64,
    pub image: Option<String>,
    pub quantity: i64,
    pub amount_fen: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
