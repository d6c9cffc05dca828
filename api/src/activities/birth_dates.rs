//! Birth dates verified by a community admin or a grid worker of the
//! resident's grid: the only age the age rules (and the canteen's 60+
//! subsidy) trust.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{building, grid_worker, user, verified_birth_date};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, ErrorCode};

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct BirthDateBody {
    /// `YYYY-MM-DD`, as on the resident's ID card.
    #[schema(format = Date, pattern = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub birth_date: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BirthDateView {
    pub user_id: i64,
    pub birth_date: NaiveDate,
    pub verified_by: i64,
    pub verified_at: DateTime<Utc>,
}

/// Whole years of age on `today`.
pub fn age_on(born: NaiveDate, today: NaiveDate) -> i32 {
    let mut age = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age
}

/// A resident's verified birth date, if any.
pub async fn verified(db: &impl ConnectionTrait, user_id: i64) -> ApiResult<Option<NaiveDate>> {
    Ok(verified_birth_date::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(|v| v.birth_date))
}

/// Whether the caller may vouch for `resident`'s birth date: an admin of
/// their community, or a grid worker of their grid.
async fn may_verify(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    resident: &user::Model,
) -> ApiResult<bool> {
    if me.has(Role::PlatformAdmin) {
        return Ok(true);
    }
    if me.has(Role::CommunityAdmin)
        && let Some(c) = resident.community_id
        && me
            .admin_communities(db)
            .await?
            .is_some_and(|own| own.contains(&c))
    {
        return Ok(true);
    }
    if me.has(Role::GridWorker)
        && let Some(b) = resident.building_id
        && let Some(b) = building::Entity::find_by_id(b).one(db).await?
    {
        return Ok(grid_worker::Entity::find_by_id((me.id(), b.grid_id))
            .one(db)
            .await?
            .is_some());
    }
    Ok(false)
}

/// Records (or corrects) a resident's verified birth date.
pub async fn verify(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    user_id: i64,
    body: &BirthDateBody,
    now: DateTime<Utc>,
) -> ApiResult<BirthDateView> {
    me.require_any(&[Role::PlatformAdmin, Role::CommunityAdmin, Role::GridWorker])?;
    let resident = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::UserNotFound))?;
    if !may_verify(db, me, &resident).await? {
        return Err(ErrorCode::Forbidden.into());
    }
    let born = NaiveDate::parse_from_str(&body.birth_date, "%Y-%m-%d")
        .ok()
        .filter(|d| d.year() >= 1900 && *d <= now.date_naive())
        .ok_or_else(|| ApiError::field("birth_date", "须为 1900 年至今的日期 YYYY-MM-DD"))?;
    verified_birth_date::Entity::insert(verified_birth_date::ActiveModel {
        user_id: Set(user_id),
        birth_date: Set(born),
        verified_by: Set(me.id()),
        verified_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(verified_birth_date::Column::UserId)
            .update_columns([
                verified_birth_date::Column::BirthDate,
                verified_birth_date::Column::VerifiedBy,
                verified_birth_date::Column::VerifiedAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(BirthDateView {
        user_id,
        birth_date: born,
        verified_by: me.id(),
        verified_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_turns_on_the_birthday() {
        let born = NaiveDate::from_ymd_opt(1966, 12, 8).unwrap_or_default();
        let eve = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        let day = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap_or_default();
        assert_eq!(age_on(born, eve), 59);
        assert_eq!(age_on(born, day), 60);
    }
}
