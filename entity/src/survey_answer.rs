use sea_orm::entity::prelude::*;

/// The answer to one question in one response.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_answers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub response_id: i64,
    pub survey_id: i64,
    pub question_id: i64,
    pub community_id: i64,
    /// Chosen option indexes, comma-separated (`0,2`); empty for scale and text.
    pub choices: String,
    pub scale: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub text: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
