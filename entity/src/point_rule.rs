use sea_orm::entity::prelude::*;

/// One item of a community's points rule book (积分细则): its class (大类),
/// the points it gives and the most a resident may earn by it per day and
/// per month. `code` marks the items the system awards by itself
/// (`wish_fulfilled`, `activity_attended`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "point_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub class: String,
    pub name: String,
    pub points: i32,
    pub daily_cap: Option<i32>,
    pub monthly_cap: Option<i32>,
    pub code: Option<String>,
    pub active: bool,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
