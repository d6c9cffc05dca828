//! Who hears of an after-sales event: an inbox item in the event's
//! transaction (it commits or rolls back with it) for each recipient, and
//! after the commit a subscribe message on the `order` topic where the
//! recipient granted one (best effort, like the other senders).
//!
//! - asked → the shop's desk (owner and clerks);
//! - the merchant answered → the resident;
//! - the clock approved → the resident and the desk;
//! - escalated → the community admins of the merchant's communities;
//! - an admin decided → the resident and the desk.

use entity::after_sale;
use entity::{admin_community, merchant_community, order};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;

use crate::error::ApiResult;
use crate::inbox::{self, Kind as InboxKind, Message};
use crate::merchants::access::desk_users;
use crate::state::AppState;
use crate::subscriptions::sender::deliver;
use crate::wechat::fit;

/// What happened to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Requested,
    MerchantApproved,
    MerchantRejected,
    ClockApproved,
    Escalated,
    AdminApproved,
    AdminRejected,
}

impl Event {
    fn phrase(self) -> &'static str {
        match self {
            Event::Requested => "售后待处理",
            Event::MerchantApproved | Event::ClockApproved | Event::AdminApproved => "售后已同意",
            Event::MerchantRejected => "售后被拒绝",
            Event::Escalated => "售后待仲裁",
            Event::AdminRejected => "售后已关闭",
        }
    }
}

/// The subscribe messages owed once the event's transaction committed.
#[derive(Debug, Default)]
pub struct Owed {
    users: Vec<i64>,
    order_no: String,
    phrase: &'static str,
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// The community admins of the merchant's communities.
async fn admins_of(conn: &impl ConnectionTrait, merchant_id: i64) -> ApiResult<Vec<i64>> {
    let communities: Vec<i64> = merchant_community::Entity::find()
        .select_only()
        .column(merchant_community::Column::CommunityId)
        .filter(merchant_community::Column::MerchantId.eq(merchant_id))
        .into_tuple()
        .all(conn)
        .await?;
    let mut users: Vec<i64> = admin_community::Entity::find()
        .select_only()
        .column(admin_community::Column::UserId)
        .filter(admin_community::Column::CommunityId.is_in(communities))
        .into_tuple()
        .all(conn)
        .await?;
    users.sort_unstable();
    users.dedup();
    Ok(users)
}

/// Writes the event's inbox items in `conn`; answers the subscribe
/// messages owed after the commit.
pub async fn record(
    conn: &impl ConnectionTrait,
    a: &after_sale::Model,
    o: &order::Model,
    event: Event,
) -> ApiResult<Owed> {
    let users = match event {
        Event::Requested => desk_users(conn, a.merchant_id).await?,
        Event::MerchantApproved | Event::MerchantRejected => vec![a.user_id],
        Event::ClockApproved | Event::AdminApproved | Event::AdminRejected => {
            std::iter::once(a.user_id)
                .chain(desk_users(conn, a.merchant_id).await?)
                .collect()
        }
        Event::Escalated => admins_of(conn, a.merchant_id).await?,
    };
    let amount = yuan(a.amount_fen);
    let body = match event {
        Event::Requested => format!("订单 {} 申请售后退款 {amount} 元：{}", o.order_no, a.reason),
        Event::MerchantApproved => {
            format!("商户已同意订单 {} 的售后，{amount} 元将退回", o.order_no)
        }
        Event::ClockApproved => {
            format!(
                "订单 {} 的售后 48 小时未处理，已自动同意退款 {amount} 元",
                o.order_no
            )
        }
        Event::MerchantRejected => format!(
            "商户拒绝了订单 {} 的售后：{}；可申请社区仲裁",
            o.order_no,
            a.merchant_reason.as_deref().unwrap_or_default()
        ),
        Event::Escalated => format!("订单 {} 的售后申请仲裁，金额 {amount} 元", o.order_no),
        Event::AdminApproved => format!(
            "社区管理员同意了订单 {} 的售后，退款 {amount} 元",
            o.order_no
        ),
        Event::AdminRejected => format!("社区管理员驳回了订单 {} 的售后", o.order_no),
    };
    let message = Message::new(InboxKind::AfterSale, event.phrase(), body)
        .target(json!({ "type": "after_sale", "id": a.id, "order_no": o.order_no }))
        .once_per(format!("after_sale:{}:{:?}", a.id, event));
    inbox::post_many(conn, &users, message).await?;
    Ok(Owed {
        users,
        order_no: o.order_no.clone(),
        phrase: event.phrase(),
    })
}

/// Sends the owed subscribe messages in the background (after the commit).
pub fn push(state: &actix_web::web::Data<AppState>, owed: Owed) {
    if owed.users.is_empty() {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let template = state.settings.wechat.templates.order.clone();
        let page = format!("pages/order/detail?no={}", owed.order_no);
        for user_id in owed.users {
            let data = json!({
                "character_string1": { "value": fit(&owed.order_no, 32) },
                "phrase2": { "value": owed.phrase },
                "time3": { "value": crate::time::wechat_display(state.clock.now()) },
            });
            if let Err(err) = deliver(&state, user_id, "order", &template, &page, data).await {
                tracing::warn!(user_id, error = %err, "after-sale message not sent");
            }
        }
    });
}

/// Sends what a decision owes once it committed: its messages, and the
/// refund WeChat Pay is to make.
pub fn after_commit(state: &actix_web::web::Data<AppState>, owed: Owed) {
    push(state, owed);
    crate::orders::refunds::send_soon(&state.db, state.wechatpay.as_ref());
}
