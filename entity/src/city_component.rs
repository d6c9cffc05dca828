use sea_orm::entity::prelude::*;

/// A registered city component (城市部件) with its owner and phone.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "city_components")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub grid_id: Option<i64>,
    pub kind: String,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub lat: f64,
    pub lng: f64,
    pub owner_unit: String,
    pub phone: String,
    pub department_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
