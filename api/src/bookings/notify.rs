//! Status-change notices owed to the resident of a booking.
//!
//! Each change the resident did not make is recorded in
//! `booking_notifications`; UNIQUE(booking_id, status) makes it at most once
//! per change. `subscriptions::sender` claims unsent rows (`sent_at IS
//! NULL`), spends one of the resident's `booking` grants and sends the
//! subscribe message.

use entity::{booking, booking_notification};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use crate::time;

/// Records the notice for the booking's current status; never fails the
/// request (best effort), and a second call for the same change does nothing.
pub async fn notify_status_change(db: &impl ConnectionTrait, booking: &booking::Model) {
    let inserted = booking_notification::ActiveModel {
        booking_id: Set(booking.id),
        status: Set(booking.status),
        user_id: Set(booking.resident_id),
        created_at: Set(time::now()),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => {}
        Err(err) if crate::db::is_duplicate(&err) => {}
        Err(err) => {
            tracing::warn!(booking_id = booking.id, error = %err, "booking notification not recorded");
        }
    }
}
