//! The inbox items of an order's changes, written in the change's
//! transaction: cancellations (to whoever did not cancel), refunds recorded
//! and decided (to the buyer, and a resident's refund to the merchant),
//! pickup (to the buyer).

use entity::refund::RefundState;
use entity::{merchant, order};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::json;

use crate::error::ApiResult;
use crate::inbox::{self, Kind as InboxKind, Message};

fn target(o: &order::Model) -> serde_json::Value {
    json!({ "type": "order", "order_no": o.order_no, "group_buy_id": o.group_buy_id })
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

async fn merchant_owner(conn: &impl ConnectionTrait, o: &order::Model) -> ApiResult<Option<i64>> {
    Ok(merchant::Entity::find_by_id(o.merchant_id)
        .one(conn)
        .await?
        .map(|m| m.owner_user_id))
}

/// An order was cancelled: the merchant hears of a resident's cancellation,
/// the buyer of anyone else's.
pub async fn cancelled(
    conn: &impl ConnectionTrait,
    o: &order::Model,
    by_resident: bool,
) -> ApiResult<()> {
    let (to, body) = if by_resident {
        let Some(owner) = merchant_owner(conn, o).await? else {
            return Ok(());
        };
        (owner, format!("订单 {} 已被居民取消", o.order_no))
    } else {
        (o.user_id, format!("订单 {} 已取消", o.order_no))
    };
    let message = Message::new(InboxKind::OrderStatus, "订单已取消", body).target(target(o));
    inbox::post(conn, to, message).await
}

/// The refund of a paid order was recorded (it is sent by the refund sweep).
pub async fn refund_requested(conn: &impl ConnectionTrait, o: &order::Model) -> ApiResult<()> {
    let amount = yuan(o.amount_fen);
    let to_buyer = Message::new(
        InboxKind::Refund,
        "退款已发起",
        format!("订单 {} 的 {amount} 元将原路退回", o.order_no),
    )
    .target(target(o));
    inbox::post(conn, o.user_id, to_buyer).await?;
    if let Some(owner) = merchant_owner(conn, o).await? {
        let to_merchant = Message::new(
            InboxKind::Refund,
            "订单退款",
            format!("订单 {} 退款 {amount} 元", o.order_no),
        )
        .target(target(o));
        inbox::post(conn, owner, to_merchant).await?;
    }
    Ok(())
}

/// WeChat Pay finished a refund one way or the other.
pub async fn refund_decided(
    conn: &impl ConnectionTrait,
    o: &order::Model,
    state: RefundState,
) -> ApiResult<()> {
    let body = match state {
        RefundState::Succeeded => format!("订单 {} 的退款已到账", o.order_no),
        _ => format!("订单 {} 的退款未能完成，请联系商户", o.order_no),
    };
    let message = Message::new(InboxKind::Refund, "退款结果", body).target(target(o));
    inbox::post(conn, o.user_id, message).await
}

/// The buyer picked the order up.
pub async fn picked_up(conn: &impl ConnectionTrait, o: &order::Model) -> ApiResult<()> {
    let message = Message::new(
        InboxKind::OrderStatus,
        "订单已提货",
        format!("订单 {} 已提货，感谢惠顾", o.order_no),
    )
    .target(target(o));
    inbox::post(conn, o.user_id, message).await
}
