use sea_orm::entity::prelude::*;

/// One question of a survey.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_questions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub survey_id: i64,
    pub position: i32,
    /// `single`, `multiple`, `scale` (1-5) or `text`.
    pub kind: String,
    pub prompt: String,
    /// The choices, a JSON array of strings (empty for scale and text).
    #[sea_orm(column_type = "Text")]
    pub options: String,
    /// Weight of a scale question in the happiness index (0 = not counted).
    pub weight: i32,
    pub required: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
