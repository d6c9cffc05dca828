use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A resident's booking of a helper's slot for a service.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bookings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub service_id: i64,
    pub slot_id: i64,
    /// `slot_id` while live (unique: one live booking per slot), None once declined or cancelled.
    #[sea_orm(unique)]
    pub active_slot_id: Option<i64>,
    pub helper_id: i64,
    pub resident_id: i64,
    /// The grid worker who booked on the resident's behalf.
    pub grid_worker_id: Option<i64>,
    pub address: String,
    pub contact_phone: String,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    pub price_fen: i64,
    pub status: BookingStatus,
    pub rating: Option<i16>,
    #[sea_orm(column_type = "Text", nullable)]
    pub review_comment: Option<String>,
    pub reviewed_at: Option<DateTimeUtc>,
    /// JSON array of the review's photos: `review_photo` upload ids or https URLs.
    #[sea_orm(column_type = "Text")]
    pub review_photos: String,
    /// WeChat's check of the review's comment: `pass` (shown to the
    /// helper), `review` (hidden until an admin approves) or `pending`
    /// (hidden; checked again by a sweep).
    pub review_moderation: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where a booking stands.
// The moves between them are `api::bookings::Action`.
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
pub enum BookingStatus {
    #[sea_orm(string_value = "requested")]
    Requested,
    #[sea_orm(string_value = "accepted")]
    Accepted,
    #[sea_orm(string_value = "declined")]
    Declined,
    #[sea_orm(string_value = "in_service")]
    InService,
    #[sea_orm(string_value = "completed")]
    Completed,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}
