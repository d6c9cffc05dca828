//! Status-change notices owed to the resident of a booking, and the inbox
//! items of both parties.
//!
//! Each change the resident did not make is recorded in
//! `booking_notifications`; UNIQUE(booking_id, status) makes it at most once
//! per change. `subscriptions::sender` claims unsent rows (`sent_at IS
//! NULL`), spends one of the resident's `booking` grants and sends the
//! subscribe message.

use entity::booking::BookingStatus;
use entity::{booking, booking_notification, helper};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde_json::json;

use crate::error::ApiResult;
use crate::inbox::{self, Kind as InboxKind, Message};
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

/// The status as the inbox words it.
fn status_phrase(status: BookingStatus) -> &'static str {
    match status {
        BookingStatus::Requested => "待接单",
        BookingStatus::Accepted => "已接单",
        BookingStatus::Declined => "已被婉拒",
        BookingStatus::InService => "服务中",
        BookingStatus::Completed => "已完成",
        BookingStatus::Cancelled => "已取消",
    }
}

fn target(b: &booking::Model) -> serde_json::Value {
    json!({ "type": "booking", "id": b.id, "status": b.status })
}

/// Tells the helper of a new booking, in the booking's transaction.
pub async fn inbox_requested(
    conn: &impl ConnectionTrait,
    b: &booking::Model,
    helper_user_id: i64,
    service_title: &str,
) -> ApiResult<()> {
    let message = Message::new(
        InboxKind::BookingRequested,
        "新的服务预约",
        format!("有居民预约了「{service_title}」，请尽快确认"),
    )
    .target(target(b));
    inbox::post(conn, helper_user_id, message).await
}

/// Tells the other party of a booking's new status, in the change's
/// transaction: the helper when the resident (or their grid worker) moved
/// it, the resident otherwise.
pub async fn inbox_status_change(
    conn: &impl ConnectionTrait,
    b: &booking::Model,
    tell_helper: bool,
) -> ApiResult<()> {
    let recipient = if tell_helper {
        helper::Entity::find_by_id(b.helper_id)
            .one(conn)
            .await?
            .map(|h| h.user_id)
    } else {
        Some(b.resident_id)
    };
    let Some(user) = recipient else {
        return Ok(());
    };
    let message = Message::new(
        InboxKind::BookingStatus,
        "预约状态更新",
        format!("预约 #{} {}", b.id, status_phrase(b.status)),
    )
    .target(target(b));
    inbox::post(conn, user, message).await
}
