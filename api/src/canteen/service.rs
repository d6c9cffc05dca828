//! Canteens and their menus: creating and editing a canteen (an admin of its
//! community), publishing a meal's menu, reading them.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Days, NaiveTime, TimeDelta, Utc};
use entity::{canteen, canteen_community, canteen_meal, meal_booking, meal_dish};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use super::model::{
    CanteenDraft, CanteenQuery, CanteenView, DishView, MAX_DISHES, MAX_MENU_DAYS, MealKind,
    MealTime, MealView, MenuQuery, NewCanteen, NewMenu, cst_day, parse_day, serves_at,
};
use crate::auth::AuthUser;
use crate::community_links::{self, communities_of, communities_of_one};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::{FieldErrors, query_day};
use crate::money::Money;
use crate::pagination::{Page, Paged};

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<canteen::Model> {
    canteen::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::CanteenNotFound))
}

/// The canteen, when the caller administers its community; another
/// community's admin gets 404 (they learn nothing of it).
pub async fn find_for_admin(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<canteen::Model> {
    let found = find(db, id).await?;
    if me.require_admin_of(db, found.community_id).await.is_err() {
        return Err(ErrorCode::CanteenNotFound.into());
    }
    Ok(found)
}

/// The meal times a canteen keeps (bad stored JSON reads as none).
pub fn meal_times(c: &canteen::Model) -> Vec<MealTime> {
    serde_json::from_str(&c.meal_times).unwrap_or_default()
}

pub fn weekdays(c: &canteen::Model) -> Vec<i32> {
    c.weekdays
        .split(',')
        .filter_map(|d| d.trim().parse().ok())
        .collect()
}

fn view(c: &canteen::Model, community_ids: Vec<i64>) -> CanteenView {
    CanteenView {
        id: c.id,
        community_id: c.community_id,
        name: c.name.clone(),
        place: c.place.clone(),
        community_ids,
        weekdays: weekdays(c),
        meal_times: meal_times(c),
        capacity_per_meal: c.capacity_per_meal,
        cutoff_minutes: c.cutoff_minutes,
        delivery: c.delivery,
        created_at: c.created_at,
    }
}

pub async fn detail(db: &impl ConnectionTrait, c: &canteen::Model) -> ApiResult<CanteenView> {
    let served = communities_of_one::<canteen_community::Entity>(db, c.id).await?;
    Ok(view(c, served))
}

/// Checks the communities a canteen's body names: the caller administers
/// every one (403 otherwise), and they exist.
async fn check_communities(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    new: &NewCanteen,
) -> ApiResult<CanteenDraft> {
    me.require_admin_of(db, new.community_id).await?;
    let draft = CanteenDraft::parse(new).map_err(ApiError::validation)?;
    me.require_admin_of_all(db, &draft.community_ids).await?;
    let mut errors = FieldErrors::default();
    community_links::check_community_ids(db, &mut errors, &draft.community_ids, 50).await?;
    errors.finish()?;
    Ok(draft)
}

fn stored_meal_times(draft: &CanteenDraft) -> String {
    let times: Vec<MealTime> = draft
        .meal_times
        .iter()
        .map(|(meal, at)| MealTime {
            meal: *meal,
            serves_at: at.format("%H:%M").to_string(),
        })
        .collect();
    serde_json::to_string(&times).unwrap_or_else(|_| "[]".into())
}

fn stored_weekdays(draft: &CanteenDraft) -> String {
    draft
        .weekdays
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

pub async fn create(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    new: &NewCanteen,
    now: DateTime<Utc>,
) -> ApiResult<CanteenView> {
    let draft = check_communities(db, me, new).await?;
    let saved = canteen::ActiveModel {
        community_id: Set(new.community_id),
        name: Set(draft.name.clone()),
        place: Set(draft.place.clone()),
        weekdays: Set(stored_weekdays(&draft)),
        meal_times: Set(stored_meal_times(&draft)),
        capacity_per_meal: Set(draft.capacity_per_meal),
        cutoff_minutes: Set(draft.cutoff_minutes),
        delivery: Set(draft.delivery),
        created_by: Set(me.id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    community_links::link::<canteen_community::Entity>(db, saved.id, &draft.community_ids).await?;
    Ok(view(&saved, draft.community_ids))
}

/// Replaces a canteen's settings. Meals already published keep their
/// places; new menus follow the new settings.
pub async fn update(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
    new: &NewCanteen,
    now: DateTime<Utc>,
) -> ApiResult<CanteenView> {
    let found = find_for_admin(db, me, id).await?;
    let draft = check_communities(db, me, new).await?;
    let mut active: canteen::ActiveModel = found.into();
    active.community_id = Set(new.community_id);
    active.name = Set(draft.name.clone());
    active.place = Set(draft.place.clone());
    active.weekdays = Set(stored_weekdays(&draft));
    active.meal_times = Set(stored_meal_times(&draft));
    active.capacity_per_meal = Set(draft.capacity_per_meal);
    active.cutoff_minutes = Set(draft.cutoff_minutes);
    active.delivery = Set(draft.delivery);
    active.updated_at = Set(now);
    let saved = active.update(db).await?;
    community_links::relink::<canteen_community::Entity>(db, saved.id, &draft.community_ids)
        .await?;
    Ok(view(&saved, draft.community_ids))
}

/// Canteens serving `community_id` (or all), in id order.
pub async fn list(
    db: &impl ConnectionTrait,
    query: &CanteenQuery,
    page: Page,
) -> ApiResult<Paged<CanteenView>> {
    let mut select = canteen::Entity::find();
    if let Some(c) = query.community_id {
        select = select.filter(
            canteen::Column::Id
                .in_subquery(community_links::linked_to::<canteen_community::Entity>([c])),
        );
    }
    page.fetch(db, select.order_by_asc(canteen::Column::Id))
        .await?
        .map_batch(|rows| async move {
            let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
            let mut served = communities_of::<canteen_community::Entity>(db, &ids).await?;
            Ok::<_, ApiError>(
                rows.iter()
                    .map(|c| view(c, served.remove(&c.id).unwrap_or_default()))
                    .collect(),
            )
        })
        .await
}

/// When bookings for a meal served at `at` close.
pub fn books_until(c: &canteen::Model, at: DateTime<Utc>) -> DateTime<Utc> {
    at - TimeDelta::minutes(i64::from(c.cutoff_minutes))
}

pub async fn meal_views(
    db: &impl ConnectionTrait,
    c: &canteen::Model,
    meals: Vec<canteen_meal::Model>,
) -> ApiResult<Vec<MealView>> {
    let ids: Vec<i64> = meals.iter().map(|m| m.id).collect();
    let mut dishes: HashMap<i64, Vec<DishView>> = HashMap::new();
    for d in meal_dish::Entity::find()
        .filter(meal_dish::Column::MealId.is_in(ids))
        .order_by_asc(meal_dish::Column::Position)
        .all(db)
        .await?
    {
        dishes.entry(d.meal_id).or_default().push(DishView {
            id: d.id,
            name: d.name,
            price: Money::from_fen(d.price_fen),
        });
    }
    Ok(meals
        .into_iter()
        .filter_map(|m| {
            Some(MealView {
                id: m.id,
                canteen_id: m.canteen_id,
                meal: MealKind::parse(&m.meal)?,
                books_until: books_until(c, m.serves_at),
                serves_at: m.serves_at,
                capacity: m.capacity,
                taken: m.taken,
                dishes: dishes.remove(&m.id).unwrap_or_default(),
                date: m.date,
            })
        })
        .collect())
}

/// Publishes (or, before anyone booked, replaces) the menu of one meal.
pub async fn publish_menu(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    canteen_id: i64,
    new: &NewMenu,
    now: DateTime<Utc>,
) -> ApiResult<MealView> {
    let c = find_for_admin(db, me, canteen_id).await?;
    let mut errors = FieldErrors::default();
    let day = parse_day(&new.date);
    let time: Option<NaiveTime> = meal_times(&c)
        .into_iter()
        .find(|t| t.meal == new.meal)
        .and_then(|t| NaiveTime::parse_from_str(&t.serves_at, "%H:%M").ok());
    match day {
        None => errors.push("date", "须为 2000-2099 年的日期 YYYY-MM-DD"),
        Some(d) => {
            let weekday = d.weekday().number_from_monday() as i32;
            if !weekdays(&c).contains(&weekday) {
                errors.push("date", "食堂当天不营业");
            }
            if let Some(t) = time
                && serves_at(d, t) <= now
            {
                errors.push("date", "该餐次已过");
            }
        }
    }
    if time.is_none() {
        errors.push("meal", "食堂没有该餐次");
    }
    if new.dishes.is_empty() || new.dishes.len() > MAX_DISHES {
        errors.push("dishes", "须为 1-30 道菜");
    }
    let mut names = Vec::new();
    for (i, d) in new.dishes.iter().enumerate() {
        names.push(errors.text(&format!("dishes[{i}].name"), &d.name, 1, 32));
        if d.price.is_zero() {
            errors.push(format!("dishes[{i}].price"), "须大于 0");
        }
    }
    errors.finish()?;
    let (Some(day), Some(time)) = (day, time) else {
        return Err(ApiError::field("date", "须为日期 YYYY-MM-DD"));
    };
    let date = day.format("%Y-%m-%d").to_string();
    let existing = canteen_meal::Entity::find()
        .filter(canteen_meal::Column::CanteenId.eq(c.id))
        .filter(canteen_meal::Column::Date.eq(date.clone()))
        .filter(canteen_meal::Column::Meal.eq(new.meal.as_str()))
        .one(db)
        .await?;
    let meal = match existing {
        Some(m) => {
            let booked = meal_booking::Entity::find()
                .filter(meal_booking::Column::MealId.eq(m.id))
                .count(db)
                .await?;
            if booked > 0 {
                return Err(ErrorCode::MenuLocked.into());
            }
            meal_dish::Entity::delete_many()
                .filter(meal_dish::Column::MealId.eq(m.id))
                .exec(db)
                .await?;
            let mut active: canteen_meal::ActiveModel = m.into();
            active.published_by = Set(me.id());
            active.published_at = Set(now);
            active.capacity = Set(c.capacity_per_meal);
            active.update(db).await?
        }
        None => {
            let inserted = canteen_meal::ActiveModel {
                canteen_id: Set(c.id),
                date: Set(date),
                meal: Set(new.meal.as_str().into()),
                serves_at: Set(serves_at(day, time)),
                capacity: Set(c.capacity_per_meal),
                taken: Set(0),
                published_by: Set(me.id()),
                published_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await;
            // Two admins publishing the same meal at once: one wins.
            crate::db::or_conflict(inserted, ErrorCode::AlreadyExists)?
        }
    };
    for (i, (d, name)) in new.dishes.iter().zip(names).enumerate() {
        meal_dish::ActiveModel {
            meal_id: Set(meal.id),
            name: Set(name),
            price_fen: Set(d.price.fen()),
            position: Set(i as i32),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    meal_views(db, &c, vec![meal])
        .await?
        .pop()
        .ok_or_else(|| ApiError::new(ErrorCode::MealNotFound))
}

/// A canteen's published meals over a span of days (at most 31).
pub async fn menus(
    db: &impl ConnectionTrait,
    canteen_id: i64,
    query: &MenuQuery,
    now: DateTime<Utc>,
) -> ApiResult<Vec<MealView>> {
    let c = find(db, canteen_id).await?;
    let from = query_day("from", query.from)?.unwrap_or_else(|| cst_day(now));
    let default_to = from.checked_add_days(Days::new(6)).unwrap_or(from);
    let to = query_day("to", query.to)?.unwrap_or(default_to);
    let (from, to) = crate::time::day_range(Some(from), Some(to), from, MAX_MENU_DAYS);
    let meals = canteen_meal::Entity::find()
        .filter(canteen_meal::Column::CanteenId.eq(c.id))
        .filter(canteen_meal::Column::Date.gte(from.format("%Y-%m-%d").to_string()))
        .filter(canteen_meal::Column::Date.lte(to.format("%Y-%m-%d").to_string()))
        .order_by_asc(canteen_meal::Column::ServesAt)
        .all(db)
        .await?;
    meal_views(db, &c, meals).await
}
