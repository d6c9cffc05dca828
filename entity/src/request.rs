use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A resident's request (诉求). Levels and the rest are parsed by
/// `api/src/requests`; the figure columns are written with the transition
/// that fixes them.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub grid_id: Option<i64>,
    pub building_id: Option<i64>,
    pub component_id: Option<i64>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// Where exactly, in the reporter's words (单元, 楼层, 电梯口 ...).
    pub address: String,
    pub category_id: i64,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub urgency: String,
    pub express: bool,
    pub anonymous: bool,
    pub reporter_id: i64,
    /// The grid worker who filed it for the reporter (代办).
    pub filed_by: Option<i64>,
    /// How the resident's consent to 代办 was obtained.
    #[sea_orm(column_type = "Text", nullable)]
    pub consent: Option<String>,
    pub contact_phone: Option<String>,
    pub status: RequestStatus,
    pub level: RequestLevel,
    pub department_id: Option<i64>,
    pub assign_due_at: DateTimeUtc,
    pub accept_due_at: Option<DateTimeUtc>,
    pub resolve_due_at: DateTimeUtc,
    /// The deadline of the clock now running; None when none runs.
    pub due_at: Option<DateTimeUtc>,
    /// Set by the sweep when the running clock ran out (the claim).
    pub overdue_since: Option<DateTimeUtc>,
    /// 0 none, 1 community, 2 department head.
    pub escalation: i16,
    pub assigned_at: Option<DateTimeUtc>,
    pub accepted_at: Option<DateTimeUtc>,
    pub accepted_by: Option<i64>,
    pub accept_secs: Option<i32>,
    pub resolved_at: Option<DateTimeUtc>,
    pub resolved_by: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub resolution: Option<String>,
    pub resolve_secs: Option<i32>,
    pub on_time: Option<bool>,
    pub extension_state: ExtensionState,
    pub extension_days: Option<i16>,
    #[sea_orm(column_type = "Text", nullable)]
    pub extension_reason: Option<String>,
    pub urge_count: i32,
    /// Local (Asia/Shanghai) date of the last urge, `YYYY-MM-DD`.
    pub last_urged_on: Option<String>,
    pub reopen_count: i16,
    pub rating: Option<i16>,
    #[sea_orm(column_type = "Text", nullable)]
    pub rating_comment: Option<String>,
    pub rated_at: Option<DateTimeUtc>,
    pub rating_auto: bool,
    pub submitted_at: DateTimeUtc,
    /// Local (Asia/Shanghai) date of submission, `YYYY-MM-DD`: the period key.
    pub submitted_on: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where a request is in its flow.
// The moves between them are `api::requests::flow::Command`.
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// In the community's queue, to be assigned (交办).
    #[sea_orm(string_value = "submitted")]
    Submitted,
    /// With its handler, to be accepted (受理).
    #[sea_orm(string_value = "assigned")]
    Assigned,
    /// Being worked on, to be resolved (办结).
    #[sea_orm(string_value = "accepted")]
    Accepted,
    /// Sent back to the reporter for more detail; no clock runs.
    #[sea_orm(string_value = "returned")]
    Returned,
    /// Resolved, awaiting the reporter's rating.
    #[sea_orm(string_value = "resolved")]
    Resolved,
    /// Resolved and rated (by the reporter, or automatically after 48 hours).
    #[sea_orm(string_value = "closed")]
    Closed,
    /// Withdrawn by its reporter.
    #[sea_orm(string_value = "withdrawn")]
    Withdrawn,
}

impl RequestStatus {
    /// The statuses in which a clock runs.
    pub const LIVE: [RequestStatus; 3] = [
        RequestStatus::Submitted,
        RequestStatus::Assigned,
        RequestStatus::Accepted,
    ];

    pub fn is_live(self) -> bool {
        Self::LIVE.contains(&self)
    }

    /// The status a client names (`?status=`), None for an unknown one.
    pub fn parse(s: &str) -> Option<Self> {
        Self::try_from_value(&s.to_owned()).ok()
    }
}

/// Who handles a request (and a category's default).
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum RequestLevel {
    /// The grid workers of the request's grid (小问题, 网格内办结).
    #[sea_orm(string_value = "grid")]
    Grid,
    /// The community's admins (一般问题, 社区办结).
    #[sea_orm(string_value = "community")]
    Community,
    /// A department's staff (供电, 供水 ...).
    #[sea_orm(string_value = "department")]
    Department,
}

impl RequestLevel {
    /// The level a client names, None for an unknown one.
    pub fn parse(s: &str) -> Option<Self> {
        Self::try_from_value(&s.to_owned()).ok()
    }
}

/// Where a request's extension stands.
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ExtensionState {
    #[sea_orm(string_value = "none")]
    None,
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "rejected")]
    Rejected,
    /// Dropped when the request was resolved or transferred first.
    #[sea_orm(string_value = "withdrawn")]
    Withdrawn,
}
