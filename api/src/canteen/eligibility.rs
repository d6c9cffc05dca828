//! Who gets what at the canteen: the subsidy per meal of an elder's
//! community (60+ by a verified birth date only), delivery for residents an
//! admin verified as disabled, and the grid worker who may book for an
//! elder of their grid (代办).

use chrono::{DateTime, NaiveDate, Utc};
use entity::{building, canteen_subsidy_rate, grid_worker, user, verified_disability};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::activities::birth_dates::{age_on, verified};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::money::Money;

/// Age from which the subsidy applies.
pub const SUBSIDY_AGE: i32 = 60;

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct SubsidyRateBody {
    /// CNY per subsidised meal, two decimals, 0.00-100.00.
    #[schema(value_type = String, example = "3.00", pattern = r"^(100\.00|[0-9]{1,2}\.[0-9]{2})$")]
    pub subsidy_per_meal: Money,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SubsidyRateView {
    pub community_id: i64,
    pub subsidy_per_meal: Money,
    /// False: the `[canteen] subsidy_per_meal` default applies.
    pub configured: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct DisabilityBody {
    /// True: verified disabled (may have meals delivered); false: withdrawn.
    pub disabled: bool,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DisabilityView {
    pub user_id: i64,
    pub disabled: bool,
    pub verified_by: Option<i64>,
    pub verified_at: Option<DateTime<Utc>>,
}

/// The subsidy per meal for residents of `community_id`.
pub async fn rate_of(
    db: &impl ConnectionTrait,
    community_id: i64,
    default: Money,
) -> ApiResult<Money> {
    Ok(canteen_subsidy_rate::Entity::find_by_id(community_id)
        .one(db)
        .await?
        .map(|r| Money::from_fen(r.subsidy_fen))
        .unwrap_or(default))
}

pub async fn rate_view(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    community_id: i64,
    default: Money,
) -> ApiResult<SubsidyRateView> {
    me.require_admin_of(db, community_id).await?;
    let row = canteen_subsidy_rate::Entity::find_by_id(community_id)
        .one(db)
        .await?;
    Ok(SubsidyRateView {
        community_id,
        configured: row.is_some(),
        subsidy_per_meal: row.map_or(default, |r| Money::from_fen(r.subsidy_fen)),
    })
}

/// Sets a community's subsidy per meal (its admins only).
pub async fn set_rate(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    community_id: i64,
    body: &SubsidyRateBody,
    now: DateTime<Utc>,
) -> ApiResult<SubsidyRateView> {
    me.require_admin_of(db, community_id).await?;
    if !crate::community_links::community_exists(db, community_id).await? {
        return Err(ErrorCode::CommunityNotFound.into());
    }
    if body.subsidy_per_meal > Money::from_fen(10_000) {
        return Err(ApiError::field("subsidy_per_meal", "不能超过 100.00"));
    }
    canteen_subsidy_rate::Entity::insert(canteen_subsidy_rate::ActiveModel {
        community_id: Set(community_id),
        subsidy_fen: Set(body.subsidy_per_meal.fen()),
        updated_by: Set(me.id()),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(canteen_subsidy_rate::Column::CommunityId)
            .update_columns([
                canteen_subsidy_rate::Column::SubsidyFen,
                canteen_subsidy_rate::Column::UpdatedBy,
                canteen_subsidy_rate::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(SubsidyRateView {
        community_id,
        subsidy_per_meal: body.subsidy_per_meal,
        configured: true,
    })
}

/// Whether the resident is 60 or older on `day` by a verified birth date
/// (a self-declared age never counts).
pub async fn subsidy_age(
    db: &impl ConnectionTrait,
    user_id: i64,
    day: NaiveDate,
) -> ApiResult<bool> {
    Ok(verified(db, user_id)
        .await?
        .is_some_and(|born| age_on(born, day) >= SUBSIDY_AGE))
}

pub async fn is_disabled(db: &impl ConnectionTrait, user_id: i64) -> ApiResult<bool> {
    Ok(verified_disability::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .is_some())
}

/// Records (or withdraws) that a resident is disabled: an admin of the
/// resident's community. Another community's resident is 404.
pub async fn set_disability(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    user_id: i64,
    body: &DisabilityBody,
    now: DateTime<Utc>,
) -> ApiResult<DisabilityView> {
    let resident = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::UserNotFound))?;
    let Some(community) = resident.community_id else {
        return Err(ErrorCode::UserNotFound.into());
    };
    if me.require_admin_of(db, community).await.is_err() {
        return Err(ErrorCode::UserNotFound.into());
    }
    if !body.disabled {
        verified_disability::Entity::delete_many()
            .filter(verified_disability::Column::UserId.eq(user_id))
            .exec(db)
            .await?;
        return Ok(DisabilityView {
            user_id,
            disabled: false,
            verified_by: None,
            verified_at: None,
        });
    }
    verified_disability::Entity::insert(verified_disability::ActiveModel {
        user_id: Set(user_id),
        verified_by: Set(me.id()),
        verified_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(verified_disability::Column::UserId)
            .update_columns([
                verified_disability::Column::VerifiedBy,
                verified_disability::Column::VerifiedAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(DisabilityView {
        user_id,
        disabled: true,
        verified_by: Some(me.id()),
        verified_at: Some(now),
    })
}

/// Whether `worker` is a grid worker of the grid `resident` lives in.
pub async fn works_grid_of(
    db: &impl ConnectionTrait,
    worker: i64,
    resident: &user::Model,
) -> ApiResult<bool> {
    let Some(building_id) = resident.building_id else {
        return Ok(false);
    };
    let Some(building) = building::Entity::find_by_id(building_id).one(db).await? else {
        return Ok(false);
    };
    Ok(grid_worker::Entity::find_by_id((worker, building.grid_id))
        .one(db)
        .await?
        .is_some())
}
