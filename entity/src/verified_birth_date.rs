use sea_orm::entity::prelude::*;

/// A resident's birth date as verified by an admin or a grid worker (a
/// self-declared age never counts for age rules or the canteen subsidy).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "verified_birth_dates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub birth_date: Date,
    /// The admin or grid worker who checked it.
    pub verified_by: i64,
    pub verified_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
