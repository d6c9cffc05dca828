//! The inbox items of a campaign's events, written in the event's
//! transaction: orders placed (to the merchant's desk) and the settlement (to each
//! participant and the merchant).

use entity::group_buy::{self, CampaignState};
use entity::merchant;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::json;

use crate::error::ApiResult;
use crate::inbox::{self, Kind as InboxKind, Message};
use crate::orders::views::OrderView;

async fn owner_of(conn: &impl ConnectionTrait, merchant_id: i64) -> ApiResult<Option<i64>> {
    Ok(merchant::Entity::find_by_id(merchant_id)
        .one(conn)
        .await?
        .map(|m| m.owner_user_id))
}

/// One item per order to each who works the merchant's desk (the owner and
/// the clerks).
pub async fn orders_placed(
    conn: &impl ConnectionTrait,
    merchant_id: i64,
    orders: &[&OrderView],
) -> ApiResult<()> {
    let desk = crate::merchants::access::desk_users(conn, merchant_id).await?;
    let messages: Vec<Message> = orders
        .iter()
        .map(|o| {
            Message::new(
                InboxKind::OrderPlaced,
                "新的团购订单",
                format!("订单 {}：{} 件，共 {} 元", o.order_no, o.quantity, o.amount),
            )
            .target(
                json!({ "type": "order", "order_no": o.order_no, "group_buy_id": o.group_buy_id }),
            )
        })
        .collect();
    let mut items = Vec::with_capacity(desk.len() * messages.len());
    for user in &desk {
        for message in &messages {
            items.push((*user, message));
        }
    }
    inbox::post_each(conn, items).await
}

/// The settlement's result: to each participant, and to the merchant.
pub async fn settled(
    conn: &impl ConnectionTrait,
    gb: &group_buy::Model,
    participants: &[i64],
) -> ApiResult<()> {
    let (to_residents, to_merchant) = if gb.state == CampaignState::Succeeded {
        ("已成团，请按时提货", "已成团，请备货")
    } else {
        (
            "未成团，订单已取消，已付款项将原路退回",
            "未成团，订单已取消",
        )
    };
    let target = json!({ "type": "group_buy", "id": gb.id, "state": gb.state });
    let message = |body: String| {
        Message::new(InboxKind::GroupBuySettled, "团购结果", body).target(target.clone())
    };
    inbox::post_many(
        conn,
        participants,
        message(format!("「{}」{to_residents}", gb.title)),
    )
    .await?;
    if let Some(owner) = owner_of(conn, gb.merchant_id).await? {
        let body = format!("「{}」{to_merchant}（{} 单）", gb.title, gb.orders_count);
        inbox::post(conn, owner, message(body)).await?;
    }
    Ok(())
}
