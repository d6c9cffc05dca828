use sea_orm::entity::prelude::*;

/// A resident's loan of one unit of a tool for a date.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tool_loans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tool_id: i64,
    pub point_id: i64,
    pub resident_id: i64,
    /// `YYYY-MM-DD`: the day it is lent.
    pub loan_on: String,
    /// `YYYY-MM-DD`: the day it is due back.
    pub due_on: String,
    /// `reserved`, `lent`, `returned` or `cancelled`.
    pub status: String,
    pub handed_over_at: Option<DateTimeUtc>,
    pub handover_condition: Option<String>,
    pub returned_at: Option<DateTimeUtc>,
    pub return_condition: Option<String>,
    /// When the overdue reminder went out (once).
    pub reminded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
