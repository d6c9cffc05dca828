use sea_orm::entity::prelude::*;

/// One entry of a request's timeline: who did what when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub request_id: i64,
    pub kind: String,
    /// None for the system (the sweeps).
    pub actor_id: Option<i64>,
    pub actor_role: String,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    /// JSON object with the event's particulars (deadlines, departments ...).
    #[sea_orm(column_type = "Text")]
    pub data: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
