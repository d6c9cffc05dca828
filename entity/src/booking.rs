use sea_orm::entity::prelude::*;

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
    /// `requested`, `accepted`, `declined`, `in_service`, `completed`, `cancelled`.
    pub status: String,
    pub rating: Option<i16>,
    #[sea_orm(column_type = "Text", nullable)]
    pub review_comment: Option<String>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
