use sea_orm::entity::prelude::*;

/// Units of a tool taken by loans on one date; never above the tool's quantity.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tool_days")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tool_id: i64,
    /// `YYYY-MM-DD`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: String,
    pub taken: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
