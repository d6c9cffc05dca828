use sea_orm::entity::prelude::*;

/// A meal booked for an elder (by themselves or by their grid worker).
/// Money in fen: `amount = dishes_total - subsidy`, never below 0.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meal_bookings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub meal_id: i64,
    pub canteen_id: i64,
    /// The elder who eats the meal.
    pub user_id: i64,
    /// Who booked it: the elder, or a grid worker of the elder's grid (代办).
    pub booked_by: i64,
    pub participant_name: String,
    /// `booked` or `cancelled`.
    pub status: String,
    /// `{meal}:u{user}` while booked (UNIQUE: one booking per person per
    /// meal), None once cancelled.
    #[sea_orm(unique)]
    pub live_key: Option<String>,
    /// `{date}:{meal}:u{user}` while a booked meal carries the subsidy
    /// (UNIQUE: one subsidised meal per person per meal time), else None.
    #[sea_orm(unique)]
    pub subsidy_key: Option<String>,
    /// The meal's date and kind, for the monthly statement.
    pub meal_date: String,
    pub meal: String,
    /// JSON `[{"dish_id", "name", "price_fen", "quantity"}]`.
    #[sea_orm(column_type = "Text")]
    pub lines: String,
    pub dishes_total_fen: i64,
    pub subsidy_fen: i64,
    pub amount_fen: i64,
    /// `counter` (paid at the canteen's counter) or `online` (WeChat Pay).
    pub pay_method: String,
    pub paid_at: Option<DateTimeUtc>,
    pub paid_marked_by: Option<i64>,
    pub delivery: bool,
    pub delivered_at: Option<DateTimeUtc>,
    /// The volunteer who brought the meal.
    pub delivered_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Paid online: the deadline to pay by (unpaid past it, the booking is
    /// cancelled); None for the counter.
    pub pay_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
