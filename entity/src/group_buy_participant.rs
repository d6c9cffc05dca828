use sea_orm::entity::prelude::*;

/// A resident's live ordered quantity in one campaign, guarded by the
/// per-user limit in a conditional update.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_buy_participants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_buy_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub quantity: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
