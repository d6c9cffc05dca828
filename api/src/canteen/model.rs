//! The canteen's bodies and answers, and the rules a canteen's body must hold.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::FieldError;
use crate::fields::FieldErrors;
use crate::money::Money;

/// Most communities one canteen serves.
pub const MAX_COMMUNITIES: usize = 50;
/// Most dishes on one meal's menu.
pub const MAX_DISHES: usize = 30;
/// Most different dishes in one booking.
pub const MAX_CHOICES: usize = 20;
/// Most portions of one dish in one booking.
pub const MAX_PORTIONS: i32 = 10;
/// Longest span of days one menu read covers.
pub const MAX_MENU_DAYS: u64 = 31;

/// China Standard Time, in which canteens keep their days and meal times.
pub const CST: TimeDelta = TimeDelta::hours(8);

/// A meal of the day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MealKind {
    Breakfast,
    Lunch,
    Dinner,
}

impl MealKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MealKind::Breakfast => "breakfast",
            MealKind::Lunch => "lunch",
            MealKind::Dinner => "dinner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [MealKind::Breakfast, MealKind::Lunch, MealKind::Dinner]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// The name on the statement: 早餐, 午餐, 晚餐.
    pub fn chinese(self) -> &'static str {
        match self {
            MealKind::Breakfast => "早餐",
            MealKind::Lunch => "午餐",
            MealKind::Dinner => "晚餐",
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct MealTime {
    pub meal: MealKind,
    /// When the meal is served, `HH:MM` China Standard Time.
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "11:30")]
    pub serves_at: String,
}

/// A weekday in the document: 1 (Monday) to 7 (Sunday).
pub struct Weekday;

impl utoipa::PartialSchema for Weekday {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, SchemaFormat, Type};
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
            .minimum(Some(1))
            .maximum(Some(7))
            .description(Some("1 (Monday) to 7 (Sunday)"))
            .into()
    }
}

impl utoipa::ToSchema for Weekday {}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct NewCanteen {
    /// The community that runs it (the caller administers it).
    pub community_id: i64,
    #[schema(max_length = 64, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: String,
    #[schema(max_length = 100, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub place: String,
    /// Communities whose residents it serves (default: `community_id`), up
    /// to 50, each administered by the caller.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub community_ids: Vec<i64>,
    /// Opening weekdays, 1 (Monday) to 7 (Sunday), at least one.
    #[schema(value_type = Vec<Weekday>, min_items = 1, max_items = 7)]
    pub weekdays: Vec<i32>,
    /// One to three meal times, each meal at most once.
    #[schema(min_items = 1, max_items = 3)]
    pub meal_times: Vec<MealTime>,
    #[schema(minimum = 1, maximum = 10000)]
    pub capacity_per_meal: i32,
    /// Booking closes this many minutes before a meal, 0-1440; default 120.
    #[schema(minimum = 0, maximum = 1440)]
    pub cutoff_minutes: Option<i32>,
    /// Meals delivered to disabled elders verified by an admin; default false.
    #[serde(default)]
    pub delivery: bool,
}

/// A canteen's body whose fields all hold.
pub struct CanteenDraft {
    pub name: String,
    pub place: String,
    pub community_ids: Vec<i64>,
    pub weekdays: Vec<i32>,
    pub meal_times: Vec<(MealKind, NaiveTime)>,
    pub capacity_per_meal: i32,
    pub cutoff_minutes: i32,
    pub delivery: bool,
}

impl CanteenDraft {
    pub fn parse(new: &NewCanteen) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let name = errors.text("name", &new.name, 1, 64);
        let place = errors.text("place", &new.place, 1, 100);
        let mut community_ids = new.community_ids.clone();
        if community_ids.len() > MAX_COMMUNITIES {
            errors.push("community_ids", "最多 50 个社区");
        }
        if community_ids.is_empty() {
            community_ids.push(new.community_id);
        }
        community_ids.sort_unstable();
        community_ids.dedup();
        let mut weekdays = new.weekdays.clone();
        weekdays.sort_unstable();
        weekdays.dedup();
        if weekdays.is_empty() || weekdays.iter().any(|d| !(1..=7).contains(d)) {
            errors.push("weekdays", "须为 1-7 的星期几，至少一个");
        }
        let mut meal_times = Vec::new();
        if new.meal_times.is_empty() || new.meal_times.len() > 3 {
            errors.push("meal_times", "须为 1-3 个餐次");
        }
        for (i, t) in new.meal_times.iter().enumerate() {
            match NaiveTime::parse_from_str(&t.serves_at, "%H:%M") {
                Ok(at) if t.serves_at.len() == 5 => meal_times.push((t.meal, at)),
                _ => errors.push(format!("meal_times[{i}].serves_at"), "须为 HH:MM"),
            }
            if new.meal_times[..i].iter().any(|o| o.meal == t.meal) {
                errors.push(format!("meal_times[{i}].meal"), "每个餐次只能出现一次");
            }
        }
        meal_times.sort_by_key(|(_, at)| *at);
        if !(1..=10_000).contains(&new.capacity_per_meal) {
            errors.push("capacity_per_meal", "须为 1-10000");
        }
        let cutoff_minutes = new.cutoff_minutes.unwrap_or(120);
        if !(0..=1440).contains(&cutoff_minutes) {
            errors.push("cutoff_minutes", "须为 0-1440 分钟");
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        Ok(Self {
            name,
            place,
            community_ids,
            weekdays,
            meal_times,
            capacity_per_meal: new.capacity_per_meal,
            cutoff_minutes,
            delivery: new.delivery,
        })
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CanteenView {
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub place: String,
    pub community_ids: Vec<i64>,
    pub weekdays: Vec<i32>,
    pub meal_times: Vec<MealTime>,
    pub capacity_per_meal: i32,
    pub cutoff_minutes: i32,
    pub delivery: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct NewDish {
    #[schema(max_length = 32, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: String,
    /// CNY, two decimals, above 0.
    #[schema(value_type = String, example = "12.00", pattern = r"^(0\.(0[1-9]|[1-9][0-9])|[1-9][0-9]{0,7}\.[0-9]{2})$")]
    pub price: Money,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct NewMenu {
    /// `YYYY-MM-DD` (China Standard Time), an opening day in the future.
    #[schema(format = Date, example = "2026-12-08")]
    pub date: String,
    /// One of the canteen's meal times.
    pub meal: MealKind,
    /// 1-30 dishes.
    #[schema(min_items = 1, max_items = 30)]
    pub dishes: Vec<NewDish>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DishView {
    pub id: i64,
    pub name: String,
    pub price: Money,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MealView {
    pub id: i64,
    pub canteen_id: i64,
    pub date: String,
    pub meal: MealKind,
    pub serves_at: DateTime<Utc>,
    /// Bookings (and cancellations) close at this time.
    pub books_until: DateTime<Utc>,
    pub capacity: i32,
    pub taken: i32,
    pub dishes: Vec<DishView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MenuQuery {
    /// First day, `YYYY-MM-DD` (default: today, China Standard Time).
    pub from: Option<NaiveDate>,
    /// Last day, inclusive (default: `from` + 6). A span longer than 31 days
    /// is cut to its first 31; `to` before `from` covers no day.
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CanteenQuery {
    /// Canteens serving this community.
    pub community_id: Option<i64>,
}

/// A `YYYY-MM-DD` day between 2000 and 2100.
pub fn parse_day(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|d| raw.len() == 10 && (2000..2100).contains(&chrono::Datelike::year(d)))
}

/// When a meal of `day` at `at` (China Standard Time) is served, in UTC.
pub fn serves_at(day: NaiveDate, at: NaiveTime) -> DateTime<Utc> {
    day.and_time(at).and_utc() - CST
}

/// The day (China Standard Time) `t` falls on.
pub fn cst_day(t: DateTime<Utc>) -> NaiveDate {
    (t + CST).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> NewCanteen {
        NewCanteen {
            community_id: 1,
            name: "幸福食堂".into(),
            place: "社区服务中心一楼".into(),
            community_ids: vec![],
            weekdays: vec![5, 1, 1],
            meal_times: vec![
                MealTime {
                    meal: MealKind::Dinner,
                    serves_at: "17:30".into(),
                },
                MealTime {
                    meal: MealKind::Lunch,
                    serves_at: "11:30".into(),
                },
            ],
            capacity_per_meal: 80,
            cutoff_minutes: None,
            delivery: true,
        }
    }

    #[test]
    fn a_good_canteen_parses_with_its_defaults() {
        let Ok(d) = CanteenDraft::parse(&body()) else {
            panic!("should parse");
        };
        assert_eq!(d.community_ids, vec![1]);
        assert_eq!(d.weekdays, vec![1, 5]);
        assert_eq!(d.cutoff_minutes, 120);
        assert_eq!(d.meal_times[0].0, MealKind::Lunch);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut b = body();
        b.name = " ".into();
        b.weekdays = vec![0, 8];
        b.meal_times[1].serves_at = "25:00".into();
        b.meal_times[0].meal = MealKind::Lunch;
        b.capacity_per_meal = 0;
        b.cutoff_minutes = Some(-1);
        let Err(errors) = CanteenDraft::parse(&b) else {
            panic!("should fail");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "name",
                "weekdays",
                "meal_times[1].serves_at",
                "meal_times[1].meal",
                "capacity_per_meal",
                "cutoff_minutes"
            ]
        );
    }

    #[test]
    fn meal_times_are_china_standard_time() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap_or_default();
        let at = NaiveTime::from_hms_opt(11, 30, 0).unwrap_or_default();
        assert_eq!(serves_at(day, at).to_rfc3339(), "2026-12-08T03:30:00+00:00");
        assert_eq!(cst_day(serves_at(day, at)), day);
        assert!(parse_day("2026-2-08").is_none());
        assert!(parse_day("2126-02-08").is_none());
    }
}
