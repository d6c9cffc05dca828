use sea_orm::entity::prelude::*;

/// An elders' canteen (长者食堂) run by a community: where it is, the days it
/// opens, its meal times and places per meal, the booking cut-off and
/// whether it delivers to disabled elders.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "canteens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The community whose admins run it.
    pub community_id: i64,
    pub name: String,
    pub place: String,
    /// Opening weekdays, `1` (Monday) to `7`, comma-separated: `1,2,3,4,5`.
    pub weekdays: String,
    /// JSON `[{"meal": "lunch", "serves_at": "11:30"}]` (China Standard Time).
    #[sea_orm(column_type = "Text")]
    pub meal_times: String,
    pub capacity_per_meal: i32,
    /// Booking closes this many minutes before a meal is served.
    pub cutoff_minutes: i32,
    pub delivery: bool,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
