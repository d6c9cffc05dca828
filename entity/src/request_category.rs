use sea_orm::entity::prelude::*;

/// A node of the request category tree. `level`: grid, community, department.
/// Deadlines are in working days.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_categories")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub level: super::request::RequestLevel,
    pub department_id: Option<i64>,
    pub assign_days: i16,
    pub accept_days: i16,
    pub resolve_days: i16,
    pub active: bool,
    pub sort: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
