//! Delivers the subscribe messages owed for group-buy results and booking
//! status changes. Each owed message is a row (`group_buy_notifications`,
//! `booking_notifications`); a sender claims a row by setting its `sent_at`
//! with a conditional update before sending, so no message goes out twice
//! even with several instances sweeping at once. Delivery is best effort:
//! a user without a grant, or a failed call, is skipped, not retried.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::booking::BookingStatus;
use entity::group_buy::CampaignState;
use entity::{
    booking, booking_notification, group_buy, group_buy_notification, helper_service, slot, user,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use crate::error::ApiResult;
use crate::state::AppState;
use crate::time;
use crate::wechat::{WechatError, fit};

/// What happened to one owed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// No grant left, no template configured, or the user has no openid.
    Skipped,
    Refused,
    Failed,
}

fn wechat_time(t: DateTime<Utc>) -> String {
    time::wechat_display(t)
}

/// Consumes a grant and sends; a refusal zeroes the topic.
#[tracing::instrument(level = "debug", skip_all, fields(user_id, topic))]
pub async fn deliver(
    state: &AppState,
    user_id: i64,
    topic: &str,
    template_id: &str,
    page: &str,
    data: serde_json::Value,
) -> ApiResult<Delivery> {
    if template_id.is_empty() {
        return Ok(Delivery::Skipped);
    }
    let Some(openid) = user::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .and_then(|u| u.openid)
    else {
        return Ok(Delivery::Skipped);
    };
    if !super::consume(&state.db, user_id, topic).await? {
        return Ok(Delivery::Skipped);
    }
    Ok(
        match state
            .wechat
            .send_subscribe_message(&openid, template_id, page, data)
            .await
        {
            Ok(()) => Delivery::Sent,
            Err(WechatError::Refused) => {
                super::zero(&state.db, user_id, topic).await?;
                Delivery::Refused
            }
            Err(err) => {
                tracing::warn!(user_id, topic, error = %err, "subscribe message not delivered");
                Delivery::Failed
            }
        },
    )
}

/// Claims a row of `table` by setting `sent_at`; true when this caller won it.
async fn claim_group_buy(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    Ok(group_buy_notification::Entity::update_many()
        .col_expr(group_buy_notification::Column::SentAt, Expr::value(now))
        .filter(group_buy_notification::Column::Id.eq(id))
        .filter(group_buy_notification::Column::SentAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

async fn claim_booking(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> ApiResult<bool> {
    Ok(booking_notification::Entity::update_many()
        .col_expr(booking_notification::Column::SentAt, Expr::value(now))
        .filter(booking_notification::Column::Id.eq(id))
        .filter(booking_notification::Column::SentAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

fn booking_status_phrase(status: BookingStatus) -> &'static str {
    match status {
        BookingStatus::Requested => "已提交",
        BookingStatus::Accepted => "已接单",
        BookingStatus::Declined => "已拒绝",
        BookingStatus::InService => "服务中",
        BookingStatus::Completed => "已完成",
        BookingStatus::Cancelled => "已取消",
    }
}

/// Sends every owed message not yet claimed; answers what this caller delivered.
pub async fn sweep(state: &AppState) -> ApiResult<Vec<Delivery>> {
    let now = time::now();
    let mut done = Vec::new();
    let owed = group_buy_notification::Entity::find()
        .filter(group_buy_notification::Column::SentAt.is_null())
        .order_by_asc(group_buy_notification::Column::Id)
        .limit(200)
        .all(&state.db)
        .await?;
    for n in owed {
        if !claim_group_buy(&state.db, n.id, now).await? {
            continue;
        }
        let Some(gb) = group_buy::Entity::find_by_id(n.group_buy_id)
            .one(&state.db)
            .await?
        else {
            continue;
        };
        let (result, when) = if n.outcome == CampaignState::Succeeded {
            ("成团成功", gb.pickup_starts_at)
        } else {
            ("未成团", gb.ends_at)
        };
        let data = json!({
            "thing1": { "value": fit(&gb.title, 20) },
            "phrase2": { "value": fit(result, 5) },
            "time3": { "value": wechat_time(when) },
            "thing4": { "value": fit(&gb.pickup_address, 20) },
        });
        let page = format!("pages/group-buy/detail?id={}", gb.id);
        let template = state.settings.wechat.templates.group_buy.clone();
        done.push(deliver(state, n.user_id, "group_buy", &template, &page, data).await?);
    }
    let owed = booking_notification::Entity::find()
        .filter(booking_notification::Column::SentAt.is_null())
        .order_by_asc(booking_notification::Column::Id)
        .limit(200)
        .all(&state.db)
        .await?;
    for n in owed {
        if !claim_booking(&state.db, n.id, now).await? {
            continue;
        }
        let Some(b) = booking::Entity::find_by_id(n.booking_id)
            .one(&state.db)
            .await?
        else {
            continue;
        };
        let title = helper_service::Entity::find_by_id(b.service_id)
            .one(&state.db)
            .await?
            .map(|s| s.title)
            .unwrap_or_default();
        let starts = slot::Entity::find_by_id(b.slot_id)
            .one(&state.db)
            .await?
            .map(|s| s.starts_at)
            .unwrap_or(b.created_at);
        let data = json!({
            "thing1": { "value": fit(&title, 20) },
            "phrase2": { "value": booking_status_phrase(n.status) },
            "time3": { "value": wechat_time(starts) },
        });
        let page = format!("pages/booking/detail?id={}", b.id);
        let template = state.settings.wechat.templates.booking.clone();
        done.push(deliver(state, n.user_id, "booking", &template, &page, data).await?);
    }
    Ok(done)
}

/// Runs the sweep in the background every `interval`.
pub fn spawn(state: actix_web::web::Data<AppState>, interval: Duration) {
    crate::jobs::repeat("subscribe-message sweep", interval, move || {
        let state = state.clone();
        async move { sweep(&state).await }
    });
}
