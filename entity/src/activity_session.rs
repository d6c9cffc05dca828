use sea_orm::entity::prelude::*;

/// One session of an activity, with its places. `taken` counts confirmed
/// sign-ups and only moves by conditional updates (`taken < capacity`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activity_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub activity_id: i64,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub capacity: i32,
    pub taken: i32,
    /// HMAC key of the session's rotating check-in code; never shown.
    pub checkin_secret: String,
    /// When the day-before and hour-before reminders went out.
    pub day_reminded_at: Option<DateTimeUtc>,
    pub hour_reminded_at: Option<DateTimeUtc>,
    /// When the session's no-shows were recorded (after it ended).
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
