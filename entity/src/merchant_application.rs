use sea_orm::entity::prelude::*;

pub use crate::application_status::ApplicationStatus;

/// A resident's application to become a merchant.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "merchant_applications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// `user_id` while pending, None once reviewed (unique: one pending per user).
    #[sea_orm(unique)]
    pub pending_user_id: Option<i64>,
    pub name: String,
    pub category: String,
    pub license_no: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub address: String,
    pub lat: f64,
    pub lng: f64,
    /// JSON array of licence photos: `merchant_license` upload ids or https URLs.
    #[sea_orm(column_type = "Text")]
    pub license_photos: String,
    pub status: ApplicationStatus,
    pub reject_reason: Option<String>,
    pub merchant_id: Option<i64>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
