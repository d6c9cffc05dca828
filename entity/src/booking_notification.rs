use sea_orm::entity::prelude::*;

use crate::booking::BookingStatus;

/// A subscribe message owed to a resident for one status change of a booking.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "booking_notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub booking_id: i64,
    /// The status the booking moved to.
    pub status: BookingStatus,
    pub user_id: i64,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
