//! Time slots: a helper publishes when they are available; residents see
//! the free future ones of a service.

use chrono::{DateTime, TimeDelta, Utc};
use entity::{helper, slot};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::service::find_public;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::time;

/// Shortest slot.
pub const MIN_SLOT: TimeDelta = TimeDelta::minutes(15);
/// Longest slot.
pub const MAX_SLOT: TimeDelta = TimeDelta::hours(24);
/// How far ahead slots may be published (and listed).
pub const HORIZON: TimeDelta = TimeDelta::days(60);
/// Default window of a slot listing.
pub const DEFAULT_WINDOW: TimeDelta = TimeDelta::days(14);
/// Most slots one listing answers.
const LIST_LIMIT: u64 = 500;

#[derive(Deserialize, ToSchema)]
pub struct NewSlot {
    /// In the future, at most 60 days ahead; seconds are dropped.
    #[serde(deserialize_with = "crate::time::bounded")]
    pub starts_at: DateTime<Utc>,
    /// At least 15 minutes and at most 24 hours after `starts_at`, within 60 days.
    #[serde(deserialize_with = "crate::time::bounded")]
    pub ends_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SlotView {
    pub id: i64,
    pub helper_id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub booked: bool,
}

impl From<slot::Model> for SlotView {
    fn from(s: slot::Model) -> Self {
        Self {
            id: s.id,
            helper_id: s.helper_id,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            booked: s.booked,
        }
    }
}

/// A listing's window, `[from, to)`. Every pair of bounded times is a
/// window: one wider than 60 days is cut to its first 60 days, and one whose
/// `to` is not after `from` is empty (an empty list), so no combination of
/// valid parameters is refused.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotWindow {
    /// Slots starting at or after this (default now).
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub from: Option<DateTime<Utc>>,
    /// Slots starting before this (default `from` + 14 days). A window wider
    /// than 60 days is cut to 60 days after `from`; one not after `from` lists nothing.
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub to: Option<DateTime<Utc>>,
}

impl SlotWindow {
    /// `(from, to)` with `to - from` at most [`HORIZON`]; `to <= from` for an
    /// empty window. Bounded times make the additions safe; checked anyway.
    pub fn resolve(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let from = self.from.map(time::normalise).unwrap_or(now);
        let widest = from.checked_add_signed(HORIZON).unwrap_or(from);
        let to = self
            .to
            .map(time::normalise)
            .or_else(|| from.checked_add_signed(DEFAULT_WINDOW))
            .unwrap_or(from);
        let to = std::cmp::min(to, widest);
        (from, to)
    }
}

/// Publishes a slot; 409 `SLOT_OVERLAP` when it overlaps one of the helper's slots.
pub async fn publish(
    db: &DatabaseConnection,
    helper: &helper::Model,
    new: NewSlot,
) -> ApiResult<SlotView> {
    let now = time::now();
    let starts_at = time::normalise(new.starts_at);
    let ends_at = time::normalise(new.ends_at);
    let mut errors = Vec::new();
    if starts_at <= now {
        errors.push(FieldError::new("starts_at", "须晚于当前时间"));
    }
    if ends_at > now + HORIZON {
        errors.push(FieldError::new("ends_at", "只能发布 60 天内的时段"));
    }
    let length = ends_at - starts_at;
    if length < MIN_SLOT || length > MAX_SLOT {
        errors.push(FieldError::new("ends_at", "时段须为 15 分钟到 24 小时"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let txn = crate::db::begin_write(db).await?;
    // Writing the helper row first serialises one helper's publishes (a row
    // lock on PostgreSQL, the write lock on SQLite), so the overlap check
    // below cannot race with another publish.
    helper::Entity::update_many()
        .col_expr(
            helper::Column::SlotsVersion,
            Expr::col(helper::Column::SlotsVersion).add(1),
        )
        .filter(helper::Column::Id.eq(helper.id))
        .exec(&txn)
        .await?;
    let overlapping = slot::Entity::find()
        .filter(slot::Column::HelperId.eq(helper.id))
        .filter(slot::Column::StartsAt.lt(ends_at))
        .filter(slot::Column::EndsAt.gt(starts_at))
        .count(&txn)
        .await?;
    if overlapping > 0 {
        return Err(ErrorCode::SlotOverlap.into());
    }
    let saved = slot::ActiveModel {
        helper_id: Set(helper.id),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        booked: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(saved.into())
}

/// Free future slots of a service's helper long enough for the service.
pub async fn free_for_service(
    db: &impl ConnectionTrait,
    service_id: i64,
    window: &SlotWindow,
) -> ApiResult<Vec<SlotView>> {
    let now = time::now();
    let (from, to) = window.resolve(now);
    let (service, helper) = find_public(db, service_id).await?;
    let need = TimeDelta::minutes(i64::from(service.duration_minutes));
    let rows = slot::Entity::find()
        .filter(slot::Column::HelperId.eq(helper.id))
        .filter(slot::Column::Booked.eq(false))
        .filter(slot::Column::StartsAt.gt(now))
        .filter(slot::Column::StartsAt.gte(from))
        .filter(slot::Column::StartsAt.lt(to))
        .order_by_asc(slot::Column::StartsAt)
        .limit(LIST_LIMIT)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|s| s.ends_at - s.starts_at >= need)
        .map(Into::into)
        .collect())
}

/// All of a helper's slots in a window, booked ones included.
pub async fn of_helper(
    db: &impl ConnectionTrait,
    helper_id: i64,
    window: &SlotWindow,
) -> ApiResult<Vec<SlotView>> {
    let (from, to) = window.resolve(time::now());
    let rows = slot::Entity::find()
        .filter(slot::Column::HelperId.eq(helper_id))
        .filter(slot::Column::StartsAt.gte(from))
        .filter(slot::Column::StartsAt.lt(to))
        .order_by_asc(slot::Column::StartsAt)
        .limit(LIST_LIMIT)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap_or_default()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Every pair of bounded times is a window of at most 60 days: wider
        /// ones are cut to their first 60 days, reversed ones are empty, the
        /// defaults are now and 14 days; nothing overflows or is refused.
        #[test]
        fn every_window_is_at_most_sixty_days(
            from in proptest::option::of(time::EARLIEST..time::LATEST),
            to in proptest::option::of(time::EARLIEST..time::LATEST),
            now in time::EARLIEST..time::LATEST,
        ) {
            let window = SlotWindow { from: from.map(at), to: to.map(at) };
            let (f, t) = window.resolve(at(now));
            prop_assert_eq!(f, at(from.unwrap_or(now)));
            prop_assert!(t - f <= HORIZON);
            match to {
                None => prop_assert_eq!(t - f, DEFAULT_WINDOW),
                Some(to) if to > f.timestamp() && at(to) - f <= HORIZON => prop_assert_eq!(t, at(to)),
                Some(to) if to > f.timestamp() => prop_assert_eq!(t - f, HORIZON),
                Some(to) => prop_assert_eq!(t, at(to)),
            }
        }
    }
}
