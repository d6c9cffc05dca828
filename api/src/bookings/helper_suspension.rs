//! Suspending and reinstating a helper (community admins of every
//! community the helper serves). A suspended helper's services vanish from
//! the public catalog (it lists active helpers only), and their bookings not
//! yet started are cancelled in the same transaction, each resident told
//! through the booking notifications. Here rather than in `helpers`, which
//! `bookings` builds on.

use chrono::{DateTime, Utc};
use entity::helper::HelperStatus;
use entity::{booking, helper, helper_community, slot};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::BookingStatus;
use super::notify::notify_status_change;
use crate::auth::{AuthUser, Role};
use crate::community_links;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::helpers::service::{HelperView, profile};
use crate::time;

/// Suspends (`to` suspended) or reinstates (`to` active) a helper, by an
/// admin of every community they serve; 409 when already so. Suspension
/// cancels the helper's requested and accepted bookings whose slot has not
/// started, in the same transaction, and tells each resident.
pub async fn change_status(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    to: HelperStatus,
) -> ApiResult<HelperView> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    helper::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::HelperNotFound))?;
    let served = community_links::communities_of_one::<helper_community::Entity>(db, id).await?;
    me.require_admin_of_all(db, &served).await?;
    let from = match to {
        HelperStatus::Active => HelperStatus::Suspended,
        HelperStatus::Suspended => HelperStatus::Active,
    };
    let now = time::now();
    let txn = crate::db::begin_write(db).await?;
    let changed = helper::Entity::update_many()
        .col_expr(helper::Column::Status, Expr::value(to))
        .col_expr(helper::Column::UpdatedAt, Expr::value(now))
        .filter(helper::Column::Id.eq(id))
        .filter(helper::Column::Status.eq(from))
        .exec(&*txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(ApiError::new(ErrorCode::HelperStatusConflict)
            .details(serde_json::json!({ "status": to })));
    }
    let cancelled = if to == HelperStatus::Suspended {
        cancel_future_bookings(&*txn, id, now).await?
    } else {
        Vec::new()
    };
    txn.commit().await?;
    for b in &cancelled {
        notify_status_change(db, b).await;
    }
    let fresh = helper::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::HelperNotFound))?;
    profile(db, fresh).await
}

/// Cancels the helper's live bookings (requested or accepted) whose slot
/// starts after `now`; answers them as cancelled.
async fn cancel_future_bookings(
    db: &impl ConnectionTrait,
    helper_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<Vec<booking::Model>> {
    let live = [BookingStatus::Requested, BookingStatus::Accepted];
    let future_slots = Query::select()
        .column(slot::Column::Id)
        .from(slot::Entity)
        .and_where(slot::Column::HelperId.eq(helper_id))
        .and_where(slot::Column::StartsAt.gt(now))
        .to_owned();
    let due = booking::Entity::find()
        .filter(booking::Column::HelperId.eq(helper_id))
        .filter(booking::Column::Status.is_in(live))
        .filter(booking::Column::SlotId.in_subquery(future_slots))
        .all(db)
        .await?;
    let ids: Vec<i64> = due.iter().map(|b| b.id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    booking::Entity::update_many()
        .col_expr(
            booking::Column::Status,
            Expr::value(BookingStatus::Cancelled),
        )
        .col_expr(
            booking::Column::ActiveSlotId,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(booking::Column::UpdatedAt, Expr::value(now))
        .filter(booking::Column::Id.is_in(ids.clone()))
        .filter(booking::Column::Status.is_in(live))
        .exec(db)
        .await?;
    let slot_ids: Vec<i64> = due.iter().map(|b| b.slot_id).collect();
    slot::Entity::update_many()
        .col_expr(slot::Column::Booked, Expr::value(false))
        .filter(slot::Column::Id.is_in(slot_ids))
        .exec(db)
        .await?;
    Ok(booking::Entity::find()
        .filter(booking::Column::Id.is_in(ids))
        .filter(booking::Column::Status.eq(BookingStatus::Cancelled))
        .all(db)
        .await?)
}
