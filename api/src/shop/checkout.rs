//! Checkout: one shop order from the lines of one merchant the resident
//! chose. The amount is the server's sum of the lines at today's prices plus
//! the delivery fee; every line keeps the goods' name, unit, price and image
//! as they are now; stock is taken line by line by conditional updates in
//! the order's transaction.

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use entity::order::{self, Fulfilment, OrderKind, OrderStatus};
use entity::{building, community, order_line, user};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::availability::{Shelf, Unavailable};
use super::{cart, stock};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::goods::views::{GoodsView, with_images};
use crate::idempotency::IdempotentWrite;
use crate::media::MediaStore;
use crate::orders::notify::{Party, order_changed};
use crate::orders::numbers::new_order_no;
use crate::orders::payments::{self, Provider};
use crate::orders::views::{OrderView, Viewer};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct LineRequest {
    pub goods_id: i64,
    /// 1-999.
    #[schema(minimum = 1, maximum = 999)]
    pub quantity: i64,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct NewShopOrder {
    /// Goods of one merchant, each once (1-100 lines).
    #[schema(min_items = 1, max_items = 100)]
    pub lines: Vec<LineRequest>,
    pub fulfilment: Fulfilment,
    /// For the merchant (at most 200 characters).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub note: String,
}

/// The order as checked before the write: its lines priced and snapshot.
pub struct CheckedShopOrder {
    merchant_id: i64,
    lines: Vec<order_line::Model>,
    fulfilment: Fulfilment,
    address: Option<String>,
    delivery_fee_fen: i64,
    note: String,
}

/// Checks the request against the goods and merchant as they are now:
/// malformed lines are 422, goods that cannot be bought 409
/// `GOODS_UNAVAILABLE` (or `NOT_SERVED_HERE`) naming them, delivery terms
/// 409 `DELIVERY_UNAVAILABLE` / `BELOW_MINIMUM_ORDER` / `ADDRESS_REQUIRED`.
pub async fn check(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    me: &user::Model,
    body: &NewShopOrder,
) -> ApiResult<CheckedShopOrder> {
    if body.lines.is_empty() || body.lines.len() > cart::MAX_LINES as usize {
        return Err(ApiError::field("lines", "请选择 1-100 种商品"));
    }
    let mut seen = std::collections::HashSet::new();
    for l in &body.lines {
        if !(1..=cart::MAX_QUANTITY).contains(&l.quantity) {
            return Err(ApiError::field("lines", "每种商品数量须为 1-999"));
        }
        if !seen.insert(l.goods_id) {
            return Err(ApiError::field("lines", "同一商品只能出现一次"));
        }
    }
    let note = body.note.trim().to_owned();
    if note.chars().count() > 200 {
        return Err(ApiError::field("note", "备注最多 200 个字"));
    }
    let shelf = Shelf::load(db, seen.iter().copied(), me.community_id).await?;
    let unavailable: Vec<_> = body
        .lines
        .iter()
        .filter_map(|l| shelf.why_not(l.goods_id, 0).map(|why| (l.goods_id, why)))
        .collect();
    if !unavailable.is_empty() {
        let code = if unavailable
            .iter()
            .all(|(_, w)| *w == Unavailable::NotServed)
        {
            ErrorCode::NotServedHere
        } else {
            ErrorCode::GoodsUnavailable
        };
        let lines: Vec<_> = unavailable
            .iter()
            .map(|(id, why)| json!({ "goods_id": id, "reason": why }))
            .collect();
        return Err(ApiError::new(code).details(json!({ "lines": lines })));
    }
    let merchant_ids: std::collections::HashSet<i64> =
        shelf.goods.values().map(|g| g.merchant_id).collect();
    let (Some(&merchant_id), 1) = (merchant_ids.iter().next(), merchant_ids.len()) else {
        return Err(ApiError::field("lines", "一个订单只能包含同一商户的商品"));
    };
    let shop = shelf
        .merchants
        .get(&merchant_id)
        .ok_or_else(|| ApiError::new(ErrorCode::MerchantNotFound))?;
    let views = with_images(
        db,
        media,
        body.lines
            .iter()
            .filter_map(|l| shelf.goods.get(&l.goods_id).cloned().map(GoodsView::from))
            .collect(),
    )
    .await?;
    let mut lines = Vec::with_capacity(body.lines.len());
    let mut goods_fen: i64 = 0;
    for (l, g) in body.lines.iter().zip(&views) {
        let amount = g
            .price
            .fen()
            .checked_mul(l.quantity)
            .ok_or_else(|| ApiError::field("lines", "金额过大"))?;
        goods_fen = goods_fen
            .checked_add(amount)
            .ok_or_else(|| ApiError::field("lines", "金额过大"))?;
        lines.push(order_line::Model {
            id: 0,
            order_id: 0,
            goods_id: g.id,
            name: g.name.clone(),
            unit: g.unit.clone(),
            price_fen: g.price.fen(),
            image: g.images.first().cloned(),
            quantity: l.quantity,
            amount_fen: amount,
        });
    }
    let (address, delivery_fee_fen) = match body.fulfilment {
        Fulfilment::Pickup => (None, 0),
        Fulfilment::Delivery => {
            if !shop.delivery_enabled {
                return Err(ErrorCode::DeliveryUnavailable.into());
            }
            if goods_fen < shop.min_order_fen {
                return Err(ApiError::new(ErrorCode::BelowMinimumOrder).details(
                    json!({ "min_order": crate::money::Money::from_fen(shop.min_order_fen) }),
                ));
            }
            (Some(address_of(db, me).await?), shop.delivery_fee_fen)
        }
    };
    Ok(CheckedShopOrder {
        merchant_id,
        lines,
        fulfilment: body.fulfilment,
        address,
        delivery_fee_fen,
        note,
    })
}

/// The resident's bound building and room, as a delivery address.
async fn address_of(db: &impl ConnectionTrait, me: &user::Model) -> ApiResult<String> {
    let (Some(c), Some(b), Some(room)) = (me.community_id, me.building_id, me.room.as_deref())
    else {
        return Err(ErrorCode::AddressRequired.into());
    };
    if room.trim().is_empty() {
        return Err(ErrorCode::AddressRequired.into());
    }
    let community = community::Entity::find_by_id(c).one(db).await?;
    let building = building::Entity::find_by_id(b).one(db).await?;
    let (Some(community), Some(building)) = (community, building) else {
        return Err(ErrorCode::AddressRequired.into());
    };
    Ok(format!(
        "{}{}{}",
        community.name,
        building.name,
        room.trim()
    ))
}

/// Places the checked order in the write's transaction: takes the stock of
/// every line (409 `INSUFFICIENT_STOCK` naming each line short, nothing
/// taken), writes the order and its lines, and empties those cart lines.
pub async fn place(
    write: &IdempotentWrite,
    me: &user::Model,
    checked: CheckedShopOrder,
    provider: Provider,
    payment_timeout_secs: i64,
    now: DateTime<Utc>,
) -> ApiResult<(StatusCode, serde_json::Value)> {
    let txn = write.txn();
    let mut short = Vec::new();
    for l in &checked.lines {
        if !stock::take(txn, l.goods_id, l.quantity).await? {
            short.push(json!({ "goods_id": l.goods_id, "name": l.name, "quantity": l.quantity }));
        }
    }
    if !short.is_empty() {
        return Err(ApiError::new(ErrorCode::InsufficientStock).details(json!({ "lines": short })));
    }
    let goods_fen: i64 = checked.lines.iter().map(|l| l.amount_fen).sum();
    let status = payments::initial_status(provider);
    let row = order::Model {
        id: 0,
        order_no: new_order_no(now),
        group_buy_id: None,
        merchant_id: checked.merchant_id,
        kind: OrderKind::Shop,
        user_id: me.id,
        quantity: checked.lines.iter().map(|l| l.quantity).sum(),
        unit_price_fen: 0,
        amount_fen: goods_fen + checked.delivery_fee_fen,
        status,
        payment_provider: provider,
        payment_ref: None,
        paid_at: None,
        pickup_code: None,
        picked_up_at: None,
        cancelled_at: None,
        refunded_at: None,
        expires_at: (status == OrderStatus::PendingPayment)
            .then(|| now + chrono::Duration::seconds(payment_timeout_secs)),
        fulfilment: Some(checked.fulfilment),
        delivery_address: checked.address,
        delivery_fee_fen: checked.delivery_fee_fen,
        note: checked.note,
        decline_reason: None,
        accepted_at: None,
        delivering_at: None,
        completed_at: None,
        created_at: now,
        updated_at: now,
        refunded_fen: 0,
    };
    let mut active = row.clone().into_active_model();
    active.id = NotSet;
    let order_id = order::Entity::insert(active)
        .exec(txn)
        .await?
        .last_insert_id;
    let lines: Vec<order_line::Model> = checked
        .lines
        .into_iter()
        .map(|l| order_line::Model { order_id, ..l })
        .collect();
    order_line::Entity::insert_many(lines.iter().map(|l| {
        let mut a = l.clone().into_active_model();
        a.id = NotSet;
        a
    }))
    .exec_without_returning(txn)
    .await?;
    // Read back: the answer shows each line's id.
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order_id))
        .order_by_asc(order_line::Column::Id)
        .all(txn)
        .await?;
    cart::remove(txn, me.id, lines.iter().map(|l| l.goods_id)).await?;
    let placed = order::Model {
        id: order_id,
        ..row
    };
    if placed.status == OrderStatus::Placed {
        // Pay at pickup: the merchant hears of it now (a WeChat Pay order
        // when its payment is recorded).
        order_changed(txn, &placed, Party::Resident).await;
    }
    let view = OrderView::with_lines(&placed, &lines, Viewer::Owner);
    let body = serde_json::to_value(&view).map_err(ApiError::internal)?;
    Ok((StatusCode::CREATED, body))
}
