//! The canteen's desk: counts per dish and the roster of one meal; and the
//! monthly subsidy statement the street office reimburses (JSON and CSV).
//!
//! The statement counts every booked meal that carries a subsidy; a
//! cancelled booking carries none (its subsidy returns to the elder's meal
//! time), so cancelled meals never count.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use entity::meal_booking;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::booking::{self, BOOKED, MealBookingView, find_meal};
use super::model::MealKind;
use super::service::{books_until, find_for_admin};
use crate::auth::AuthUser;
use crate::csv;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::money::Money;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DishCount {
    pub dish_id: i64,
    pub name: String,
    /// Portions booked.
    pub quantity: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MealDesk {
    pub meal_id: i64,
    pub canteen_id: i64,
    pub date: String,
    pub meal: MealKind,
    pub serves_at: DateTime<Utc>,
    pub books_until: DateTime<Utc>,
    pub capacity: i32,
    /// Live bookings.
    pub booked: i64,
    /// Of which delivered to the elder's home.
    pub deliveries: i64,
    pub counts: Vec<DishCount>,
    /// Live bookings in order of booking.
    pub roster: Vec<MealBookingView>,
}

/// The desk of one meal (an admin of the canteen's community; 404 otherwise).
pub async fn desk(db: &impl ConnectionTrait, me: &AuthUser, meal_id: i64) -> ApiResult<MealDesk> {
    let (meal, c) = find_meal(db, meal_id).await?;
    let c = find_for_admin(db, me, c.id)
        .await
        .map_err(|_| ApiError::new(ErrorCode::MealNotFound))?;
    let rows = meal_booking::Entity::find()
        .filter(meal_booking::Column::MealId.eq(meal.id))
        .filter(meal_booking::Column::Status.eq(BOOKED))
        .order_by_asc(meal_booking::Column::Id)
        .all(db)
        .await?;
    let roster: Vec<MealBookingView> = rows
        .iter()
        .map(|r| booking::view(r, meal.serves_at))
        .collect();
    let mut counts: BTreeMap<i64, DishCount> = BTreeMap::new();
    for b in &roster {
        for l in &b.lines {
            counts
                .entry(l.dish_id)
                .or_insert_with(|| DishCount {
                    dish_id: l.dish_id,
                    name: l.name.clone(),
                    quantity: 0,
                })
                .quantity += i64::from(l.quantity);
        }
    }
    Ok(MealDesk {
        meal_id: meal.id,
        canteen_id: c.id,
        meal: MealKind::parse(&meal.meal).unwrap_or(MealKind::Lunch),
        books_until: books_until(&c, meal.serves_at),
        serves_at: meal.serves_at,
        capacity: meal.capacity,
        booked: roster.len() as i64,
        deliveries: roster.iter().filter(|b| b.delivery).count() as i64,
        counts: counts.into_values().collect(),
        roster,
        date: meal.date,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// `YYYY-MM` (China Standard Time days).
    #[param(pattern = r"^20[0-9]{2}-(0[1-9]|1[0-2])$", example = "2026-12")]
    pub month: String,
    /// `csv` for the CSV (also `Accept: text/csv`); default JSON.
    #[param(inline)]
    pub format: Option<StatementFormat>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatementFormat {
    Json,
    Csv,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StatementDay {
    pub date: String,
    pub meals: i64,
    pub subsidy: Money,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SubsidyStatement {
    pub canteen_id: i64,
    pub canteen_name: String,
    pub month: String,
    /// Subsidised meals booked and not cancelled.
    pub meals: i64,
    /// Different elders who had them.
    pub persons: i64,
    pub subsidy_total: Money,
    /// Per day, days without subsidised meals left out.
    pub days: Vec<StatementDay>,
}

/// `YYYY-MM` as its first day, or 400 `INVALID_QUERY`.
fn month_start(raw: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d")
        .ok()
        .filter(|d| raw.len() == 7 && (2000..2100).contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| ApiError::invalid_query(vec![FieldError::new("month", "须为 YYYY-MM")]))
}

/// The subsidised meals of a canteen in a month, in order of day, meal, booking.
async fn subsidised(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    canteen_id: i64,
    month: &str,
) -> ApiResult<(entity::canteen::Model, Vec<meal_booking::Model>)> {
    let c = find_for_admin(db, me, canteen_id).await?;
    month_start(month)?;
    let rows = meal_booking::Entity::find()
        .filter(meal_booking::Column::CanteenId.eq(c.id))
        .filter(meal_booking::Column::MealDate.starts_with(format!("{month}-")))
        .filter(meal_booking::Column::Status.eq(BOOKED))
        .filter(meal_booking::Column::SubsidyFen.gt(0))
        .order_by_asc(meal_booking::Column::MealDate)
        .order_by_asc(meal_booking::Column::Meal)
        .order_by_asc(meal_booking::Column::Id)
        .all(db)
        .await?;
    Ok((c, rows))
}

pub async fn statement(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    canteen_id: i64,
    month: &str,
) -> ApiResult<SubsidyStatement> {
    let (c, rows) = subsidised(db, me, canteen_id, month).await?;
    let persons: HashSet<i64> = rows.iter().map(|r| r.user_id).collect();
    let mut days: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in &rows {
        let day = days.entry(r.meal_date.clone()).or_default();
        day.0 += 1;
        day.1 += r.subsidy_fen;
    }
    Ok(SubsidyStatement {
        canteen_id: c.id,
        canteen_name: c.name,
        month: month.to_owned(),
        meals: rows.len() as i64,
        persons: persons.len() as i64,
        subsidy_total: Money::from_fen(rows.iter().map(|r| r.subsidy_fen).sum()),
        days: days
            .into_iter()
            .map(|(date, (meals, fen))| StatementDay {
                date,
                meals,
                subsidy: Money::from_fen(fen),
            })
            .collect(),
    })
}

/// The statement as CSV: one line per subsidised meal, then the totals.
pub async fn statement_csv(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    canteen_id: i64,
    month: &str,
) -> ApiResult<String> {
    let (c, rows) = subsidised(db, me, canteen_id, month).await?;
    let mut out = csv::line(["日期", "餐次", "居民ID", "姓名", "补贴(元)", "订餐编号"]);
    let mut persons = HashSet::new();
    let mut total = 0;
    for r in &rows {
        persons.insert(r.user_id);
        total += r.subsidy_fen;
        let meal = MealKind::parse(&r.meal).map_or("", MealKind::chinese);
        out.push_str(&csv::line([
            r.meal_date.clone(),
            meal.to_owned(),
            r.user_id.to_string(),
            r.participant_name.clone(),
            Money::from_fen(r.subsidy_fen).to_string(),
            r.id.to_string(),
        ]));
    }
    out.push_str(&csv::line([
        format!("合计 {} {}", c.name, month),
        format!("{} 餐", rows.len()),
        format!("{} 人", persons.len()),
        String::new(),
        Money::from_fen(total).to_string(),
        String::new(),
    ]));
    Ok(out)
}
