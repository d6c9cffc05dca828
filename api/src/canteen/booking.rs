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
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::eligibility::{is_disabled, rate_of, subsidy_age, works_grid_of};
use super::model::{MAX_CHOICES, MAX_PORTIONS, MealKind, parse_day};
use super::service::{books_until, find};
use crate::auth::{AuthUser, Role};
use crate::community_links::communities_of_one;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::FieldErrors;
use crate::idempotency::{self, Begun, IdempotencyKey};
use crate::money::Money;
use crate::pagination::{Page, Paged};
use crate::signups::{self, Places};

pub const BOOKED: &str = "booked";
pub const CANCELLED: &str = "cancelled";
const COUNTER: &str = "counter";

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
struct StoredLine {
    dish_id: i64,
    name: String,
    price_fen: i64,
    quantity: i32,
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
    let done = meal_booking::Entity::update_many()
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
        .filter(meal_booking::Column::Id.eq(found.id))
        .filter(meal_booking::Column::Status.eq(BOOKED))
        .exec(&*txn)
        .await?;
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
