use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An activity residents sign up for (四点半驿站, 健康义诊, 书法课堂): one
/// or more sessions, each with its own places.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The community that publishes and runs it.
    pub community_id: i64,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// JSON array of `notice_image` upload ids or https URLs.
    #[sea_orm(column_type = "Text")]
    pub images: String,
    pub place: String,
    /// Youngest and oldest participant, in whole years (None: no bound).
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    /// Places per session.
    pub capacity: i32,
    pub signup_opens_at: DateTimeUtc,
    pub signup_closes_at: DateTimeUtc,
    /// Sign-ups may be cancelled (and a place handed on) until this many
    /// minutes before a session starts.
    pub cancel_cutoff_minutes: i32,
    /// Whether a full session takes names on a waiting list.
    pub waitlist: bool,
    /// Points awarded for attending (the points ledger awards them).
    pub points: i32,
    pub status: ActivityStatus,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

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
pub enum ActivityStatus {
    #[sea_orm(string_value = "published")]
    Published,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}
