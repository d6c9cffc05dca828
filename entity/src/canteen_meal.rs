use sea_orm::entity::prelude::*;

/// One meal of a canteen on one day (the sign-up engine's session of the
/// canteen kind): its places and its published menu. `taken` counts live
/// bookings and only moves by conditional updates (`taken < capacity`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "canteen_meals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub canteen_id: i64,
    /// `YYYY-MM-DD` (China Standard Time).
    pub date: String,
    /// `breakfast`, `lunch` or `dinner`.
    pub meal: String,
    pub serves_at: DateTimeUtc,
    pub capacity: i32,
    pub taken: i32,
    pub published_by: i64,
    pub published_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
