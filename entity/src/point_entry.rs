use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One line of the append-only points ledger. `points` is signed: earns are
/// positive, spends and expiries negative, a reversal the opposite of the
/// entry it undoes (`undoes_id`, UNIQUE: once).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "point_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub community_id: i64,
    pub kind: EntryKind,
    pub points: i64,
    pub source: EntrySource,
    /// What the entry is for (`wish:12`, `activity:5`, `redemption:3`):
    /// UNIQUE with the user, so one thing awards a user once.
    pub source_ref: Option<String>,
    pub rule_id: Option<i64>,
    /// Who granted it (an admin, a grid worker, the confirming wisher).
    pub granted_by: Option<i64>,
    /// Volunteer time the award is for.
    pub minutes: i32,
    pub photo_upload_id: Option<i64>,
    pub note: String,
    pub undoes_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What a ledger entry does.
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
pub enum EntryKind {
    #[sea_orm(string_value = "earn")]
    Earn,
    #[sea_orm(string_value = "spend")]
    Spend,
    #[sea_orm(string_value = "reverse")]
    Reverse,
    #[sea_orm(string_value = "expire")]
    Expire,
}

/// Where an entry comes from.
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
pub enum EntrySource {
    /// A volunteer's service, confirmed by an admin or grid worker.
    #[sea_orm(string_value = "service")]
    Service,
    /// An activity attended.
    #[sea_orm(string_value = "activity")]
    Activity,
    /// A wish fulfilled and confirmed.
    #[sea_orm(string_value = "wish")]
    Wish,
    /// A redemption at the 爱心超市 (and its cancellation).
    #[sea_orm(string_value = "redemption")]
    Redemption,
    /// An admin's correction (reversals).
    #[sea_orm(string_value = "admin")]
    Admin,
    /// The expiry sweep.
    #[sea_orm(string_value = "expiry")]
    Expiry,
}
