use sea_orm::entity::prelude::*;

/// A resident's application to a job (UNIQUE job_id, applicant_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_applications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub job_id: i64,
    pub applicant_id: i64,
    pub note: String,
    /// `applied`, `accepted`, `declined` or `withdrawn`.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
