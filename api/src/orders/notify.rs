//! Telling the other party of a shop order what changed. Every change goes
//! through [`order_changed`]: the one place that decides who hears of it,
//! with an inbox item and a subscribe message. Each notice is a row in
//! `order_notifications` (UNIQUE(order, status, user): at most once per
//! change); [`send_owed`] claims unsent rows and sends the subscribe
//! message on the `order` topic, best effort like the other senders.

use std::time::Duration;

use entity::order::{self, OrderStatus};
use entity::order_notification;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use crate::error::ApiResult;
use crate::inbox::{self, Kind as InboxKind, Message};
use crate::state::AppState;
use crate::subscriptions::sender::{Delivery, deliver};
use crate::time;
use crate::wechat::fit;

/// Who made a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    Resident,
    Merchant,
    /// A deadline (expiry, auto-completion): both hear of it.
    Clock,
}

/// Records the notices owed for the order's current status to whoever did
/// not make the change; never fails the request (best effort), and a second
/// call for the same change does nothing.
pub async fn order_changed(db: &impl ConnectionTrait, o: &order::Model, by: Party) {
    // The shop's side: its owner and its clerks, who work the desk.
    let shop_side = match crate::merchants::access::desk_users(db, o.merchant_id).await {
        Ok(users) => users,
        Err(err) => {
            tracing::warn!(order_id = o.id, error = %err, "order notification not recorded");
            Vec::new()
        }
    };
    let to: Vec<i64> = match by {
        Party::Merchant => vec![o.user_id],
        Party::Resident => shop_side,
        Party::Clock => std::iter::once(o.user_id).chain(shop_side).collect(),
    };
    for user_id in to {
        let inserted = order_notification::ActiveModel {
            order_id: Set(o.id),
            status: Set(o.status),
            user_id: Set(user_id),
            created_at: Set(time::now()),
            sent_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await;
        match inserted {
            // The inbox item goes with the first record of the change only.
            Ok(_) => {
                let message = Message::new(
                    InboxKind::OrderStatus,
                    format!("订单{}", status_phrase(o.status)),
                    format!("订单 {} {}", o.order_no, status_phrase(o.status)),
                )
                .target(json!({ "type": "order", "order_no": o.order_no }))
                .once_per(format!("order:{}:{}", o.id, o.status.to_value()));
                if let Err(err) = inbox::post(db, user_id, message).await {
                    tracing::warn!(order_id = o.id, error = %err, "order inbox item not written");
                }
            }
            Err(err) if crate::db::is_duplicate(&err) => {}
            Err(err) => {
                tracing::warn!(order_id = o.id, error = %err, "order notification not recorded");
            }
        }
    }
}

fn status_phrase(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::PendingPayment => "待支付",
        OrderStatus::Placed => "已下单",
        OrderStatus::AwaitingPickup | OrderStatus::ReadyForPickup => "待自提",
        OrderStatus::PickedUp | OrderStatus::Completed => "已完成",
        OrderStatus::Accepted => "已接单",
        OrderStatus::Delivering => "配送中",
        OrderStatus::Cancelled => "已取消",
        OrderStatus::Refunding => "退款中",
        OrderStatus::Refunded => "已退款",
        OrderStatus::Expired => "已失效",
    }
}

/// Sends every owed order message not yet claimed.
pub async fn send_owed(state: &AppState) -> ApiResult<Vec<Delivery>> {
    let now = time::now();
    let owed = order_notification::Entity::find()
        .filter(order_notification::Column::SentAt.is_null())
        .order_by_asc(order_notification::Column::Id)
        .limit(200)
        .all(&state.db)
        .await?;
    let mut done = Vec::new();
    for n in owed {
        let claimed = order_notification::Entity::update_many()
            .col_expr(order_notification::Column::SentAt, Expr::value(now))
            .filter(order_notification::Column::Id.eq(n.id))
            .filter(order_notification::Column::SentAt.is_null())
            .exec(&state.db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let Some(o) = order::Entity::find_by_id(n.order_id).one(&state.db).await? else {
            continue;
        };
        let data = json!({
            "character_string1": { "value": fit(&o.order_no, 32) },
            "phrase2": { "value": status_phrase(n.status) },
            "time3": { "value": time::wechat_display(o.updated_at) },
        });
        let page = format!("pages/order/detail?no={}", o.order_no);
        let template = state.settings.wechat.templates.order.clone();
        done.push(deliver(state, n.user_id, "order", &template, &page, data).await?);
    }
    Ok(done)
}

/// Sends owed order messages in the background every `interval`.
pub fn spawn(state: actix_web::web::Data<AppState>, interval: Duration) {
    crate::jobs::repeat("order messages", interval, move || {
        let state = state.clone();
        async move { send_owed(&state).await }
    });
}
