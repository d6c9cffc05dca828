use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A community notice. The buildings it targets are `notice_buildings`
/// rows; none means the whole community.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub kind: NoticeKind,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    /// JSON array of images: `notice_image` upload ids or https URLs.
    #[sea_orm(column_type = "Text")]
    pub images: String,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    pub publish_at: Option<DateTimeUtc>,
    pub pinned: bool,
    pub push: bool,
    pub status: NoticeStatus,
    pub published_at: Option<DateTimeUtc>,
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    #[sea_orm(string_value = "water_outage")]
    WaterOutage,
    #[sea_orm(string_value = "power_outage")]
    PowerOutage,
    #[sea_orm(string_value = "gas_outage")]
    GasOutage,
    #[sea_orm(string_value = "heating")]
    Heating,
    #[sea_orm(string_value = "activity")]
    Activity,
    #[sea_orm(string_value = "government")]
    Government,
    #[sea_orm(string_value = "general")]
    General,
}

impl NoticeKind {
    /// Outages: listed first in the feed while in effect or upcoming, and pushed.
    pub fn is_outage(self) -> bool {
        match self {
            NoticeKind::WaterOutage | NoticeKind::PowerOutage | NoticeKind::GasOutage => true,
            NoticeKind::Heating
            | NoticeKind::Activity
            | NoticeKind::Government
            | NoticeKind::General => false,
        }
    }

    /// Outages and activities say when they start and end.
    pub fn needs_window(self) -> bool {
        self.is_outage() || self == NoticeKind::Activity
    }
}

/// Where a notice stands: only published ones are shown to residents.
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
pub enum NoticeStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    /// Published by the sweep at `publish_at`.
    #[sea_orm(string_value = "scheduled")]
    Scheduled,
    #[sea_orm(string_value = "published")]
    Published,
    #[sea_orm(string_value = "withdrawn")]
    Withdrawn,
}

impl NoticeStatus {
    /// May still be edited, published or scheduled.
    pub fn is_editable(self) -> bool {
        match self {
            NoticeStatus::Draft | NoticeStatus::Scheduled => true,
            NoticeStatus::Published | NoticeStatus::Withdrawn => false,
        }
    }
}
