use sea_orm::entity::prelude::*;

pub use crate::application_status::ApplicationStatus;

/// A resident's application to become a helper.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "helper_applications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// Equals `user_id` while pending (unique), None once reviewed.
    #[sea_orm(unique)]
    pub pending_user_id: Option<i64>,
    pub display_name: String,
    /// Comma-separated service categories.
    pub skills: String,
    pub phone: String,
    /// JSON array of certificate photos: `helper_certificate` upload ids or https URLs.
    #[sea_orm(column_type = "Text")]
    pub certificate_photos: String,
    pub status: ApplicationStatus,
    pub reject_reason: Option<String>,
    pub helper_id: Option<i64>,
    pub reviewed_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
