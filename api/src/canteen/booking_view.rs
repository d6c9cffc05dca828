//! A meal booking as it is stored and answered: the bodies, the lines,
//! the view with its state.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{canteen_meal, meal_booking};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::MealKind;
use crate::error::ApiResult;
use crate::money::Money;

pub const BOOKED: &str = "booked";
pub const CANCELLED: &str = "cancelled";
pub(super) const COUNTER: &str = "counter";

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct DishChoice {
    pub dish_id: i64,
    /// Portions, 1-10.
    #[schema(minimum = 1, maximum = 10)]
    pub quantity: i32,
}

/// How the meal is paid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayMethod {
    /// At the canteen's counter (or to the volunteer); the counter marks it paid.
    #[default]
    Counter,
    /// WeChat Pay (`POST /meal-bookings/{id}/pay`) before `pay_until`;
    /// 503 `PAYMENT_PROVIDER_UNAVAILABLE` where WeChat Pay is not enabled.
    Online,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct NewMealBooking {
    /// 1-20 different dishes of the meal's menu.
    #[schema(min_items = 1, max_items = 20)]
    pub dishes: Vec<DishChoice>,
    #[serde(default)]
    pub pay_method: PayMethod,
    /// Delivered to the elder's home (the canteen delivers, and the elder is
    /// verified disabled).
    #[serde(default)]
    pub delivery: bool,
    /// A grid worker booking for an elder of their grid (代办).
    pub on_behalf_of_user_id: Option<i64>,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct LineView {
    pub dish_id: i64,
    pub name: String,
    pub price: Money,
    pub quantity: i32,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub(super) struct StoredLine {
    pub(super) dish_id: i64,
    pub(super) name: String,
    pub(super) price_fen: i64,
    pub(super) quantity: i32,
}

/// Where a meal booking stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MealBookingStatus {
    Booked,
    Cancelled,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MealBookingView {
    pub id: i64,
    pub meal_id: i64,
    pub canteen_id: i64,
    pub date: String,
    pub meal: MealKind,
    pub serves_at: DateTime<Utc>,
    /// The elder who eats the meal.
    pub user_id: i64,
    /// The elder, or the grid worker who booked for them.
    pub booked_by: i64,
    pub participant_name: String,
    pub status: MealBookingStatus,
    pub lines: Vec<LineView>,
    pub dishes_total: Money,
    /// The subsidy this meal carries (0.00 unless the elder is verified 60+
    /// and holds no other subsidised meal at this meal time).
    pub subsidy: Money,
    /// What the elder pays: `dishes_total - subsidy`, never below 0.
    pub amount: Money,
    pub pay_method: PayMethod,
    pub paid_at: Option<DateTime<Utc>>,
    /// Online and unpaid: the deadline to pay by (then it is cancelled).
    pub pay_until: Option<DateTime<Utc>>,
    pub delivery: bool,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The volunteer who brought it.
    pub delivered_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

pub fn view(row: &meal_booking::Model, serves_at: DateTime<Utc>) -> MealBookingView {
    let lines: Vec<StoredLine> = serde_json::from_str(&row.lines).unwrap_or_default();
    MealBookingView {
        id: row.id,
        meal_id: row.meal_id,
        canteen_id: row.canteen_id,
        date: row.meal_date.clone(),
        meal: MealKind::parse(&row.meal).unwrap_or(MealKind::Lunch),
        serves_at,
        user_id: row.user_id,
        booked_by: row.booked_by,
        participant_name: row.participant_name.clone(),
        status: if row.status == BOOKED {
            MealBookingStatus::Booked
        } else {
            MealBookingStatus::Cancelled
        },
        lines: lines
            .into_iter()
            .map(|l| LineView {
                dish_id: l.dish_id,
                name: l.name,
                price: Money::from_fen(l.price_fen),
                quantity: l.quantity,
            })
            .collect(),
        dishes_total: Money::from_fen(row.dishes_total_fen),
        subsidy: Money::from_fen(row.subsidy_fen),
        amount: Money::from_fen(row.amount_fen),
        pay_method: if row.pay_method == super::payment::ONLINE {
            PayMethod::Online
        } else {
            PayMethod::Counter
        },
        paid_at: row.paid_at,
        pay_until: row.pay_until.filter(|_| row.paid_at.is_none()),
        delivery: row.delivery,
        delivered_at: row.delivered_at,
        delivered_by: row.delivered_by,
        created_at: row.created_at,
    }
}

/// Views of rows, their meals read in one query.
pub async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<meal_booking::Model>,
) -> ApiResult<Vec<MealBookingView>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.meal_id).collect();
    let meals: HashMap<i64, DateTime<Utc>> = canteen_meal::Entity::find()
        .filter(canteen_meal::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.serves_at))
        .collect();
    Ok(rows
        .iter()
        .filter_map(|r| Some(view(r, *meals.get(&r.meal_id)?)))
        .collect())
}
