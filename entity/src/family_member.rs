use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Someone a resident signs up as guardian: a child or an elder of the family.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "family_members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The resident who registered them and signs them up.
    pub guardian_id: i64,
    pub name: String,
    pub birth_year: i32,
    pub relation: Kinship,
    /// Set when the guardian removed them (past sign-ups keep the row).
    pub removed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// How a family member relates to their guardian.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Kinship {
    #[sea_orm(string_value = "child")]
    Child,
    #[sea_orm(string_value = "elder")]
    Elder,
}
