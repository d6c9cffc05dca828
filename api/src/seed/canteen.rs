//! Demo canteens (the county has two, 长者食堂 and 幸福食堂, each serving
//! about a thousand meals a fortnight): two per scale, each in its own
//! community, open on weekdays with lunch at 11:30; the last fortnight's ten
//! lunches published, sixty of the community's residents booked for each,
//! four in five of them verified 60+ and subsidised 3.00.

use chrono::{Datelike, Duration, NaiveTime, Weekday};
use entity::{
    canteen, canteen_community, canteen_meal, community, meal_booking, meal_dish, user,
    verified_birth_date,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::{Plan, Report};
use crate::canteen::model::{cst_day, serves_at};
use crate::error::ApiResult;
use crate::time;

/// Seeded canteens are opened by nobody (`created_by = 0`).
const SEEDER: i64 = 0;
const PER_MEAL: u64 = 60;
const NAMES: [&str; 2] = ["长者食堂", "幸福食堂"];
/// (name, price in fen): every seeded booking takes one of each.
const DISHES: [(&str, i64); 3] = [("红烧鸡块", 800), ("清炒时蔬", 300), ("米饭", 100)];
const SUBSIDY_FEN: i64 = 300;

pub async fn seed(db: &DatabaseConnection, plan: &Plan, report: &mut Report) -> ApiResult<()> {
    let mine = || canteen::Entity::find().filter(canteen::Column::CreatedBy.eq(SEEDER));
    let have = mine().count(db).await? as usize;
    let communities = community::Entity::find()
        .order_by_asc(community::Column::Id)
        .all(db)
        .await?;
    let now = time::now();
    let today = cst_day(now);
    let lunch = NaiveTime::from_hms_opt(11, 30, 0).unwrap_or_default();
    let days: Vec<_> = (1..=14)
        .rev()
        .map(|d| today - Duration::days(d))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    let (mut meals_made, mut bookings_made) = (0u64, 0u64);
    for n in have..plan.canteens {
        let Some(c) = communities.get(n % communities.len().max(1)) else {
            break;
        };
        let residents: Vec<user::Model> = user::Entity::find()
            .filter(user::Column::CommunityId.eq(c.id))
            .filter(user::Column::Openid.starts_with("seed-"))
            .order_by_asc(user::Column::Id)
            .limit(PER_MEAL)
            .all(db)
            .await?;
        // A canteen, its meals and bookings commit together, so a rerun
        // never finds one without the others.
        let txn = db.begin().await?;
        let opened = now - Duration::days(30);
        let saved = canteen::ActiveModel {
            community_id: Set(c.id),
            name: Set(NAMES[n % NAMES.len()].to_owned()),
            place: Set("社区服务中心一楼".to_owned()),
            weekdays: Set("1,2,3,4,5".to_owned()),
            meal_times: Set(r#"[{"meal":"lunch","serves_at":"11:30"}]"#.to_owned()),
            capacity_per_meal: Set(100),
            cutoff_minutes: Set(120),
            delivery: Set(true),
            created_by: Set(SEEDER),
            created_at: Set(opened),
            updated_at: Set(opened),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        canteen_community::Entity::insert(canteen_community::ActiveModel {
            canteen_id: Set(saved.id),
            community_id: Set(c.id),
        })
        .exec_without_returning(&txn)
        .await?;
        // Four in five verified 60+ (born 1950), the rest not verified.
        let elders: Vec<verified_birth_date::ActiveModel> = residents
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 5 != 4)
            .map(|(_, r)| verified_birth_date::ActiveModel {
                user_id: Set(r.id),
                birth_date: Set(chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default()),
                verified_by: Set(SEEDER),
                verified_at: Set(opened),
            })
            .collect();
        if !elders.is_empty() {
            verified_birth_date::Entity::insert_many(elders)
                .on_conflict(
                    OnConflict::column(verified_birth_date::Column::UserId)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        for day in &days {
            let at = serves_at(*day, lunch);
            let date = day.format("%Y-%m-%d").to_string();
            let meal = canteen_meal::ActiveModel {
                canteen_id: Set(saved.id),
                date: Set(date.clone()),
                meal: Set("lunch".to_owned()),
                serves_at: Set(at),
                capacity: Set(100),
                taken: Set(residents.len() as i32),
                published_by: Set(SEEDER),
                published_at: Set(at - Duration::days(3)),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            meals_made += 1;
            let mut lines = Vec::new();
            for (i, (name, price)) in DISHES.iter().enumerate() {
                let dish = meal_dish::ActiveModel {
                    meal_id: Set(meal.id),
                    name: Set((*name).to_owned()),
                    price_fen: Set(*price),
                    position: Set(i as i32),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                lines.push(serde_json::json!({
                    "dish_id": dish.id, "name": name, "price_fen": price, "quantity": 1
                }));
            }
            let lines = serde_json::Value::Array(lines).to_string();
            let total: i64 = DISHES.iter().map(|(_, p)| p).sum();
            let rows: Vec<meal_booking::ActiveModel> = residents
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let subsidy = if i % 5 != 4 { SUBSIDY_FEN } else { 0 };
                    meal_booking::ActiveModel {
                        meal_id: Set(meal.id),
                        canteen_id: Set(saved.id),
                        user_id: Set(r.id),
                        booked_by: Set(r.id),
                        participant_name: Set(r.nickname.clone()),
                        status: Set("booked".to_owned()),
                        live_key: Set(Some(format!("{}:u{}", meal.id, r.id))),
                        subsidy_key: Set((subsidy > 0).then(|| format!("{date}:lunch:u{}", r.id))),
                        meal_date: Set(date.clone()),
                        meal: Set("lunch".to_owned()),
                        lines: Set(lines.clone()),
                        dishes_total_fen: Set(total),
                        subsidy_fen: Set(subsidy),
                        amount_fen: Set(total - subsidy),
                        pay_method: Set("counter".to_owned()),
                        paid_at: Set(Some(at)),
                        paid_marked_by: Set(Some(SEEDER)),
                        delivery: Set(false),
                        delivered_at: Set(None),
                        delivered_by: Set(None),
                        created_at: Set(at - Duration::days(1)),
                        updated_at: Set(at),
                        ..Default::default()
                    }
                })
                .collect();
            bookings_made += rows.len() as u64;
            if !rows.is_empty() {
                meal_booking::Entity::insert_many(rows)
                    .exec_without_returning(&txn)
                    .await?;
            }
        }
        txn.commit().await?;
    }
    let created = plan.canteens.saturating_sub(have) as u64;
    let total = mine().count(db).await?;
    let ids: Vec<i64> = mine()
        .select_only()
        .column(canteen::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let meals_total = canteen_meal::Entity::find()
        .filter(canteen_meal::Column::CanteenId.is_in(ids.clone()))
        .count(db)
        .await?;
    let bookings_total = meal_booking::Entity::find()
        .filter(meal_booking::Column::CanteenId.is_in(ids))
        .count(db)
        .await?;
    report.add("canteens", created.min(total), total);
    report.add("meals", meals_made, meals_total);
    report.add("meal_bookings", bookings_made, bookings_total);
    Ok(())
}
