use sea_orm::entity::prelude::*;

/// A community's canteen subsidy per meal for its verified 60+ residents
/// (absent: the `[canteen] subsidy_per_meal` default).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "canteen_subsidy_rates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub community_id: i64,
    pub subsidy_fen: i64,
    pub updated_by: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
