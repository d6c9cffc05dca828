//! After booking: the counter marking a meal paid, the volunteer recording
//! a delivery.

use chrono::{DateTime, Utc};
use entity::{canteen, canteen_meal, meal_booking, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::booking::{BOOKED, MealBookingView, find_meal, view};
use super::eligibility::works_grid_of;
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, ErrorCode};

/// A booking as the canteen's admin sees it: 404 outside their communities.
async fn for_canteen_admin(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<(meal_booking::Model, canteen_meal::Model, canteen::Model)> {
    let found = meal_booking::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::MealBookingNotFound))?;
    let (meal, c) = find_meal(db, found.meal_id).await?;
    if me.require_admin_of(db, c.community_id).await.is_err() {
        return Err(ErrorCode::MealBookingNotFound.into());
    }
    Ok((found, meal, c))
}

/// The counter took the money: once, for a booked meal.
pub async fn mark_paid(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<MealBookingView> {
    let (found, meal, _) = for_canteen_admin(db, me, id).await?;
    let done = meal_booking::Entity::update_many()
        .col_expr(meal_booking::Column::PaidAt, Expr::value(now))
        .col_expr(meal_booking::Column::PaidMarkedBy, Expr::value(me.id()))
        .col_expr(meal_booking::Column::UpdatedAt, Expr::value(now))
        .filter(meal_booking::Column::Id.eq(found.id))
        .filter(meal_booking::Column::Status.eq(BOOKED))
        .filter(meal_booking::Column::PaidAt.is_null())
        .exec(db)
        .await?;
    if done.rows_affected == 0 {
        return Err(ApiError::new(ErrorCode::InvalidTransition)
            .details(serde_json::json!({ "status": found.status, "paid_at": found.paid_at })));
    }
    let row = meal_booking::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::MealBookingNotFound))?;
    Ok(view(&row, meal.serves_at))
}

/// The volunteer who brought a delivered meal records it, once: an admin
/// of the canteen's community or a grid worker of the elder's grid.
pub async fn mark_delivered(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<MealBookingView> {
    let found = meal_booking::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::MealBookingNotFound))?;
    let (meal, c) = find_meal(db, found.meal_id).await?;
    let elder = user::Entity::find_by_id(found.user_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::MealBookingNotFound))?;
    let admin = (me.has(Role::PlatformAdmin) || me.has(Role::CommunityAdmin))
        && me.require_admin_of(db, c.community_id).await.is_ok();
    let worker = me.has(Role::GridWorker) && works_grid_of(db, me.id(), &elder).await?;
    if !admin && !worker {
        return Err(ErrorCode::MealBookingNotFound.into());
    }
    let done = meal_booking::Entity::update_many()
        .col_expr(meal_booking::Column::DeliveredAt, Expr::value(now))
        .col_expr(meal_booking::Column::DeliveredBy, Expr::value(me.id()))
        .col_expr(meal_booking::Column::UpdatedAt, Expr::value(now))
        .filter(meal_booking::Column::Id.eq(found.id))
        .filter(meal_booking::Column::Status.eq(BOOKED))
        .filter(meal_booking::Column::Delivery.eq(true))
        .filter(meal_booking::Column::DeliveredAt.is_null())
        .exec(db)
        .await?;
    if done.rows_affected == 0 {
        return Err(
            ApiError::new(ErrorCode::InvalidTransition).details(serde_json::json!({
                "status": found.status,
                "delivery": found.delivery,
                "delivered_at": found.delivered_at,
            })),
        );
    }
    let row = meal_booking::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::MealBookingNotFound))?;
    Ok(view(&row, meal.serves_at))
}
