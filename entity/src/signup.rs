use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A person's sign-up for one session: the resident themselves or a family
/// member they registered.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub session_id: i64,
    pub activity_id: i64,
    /// The resident who signed up (the guardian for a family member).
    pub user_id: i64,
    pub family_member_id: Option<i64>,
    pub participant_name: String,
    pub status: SignupStatus,
    /// `{session}:u{user}` or `{session}:f{member}` while live (unique: one
    /// place per person per session), None once cancelled.
    #[sea_orm(unique)]
    pub live_key: Option<String>,
    /// The participant's one-time check-in code, None once used.
    pub checkin_code: Option<String>,
    pub checked_in_at: Option<DateTimeUtc>,
    /// `code` (organiser scanned the participant's code), `scan` (the
    /// participant scanned the session's code) or `roster`.
    pub checkin_method: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where a sign-up stands.
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
pub enum SignupStatus {
    /// Holds a place.
    #[sea_orm(string_value = "confirmed")]
    Confirmed,
    /// On the waiting list, in order of `id`.
    #[sea_orm(string_value = "waiting")]
    Waiting,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    #[sea_orm(string_value = "attended")]
    Attended,
    /// Held a place and did not come (recorded once the session ended).
    #[sea_orm(string_value = "no_show")]
    NoShow,
}
