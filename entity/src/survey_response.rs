use sea_orm::entity::prelude::*;

/// A resident's one response to a survey (UNIQUE survey_id, resident_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_responses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub survey_id: i64,
    pub resident_id: i64,
    /// The resident's community when answering.
    pub community_id: i64,
    /// Entered by a grid worker from a paper or spoken answer.
    pub offline: bool,
    pub entered_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
