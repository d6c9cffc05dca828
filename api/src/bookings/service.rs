//! Booking creation, reads, transitions and reviews.

use chrono::TimeDelta;
use entity::{booking, building, grid_worker, slot, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use actix_web::http::StatusCode;
use serde_json::Value;

use super::notify::notify_status_change;
pub use super::views::BookingView;
use super::views::{assemble, one_view};
use super::{Action, BookingStatus};
use crate::auth::{AuthUser, Role};
use crate::catalog::service::{communities_of_service, find_public};
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::fields::{FieldErrors, PhoneNumber};
use crate::helpers::service::find_by_user;
use crate::idempotency::{self, Begun, IdempotencyKey};
use crate::pagination::{Page, Paged};
use crate::time;

#[derive(Deserialize, Serialize, ToSchema)]
pub struct NewBooking {
    pub service_id: i64,
    /// A free future slot of the service's helper, at least as long as the service.
    pub slot_id: i64,
    /// Where the helper comes to, 1-200 characters.
    #[schema(max_length = 200, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub address: String,
    /// Mainland mobile or landline with area code; shown to the helper.
    #[schema(pattern = r"^(1[0-9]{10}|0[0-9]{2,3}-[0-9]{7,8})$")]
    pub contact_phone: String,
    /// Up to 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: String,
    /// A grid worker booking for a resident of their own grid (代办).
    #[serde(default)]
    pub on_behalf_of_user_id: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BookingQuery {
    /// One of the booking statuses; all when absent.
    pub status: Option<BookingStatus>,
}

/// How the caller relates to a booking they can see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    Resident,
    GridWorker,
    Helper,
}

/// The statuses of a booking still holding a slot and the resident's attention.
const OPEN: [BookingStatus; 3] = [
    BookingStatus::Requested,
    BookingStatus::Accepted,
    BookingStatus::InService,
];

/// 409 `TOO_MANY_OPEN_BOOKINGS` when `resident` already holds `max_open` open
/// bookings. The resident's row is locked first (PostgreSQL; SQLite writers
/// are serialised already), so two racing bookings cannot both pass the count.
async fn check_open_bookings(
    db: &impl ConnectionTrait,
    resident: i64,
    max_open: u64,
) -> ApiResult<()> {
    user::Entity::find_by_id(resident)
        .lock_exclusive()
        .one(db)
        .await?;
    let open = booking::Entity::find()
        .filter(booking::Column::ResidentId.eq(resident))
        .filter(booking::Column::Status.is_in(OPEN))
        .count(db)
        .await?;
    if open >= max_open {
        return Err(ApiError::new(ErrorCode::TooManyOpenBookings)
            .details(serde_json::json!({ "limit": max_open })));
    }
    Ok(())
}

/// Whether `worker` is a grid worker of the grid `resident` lives in.
async fn works_grid_of(
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

/// Books a slot once per `Idempotency-Key`: the first request books it, a
/// retry with the same body gets the first answer (status and body) again.
#[tracing::instrument(skip_all, fields(user_id = me.id(), service_id = new.service_id, slot_id = new.slot_id))]
pub async fn book(
    db: &DatabaseConnection,
    me: &AuthUser,
    new: NewBooking,
    key: Option<IdempotencyKey>,
    max_open: u64,
) -> ApiResult<(StatusCode, Value)> {
    let fingerprint = idempotency::fingerprint("POST /bookings", &new);
    let write = match idempotency::begin(db, me.id(), key.as_ref(), &fingerprint).await? {
        Begun::Replay(status, json) => return Ok((status, json)),
        Begun::Fresh(write) => write,
    };
    let created = create(write.txn(), me, new, max_open)
        .await
        .and_then(|created| Ok((StatusCode::CREATED, serde_json::to_value(created)?)));
    write.finish(db, created).await
}

/// What a booking's own fields say, checked; who and when are checked against the database.
struct BookingDraft {
    address: String,
    contact_phone: PhoneNumber,
    note: String,
}

impl BookingDraft {
    fn parse(new: &NewBooking) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let address = errors.text("address", &new.address, 1, 200);
        let contact_phone = errors.check("contact_phone", PhoneNumber::parse(&new.contact_phone));
        let note = errors.text("note", &new.note, 0, 500);
        match contact_phone {
            Some(contact_phone) if errors.is_empty() => Ok(Self {
                address,
                contact_phone,
                note,
            }),
            _ => Err(errors.into()),
        }
    }
}

/// Books a slot, in the caller's write transaction. 409 `SLOT_TAKEN` when
/// another live booking holds it, `TOO_MANY_OPEN_BOOKINGS` when the resident
/// served already holds `max_open` open ones.
pub async fn create(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    new: NewBooking,
    max_open: u64,
) -> ApiResult<BookingView> {
    let draft = BookingDraft::parse(&new)?;
    let mut errors = FieldErrors::default();
    let (service, helper) = find_public(db, new.service_id).await?;

    // Who is served: the caller, or a resident of the calling grid worker's grid.
    let (resident, grid_worker_id) = match new.on_behalf_of_user_id {
        Some(uid) if uid != me.id() => {
            me.require(Role::GridWorker)?;
            let target = user::Entity::find_by_id(uid)
                .one(db)
                .await?
                .ok_or_else(|| ApiError::new(ErrorCode::Forbidden))?;
            if !works_grid_of(db, me.id(), &target).await? {
                return Err(
                    ApiError::new(ErrorCode::Forbidden).message("只能为本网格的居民代办预约")
                );
            }
            (target, Some(me.id()))
        }
        _ => {
            me.require(Role::Resident)?;
            (me.user.clone(), None)
        }
    };
    let served = communities_of_service(db, service.id).await?;
    match resident.community_id {
        None => errors.push("service_id", "被服务的居民须先绑定所在楼栋"),
        Some(c) if !served.contains(&c) => {
            errors.push("service_id", "该服务不在被服务居民所在的社区提供")
        }
        Some(_) => {}
    }
    if helper.user_id == resident.id {
        errors.push("service_id", "不能预约自己提供的服务");
    }
    errors.finish()?;
    let slot = slot::Entity::find_by_id(new.slot_id)
        .filter(slot::Column::HelperId.eq(helper.id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::SlotNotFound))?;
    let now = time::now();
    if slot.starts_at <= now {
        return Err(ErrorCode::SlotPassed.into());
    }
    if slot.ends_at - slot.starts_at < TimeDelta::minutes(i64::from(service.duration_minutes)) {
        return Err(ApiError::field("slot_id", "该时段短于服务时长"));
    }
    if slot.booked {
        return Err(ErrorCode::SlotTaken.into());
    }
    check_open_bookings(db, resident.id, max_open).await?;

    let held = slot::Entity::update_many()
        .col_expr(slot::Column::Booked, Expr::value(true))
        .filter(slot::Column::Id.eq(slot.id))
        .filter(slot::Column::Booked.eq(false))
        .exec(db)
        .await?;
    if held.rows_affected == 0 {
        return Err(ErrorCode::SlotTaken.into());
    }
    let inserted = booking::ActiveModel {
        service_id: Set(service.id),
        slot_id: Set(slot.id),
        active_slot_id: Set(Some(slot.id)),
        helper_id: Set(helper.id),
        resident_id: Set(resident.id),
        grid_worker_id: Set(grid_worker_id),
        address: Set(draft.address),
        contact_phone: Set(draft.contact_phone.into_string()),
        note: Set(draft.note),
        price_fen: Set(service.price_fen),
        status: Set(BookingStatus::Requested),
        rating: Set(None),
        review_comment: Set(None),
        reviewed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    let saved = crate::db::or_conflict(inserted, ErrorCode::SlotTaken)?;
    super::notify::inbox_requested(db, &saved, helper.user_id, &service.title).await?;
    one_view(db, saved).await
}

/// The booking if the caller is one of its parties; 404 for anyone else.
pub async fn visible(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<(booking::Model, Party)> {
    let found = booking::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::BookingNotFound))?;
    if found.resident_id == me.id() {
        return Ok((found, Party::Resident));
    }
    if found.grid_worker_id == Some(me.id()) {
        return Ok((found, Party::GridWorker));
    }
    if me.has(Role::Helper)
        && let Some(h) = find_by_user(db, me.id()).await?
        && h.id == found.helper_id
    {
        return Ok((found, Party::Helper));
    }
    Err(ErrorCode::BookingNotFound.into())
}

pub async fn get(db: &impl ConnectionTrait, me: &AuthUser, id: i64) -> ApiResult<BookingView> {
    let (found, _) = visible(db, me, id).await?;
    one_view(db, found).await
}

async fn list(
    db: &impl ConnectionTrait,
    whose: Condition,
    status: Option<BookingStatus>,
    page: Page,
) -> ApiResult<Paged<BookingView>> {
    let mut query = booking::Entity::find().filter(whose);
    if let Some(status) = status {
        query = query.filter(booking::Column::Status.eq(status));
    }
    page.fetch(db, query.order_by_desc(booking::Column::Id))
        .await?
        .map_batch(|rows| assemble(db, rows))
        .await
}

/// Bookings the caller is served by or made as a grid worker, newest first.
pub async fn list_mine(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    status: Option<BookingStatus>,
    page: Page,
) -> ApiResult<Paged<BookingView>> {
    let whose = Condition::any()
        .add(booking::Column::ResidentId.eq(me.id()))
        .add(booking::Column::GridWorkerId.eq(me.id()));
    list(db, whose, status, page).await
}

/// The helper's bookings, newest first.
pub async fn list_of_helper(
    db: &impl ConnectionTrait,
    helper_id: i64,
    status: Option<BookingStatus>,
    page: Page,
) -> ApiResult<Paged<BookingView>> {
    let whose = Condition::all().add(booking::Column::HelperId.eq(helper_id));
    list(db, whose, status, page).await
}

/// Applies `action`; 409 `INVALID_TRANSITION` when the booking is no longer in
/// a status it applies to (a concurrent transition won).
#[tracing::instrument(skip_all, fields(user_id = me.id(), booking_id = id, action = ?action))]
pub async fn transition(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    action: Action,
) -> ApiResult<BookingView> {
    let (found, party) = visible(db, me, id).await?;
    if action.by_helper() != (party == Party::Helper) {
        return Err(ErrorCode::Forbidden.into());
    }
    let (from, to) = action.rule();
    let now = time::now();
    let txn = crate::db::begin_write(db).await?;
    let mut update = booking::Entity::update_many()
        .col_expr(booking::Column::Status, Expr::value(to))
        .col_expr(booking::Column::UpdatedAt, Expr::value(now));
    if action.frees_slot() {
        update = update.col_expr(
            booking::Column::ActiveSlotId,
            Expr::value(Option::<i64>::None),
        );
    }
    let done = update
        .filter(booking::Column::Id.eq(id))
        .filter(booking::Column::Status.is_in(from.iter().copied()))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        drop(txn);
        let current = booking::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|b| b.status)
            .unwrap_or(found.status);
        return Err(ApiError::new(ErrorCode::InvalidTransition)
            .details(serde_json::json!({ "status": current })));
    }
    if action.frees_slot() {
        slot::Entity::update_many()
            .col_expr(slot::Column::Booked, Expr::value(false))
            .filter(slot::Column::Id.eq(found.slot_id))
            .exec(&txn)
            .await?;
    }
    let changed = booking::Model {
        status: to,
        updated_at: now,
        ..found.clone()
    };
    super::notify::inbox_status_change(&txn, &changed, party != Party::Helper).await?;
    txn.commit().await?;
    let updated = booking::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::BookingNotFound))?;
    // The resident is told of every change they did not make themselves.
    if party != Party::Resident {
        notify_status_change(db, &updated).await;
    }
    one_view(db, updated).await
}
