//! Booking a meal (the elder, or their grid worker for them), cancelling
//! before the cut-off, the counter marking a meal paid, and the volunteer
//! recording a delivery. Places come from the `signups` engine.

use std::collections::{HashMap, HashSet};

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use entity::{canteen, canteen_community, canteen_meal, meal_booking, meal_dish, user};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::Value;

use super::eligibility::{is_disabled, rate_of, subsidy_age, works_grid_of};
use super::model::{MAX_CHOICES, MAX_PORTIONS, parse_day};
use super::service::{books_until, find};
use crate::auth::{AuthUser, Role};
use crate::community_links::communities_of_one;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::FieldErrors;
use crate::idempotency::{self, Begun, IdempotencyKey};
use crate::money::Money;
use crate::pagination::{Page, Paged};
use crate::signups::{self, Places};

pub use super::booking_view::*;
use super::booking_view::{COUNTER, StoredLine};
fn not_eligible(reason: &str, message: &str) -> ApiError {
    ApiError::new(ErrorCode::NotEligible)
        .message(message)
        .details(serde_json::json!({ "reason": reason }))
}

pub async fn find_meal(
    db: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<(canteen_meal::Model, canteen::Model)> {
    let meal = canteen_meal::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::MealNotFound))?;
    let c = find(db, meal.canteen_id).await?;
    Ok((meal, c))
}

/// The terms a booking is made on.
#[derive(Clone, Copy, Debug)]
pub struct Terms {
    pub now: DateTime<Utc>,
    /// The subsidy per meal where the community sets none.
    pub default_rate: Money,
    /// How long an online booking may stay unpaid; None where WeChat Pay is
    /// not enabled (`pay_method: online` answers 503).
    pub pay_window: Option<chrono::Duration>,
}

/// Books once per `Idempotency-Key`: a retry with the same body gets the
/// first answer again and takes no second place.
pub async fn book(
    db: &DatabaseConnection,
    me: &AuthUser,
    meal_id: i64,
    new: NewMealBooking,
    key: Option<IdempotencyKey>,
    terms: Terms,
) -> ApiResult<(StatusCode, Value)> {
    let route = format!("POST /canteen-meals/{meal_id}/bookings");
    let fingerprint = idempotency::fingerprint(&route, &new);
    let write = match idempotency::begin(db, me.id(), key.as_ref(), &fingerprint).await? {
        Begun::Replay(status, json) => return Ok((status, json)),
        Begun::Fresh(write) => write,
    };
    let created = create(write.txn(), me, meal_id, &new, terms)
        .await
        .and_then(|v| Ok((StatusCode::CREATED, serde_json::to_value(v)?)));
    write.finish(db, created).await
}

/// The elder a booking is for: the caller (a resident), or an elder of the
/// calling grid worker's grid (403 for anyone else's).
async fn elder_for(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    on_behalf_of: Option<i64>,
) -> ApiResult<user::Model> {
    match on_behalf_of {
        Some(uid) if uid != me.id() => {
            me.require(Role::GridWorker)?;
            let elder = user::Entity::find_by_id(uid)
                .one(db)
                .await?
                .ok_or_else(|| ApiError::new(ErrorCode::Forbidden))?;
            if !works_grid_of(db, me.id(), &elder).await? {
                return Err(
                    ApiError::new(ErrorCode::Forbidden).message("只能为本网格的居民代办订餐")
                );
            }
            Ok(elder)
        }
        _ => {
            me.require(Role::Resident)?;
            Ok(me.user.clone())
        }
    }
}

/// The chosen dishes as stored lines, every bad choice named at once.
async fn lines_of(
    db: &impl ConnectionTrait,
    meal_id: i64,
    choices: &[DishChoice],
) -> ApiResult<Vec<StoredLine>> {
    let mut errors = FieldErrors::default();
    if choices.is_empty() || choices.len() > MAX_CHOICES {
        errors.push("dishes", "须选择 1-20 道菜");
    }
    let menu: HashMap<i64, meal_dish::Model> = meal_dish::Entity::find()
        .filter(meal_dish::Column::MealId.eq(meal_id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let mut seen = HashSet::new();
    let mut lines = Vec::new();
    for (i, c) in choices.iter().enumerate() {
        if !(1..=MAX_PORTIONS).contains(&c.quantity) {
            errors.push(format!("dishes[{i}].quantity"), "须为 1-10 份");
        }
        if !seen.insert(c.dish_id) {
            errors.push(format!("dishes[{i}].dish_id"), "同一道菜只能出现一次");
            continue;
        }
        match menu.get(&c.dish_id) {
            None => errors.push(format!("dishes[{i}].dish_id"), "不在该餐次的菜单上"),
            Some(d) => lines.push(StoredLine {
                dish_id: d.id,
                name: d.name.clone(),
                price_fen: d.price_fen,
                quantity: c.quantity,
            }),
        }
    }
    errors.finish()?;
    Ok(lines)
}

async fn create(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    meal_id: i64,
    new: &NewMealBooking,
    terms: Terms,
) -> ApiResult<MealBookingView> {
    let Terms {
        now,
        default_rate,
        pay_window,
    } = terms;
    let elder = elder_for(db, me, new.on_behalf_of_user_id).await?;
    let (meal, c) = find_meal(db, meal_id).await?;
    let lines = lines_of(db, meal.id, &new.dishes).await?;
    let until = books_until(&c, meal.serves_at);
    if now >= until {
        return Err(ApiError::new(ErrorCode::MealBookingClosed)
            .details(serde_json::json!({ "books_until": until })));
    }
    let served = communities_of_one::<canteen_community::Entity>(db, c.id).await?;
    let Some(community) = elder.community_id.filter(|e| served.contains(e)) else {
        return Err(not_eligible("community", "该食堂只面向所服务社区的居民"));
    };
    let pay_window = match (new.pay_method, pay_window) {
        (PayMethod::Online, None) => {
            return Err(ApiError::new(ErrorCode::PaymentProviderUnavailable)
                .message("未启用微信支付，请选择到店付款"));
        }
        (PayMethod::Online, Some(window)) => Some(window),
        (PayMethod::Counter, _) => None,
    };
    if new.delivery {
        if !c.delivery {
            return Err(not_eligible("delivery_off", "该食堂不提供送餐"));
        }
        if !is_disabled(db, elder.id).await? {
            return Err(not_eligible("not_disabled", "送餐仅限经社区核实的失能老人"));
        }
    }
    // One elder's bookings one at a time (PostgreSQL; SQLite writers are
    // serialised already): the subsidy look-up below cannot miss a booking
    // being made for them at another canteen. The UNIQUE keys stand behind it.
    user::Entity::find_by_id(elder.id)
        .lock_exclusive()
        .one(db)
        .await?;
    let live_key = format!("{}:u{}", meal.id, elder.id);
    let held = meal_booking::Entity::find()
        .filter(meal_booking::Column::LiveKey.eq(live_key.clone()))
        .count(db)
        .await?;
    if held > 0 {
        return Err(ErrorCode::MealAlreadyBooked.into());
    }
    let total_fen: i64 = lines
        .iter()
        .map(|l| l.price_fen * i64::from(l.quantity))
        .sum();
    let subsidy_key = format!("{}:{}:u{}", meal.date, meal.meal, elder.id);
    let day = parse_day(&meal.date).ok_or_else(|| ApiError::new(ErrorCode::MealNotFound))?;
    let mut subsidy_fen = 0;
    if subsidy_age(db, elder.id, day).await? {
        let already = meal_booking::Entity::find()
            .filter(meal_booking::Column::SubsidyKey.eq(subsidy_key.clone()))
            .count(db)
            .await?;
        if already == 0 {
            let rate = rate_of(db, community, default_rate).await?.fen();
            subsidy_fen = std::cmp::min(rate, total_fen);
        }
    }
    let amount_fen = std::cmp::max(total_fen - subsidy_fen, 0);
    // Online: unpaid until the notify, at the latest by the cut-off; a
    // meal costing nothing is paid at once.
    let (pay_method, paid_at, pay_until) = match pay_window {
        None => (COUNTER, None, None),
        Some(_) if amount_fen == 0 => (super::payment::ONLINE, Some(now), None),
        Some(window) => (
            super::payment::ONLINE,
            None,
            Some(std::cmp::min(now + window, until)),
        ),
    };
    signups::take_one(db, Places::Meal(meal.id)).await?;
    let inserted = meal_booking::ActiveModel {
        meal_id: Set(meal.id),
        canteen_id: Set(c.id),
        user_id: Set(elder.id),
        booked_by: Set(me.id()),
        participant_name: Set(elder.nickname.clone()),
        status: Set(BOOKED.into()),
        live_key: Set(Some(live_key)),
        subsidy_key: Set((subsidy_fen > 0).then_some(subsidy_key)),
        meal_date: Set(meal.date.clone()),
        meal: Set(meal.meal.clone()),
        lines: Set(serde_json::to_string(&lines)?),
        dishes_total_fen: Set(total_fen),
        subsidy_fen: Set(subsidy_fen),
        amount_fen: Set(amount_fen),
        pay_method: Set(pay_method.into()),
        paid_at: Set(paid_at),
        pay_until: Set(pay_until),
        paid_marked_by: Set(None),
        delivery: Set(new.delivery),
        delivered_at: Set(None),
        delivered_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    let saved = crate::db::or_conflict(inserted, ErrorCode::MealAlreadyBooked)?;
    Ok(view(&saved, meal.serves_at))
}

/// A booking the caller made or eats; 404 for anyone else.
pub async fn own(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<meal_booking::Model> {
    meal_booking::Entity::find_by_id(id)
        .filter(
            meal_booking::Column::UserId
                .eq(me.id())
                .or(meal_booking::Column::BookedBy.eq(me.id())),
        )
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::MealBookingNotFound))
}

/// Cancels before the cut-off: the place goes back to the meal, the
/// subsidy to the elder's meal time. A meal already paid at the counter is
/// refunded there (the booking keeps its `paid_at`); one paid online is
/// refunded through WeChat Pay, recorded in the cancelling transaction.
pub async fn cancel(
    db: &DatabaseConnection,
    client: Option<&crate::wechatpay::WechatPayClient>,
    me: &AuthUser,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<MealBookingView> {
    let found = own(db, me, id).await?;
    let (meal, c) = find_meal(db, found.meal_id).await?;
    if found.status != BOOKED {
        return Err(ApiError::new(ErrorCode::InvalidTransition)
            .details(serde_json::json!({ "status": found.status })));
    }
    let until = books_until(&c, meal.serves_at);
    if now >= until {
        return Err(ApiError::new(ErrorCode::CancelCutoffPassed)
            .details(serde_json::json!({ "cancel_until": until })));
    }
    let txn = crate::db::begin_write(db).await?;
    let done = cancelling(found.id, now).exec(&*txn).await?;
    if done.rows_affected == 0 {
        return Err(ApiError::new(ErrorCode::InvalidTransition));
    }
    signups::give_back(&*txn, Places::Meal(meal.id)).await?;
    // Read again after the update: a payment recorded meanwhile is seen.
    let mut refunding = 0;
    if let Some(now_row) = meal_booking::Entity::find_by_id(found.id)
        .one(&*txn)
        .await?
        && now_row.pay_method == super::payment::ONLINE
        && now_row.paid_at.is_some()
    {
        refunding = super::payment::refund_all(
            &*txn,
            found.id,
            crate::orders::refunds::RefundReason::MealCancelled,
            now,
        )
        .await?;
    }
    txn.commit().await?;
    if refunding > 0 {
        crate::orders::refunds::send_soon(db, client);
    }
    Ok(view(&own(db, me, id).await?, meal.serves_at))
}

/// The caller's meal bookings (theirs and those they made for others), newest first.
pub async fn list_mine(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    page: Page,
) -> ApiResult<Paged<MealBookingView>> {
    let query = meal_booking::Entity::find()
        .filter(
            meal_booking::Column::UserId
                .eq(me.id())
                .or(meal_booking::Column::BookedBy.eq(me.id())),
        )
        .order_by_desc(meal_booking::Column::Id);
    page.fetch(db, query)
        .await?
        .map_batch(|rows| views(db, rows))
        .await
}

/// The update that cancels booking `id` if it is still booked: its place
/// key and subsidy key are freed with it (one conditional update, so two
/// cancels never both win).
pub(super) fn cancelling(id: i64, now: DateTime<Utc>) -> sea_orm::UpdateMany<meal_booking::Entity> {
    meal_booking::Entity::update_many()
        .col_expr(meal_booking::Column::Status, Expr::value(CANCELLED))
        .col_expr(
            meal_booking::Column::LiveKey,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            meal_booking::Column::SubsidyKey,
            Expr::value(Option::<String>::None),
        )
        .col_expr(meal_booking::Column::UpdatedAt, Expr::value(now))
        .filter(meal_booking::Column::Id.eq(id))
        .filter(meal_booking::Column::Status.eq(BOOKED))
}
