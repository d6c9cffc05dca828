//! Bookings as their parties see them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{booking, helper, helper_service, slot};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::BookingStatus;
use crate::error::{ApiResult, ErrorCode};
use crate::fields::mask_phone;
use crate::money::Money;
use crate::uploads::refs::{self, ImageRef};

/// A booking as its resident, its helper and its grid worker see it. The
/// helper sees the resident's contact phone; the resident sees the helper's
/// phone in full only once the helper accepted (masked before, so booking
/// does not harvest helpers' numbers).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BookingView {
    pub id: i64,
    pub service_id: i64,
    pub slot_id: i64,
    pub helper_id: i64,
    /// The resident served.
    pub resident_id: i64,
    /// The resident served when a grid worker booked for them, else null.
    pub on_behalf_of_user_id: Option<i64>,
    /// The grid worker who booked, if any.
    pub grid_worker_id: Option<i64>,
    pub status: BookingStatus,
    pub address: String,
    pub contact_phone: String,
    pub note: String,
    /// The service's price when booked.
    #[schema(value_type = String, example = "50.00")]
    pub price: Money,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub service_title: String,
    pub category: String,
    pub helper_name: String,
    /// Masked (`139****9000`) until the helper accepts the booking.
    pub helper_phone: String,
    /// 1-5 once reviewed.
    pub rating: Option<i16>,
    /// Shown to others than the resident only once `review_moderation` is `pass`.
    pub review_comment: Option<String>,
    /// URLs of the review's photos (an image WeChat flagged is left out);
    /// like the comment, only the resident sees them before `pass`.
    pub review_photos: Vec<String>,
    /// The photos as sent (upload ids or URLs), in the order of `review_photos`.
    pub review_photo_refs: Vec<ImageRef>,
    /// WeChat's check of the comment: `pass`, `review` (waits for an admin)
    /// or `pending` (waits for WeChat).
    pub review_moderation: String,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(super) async fn assemble(
    db: &impl ConnectionTrait,
    rows: Vec<booking::Model>,
) -> ApiResult<Vec<BookingView>> {
    let service_ids: Vec<i64> = rows.iter().map(|b| b.service_id).collect();
    let slot_ids: Vec<i64> = rows.iter().map(|b| b.slot_id).collect();
    let helper_ids: Vec<i64> = rows.iter().map(|b| b.helper_id).collect();
    let services: HashMap<i64, helper_service::Model> = helper_service::Entity::find()
        .filter(helper_service::Column::Id.is_in(service_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let slots: HashMap<i64, slot::Model> = slot::Entity::find()
        .filter(slot::Column::Id.is_in(slot_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let helpers: HashMap<i64, helper::Model> = helper::Entity::find()
        .filter(helper::Column::Id.is_in(helper_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, h))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for b in rows {
        let (Some(service), Some(slot), Some(helper)) = (
            services.get(&b.service_id),
            slots.get(&b.slot_id),
            helpers.get(&b.helper_id),
        ) else {
            continue;
        };
        out.push(BookingView {
            on_behalf_of_user_id: b.grid_worker_id.map(|_| b.resident_id),
            id: b.id,
            service_id: b.service_id,
            slot_id: b.slot_id,
            helper_id: b.helper_id,
            resident_id: b.resident_id,
            grid_worker_id: b.grid_worker_id,
            status: b.status,
            address: b.address,
            contact_phone: b.contact_phone,
            note: b.note,
            price: Money::from_fen(b.price_fen),
            starts_at: slot.starts_at,
            ends_at: slot.ends_at,
            service_title: service.title.clone(),
            category: service.category.clone(),
            helper_name: helper.display_name.clone(),
            helper_phone: if reveals_helper_phone(b.status) {
                helper.phone.clone()
            } else {
                mask_phone(&helper.phone)
            },
            rating: b.rating,
            review_comment: b.review_comment,
            // Resolved into URLs for the reader by `review::shown`.
            review_photos: Vec::new(),
            review_photo_refs: refs::from_json(&b.review_photos),
            review_moderation: b.review_moderation,
            reviewed_at: b.reviewed_at,
            created_at: b.created_at,
            updated_at: b.updated_at,
        });
    }
    Ok(out)
}

/// Whether the helper has accepted: from then on the resident may call them.
fn reveals_helper_phone(status: BookingStatus) -> bool {
    matches!(
        status,
        BookingStatus::Accepted | BookingStatus::InService | BookingStatus::Completed
    )
}

pub(super) async fn one_view(
    db: &impl ConnectionTrait,
    b: booking::Model,
) -> ApiResult<BookingView> {
    assemble(db, vec![b])
        .await?
        .pop()
        .ok_or_else(|| ErrorCode::BookingNotFound.into())
}
