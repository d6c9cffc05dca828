//! The resident asks: `POST /orders/{order_no}/after-sales`.

use chrono::{DateTime, Utc};
use entity::after_sale::{self, AfterSaleStatus};
use entity::order::{self, OrderKind, OrderStatus};
use entity::order_line;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{ANSWER_HOURS, WINDOW_DAYS};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::FieldErrors;
use crate::money::Money;
use crate::uploads::Purpose;
use crate::uploads::refs::{self, ImageRef};

/// Most photos one request holds.
pub const MAX_PHOTOS: usize = 6;
/// Most lines one request names.
pub const MAX_LINES: usize = 100;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct NewAfterSale {
    /// Ids of the order's lines (`lines[].id`) the refund is for; empty or
    /// absent: the whole order (a group-buy order is always whole).
    #[serde(default)]
    pub line_ids: Vec<i64>,
    /// The refund asked for: more than 0, at most what was paid for those
    /// lines (the whole order: its amount with the delivery fee) and what
    /// is left of the order after earlier refunds.
    pub amount: Money,
    /// 1-200 characters.
    pub reason: String,
    /// Up to 6 photos: ids of the caller's `review_photo` uploads or https URLs.
    #[serde(default)]
    pub photos: Vec<ImageRef>,
}

/// When the order was handed over, if it was.
pub fn completed_at(o: &order::Model) -> Option<DateTime<Utc>> {
    match o.status {
        OrderStatus::Completed | OrderStatus::PickedUp => o.completed_at.or(o.picked_up_at),
        _ => None,
    }
}

/// The fields on their own (before the order is looked at).
fn check_fields(body: &NewAfterSale, errors: &mut FieldErrors) -> String {
    let reason = errors.text("reason", &body.reason, 1, 200);
    if body.amount.fen() <= 0 {
        errors.push("amount", "退款金额须大于 0");
    }
    if body.line_ids.len() > MAX_LINES {
        errors.push("line_ids", format!("最多 {MAX_LINES} 行"));
    }
    refs::check_list(errors, "photos", &body.photos, MAX_PHOTOS);
    reason
}

/// The most that may be asked for `line_ids` of `o` (the lines' amounts,
/// or the whole order's), never above what is left after earlier refunds;
/// a line id not of this order is named in `errors`.
async fn refundable(
    db: &impl ConnectionTrait,
    o: &order::Model,
    line_ids: &[i64],
    errors: &mut FieldErrors,
) -> ApiResult<i64> {
    let left = o.amount_fen - o.refunded_fen;
    if line_ids.is_empty() {
        return Ok(left);
    }
    if o.kind == OrderKind::GroupBuy {
        errors.push("line_ids", "团购订单只能整单申请");
        return Ok(left);
    }
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(o.id))
        .all(db)
        .await?;
    let mut sum = 0;
    let mut seen = Vec::new();
    for (i, id) in line_ids.iter().enumerate() {
        match lines.iter().find(|l| l.id == *id) {
            Some(_) if seen.contains(id) => errors.push(format!("line_ids[{i}]"), "重复的订单行"),
            Some(l) => {
                seen.push(*id);
                sum += l.amount_fen;
            }
            None => errors.push(format!("line_ids[{i}]"), "不是该订单的商品行"),
        }
    }
    Ok(sum.min(left))
}

/// Records the caller's request on their order `o` in `txn`: 409
/// `INVALID_TRANSITION` for an order not completed, 422
/// `AFTER_SALE_WINDOW_PASSED` 7 days after completion, 422
/// `REFUND_EXCEEDS_PAID` above what may be refunded, 409 `AFTER_SALE_OPEN`
/// while another request of the order is open.
pub async fn create(
    txn: &impl ConnectionTrait,
    o: &order::Model,
    body: &NewAfterSale,
    now: DateTime<Utc>,
) -> ApiResult<(after_sale::Model, super::messages::Owed)> {
    let mut errors = FieldErrors::default();
    let reason = check_fields(body, &mut errors);
    let max = refundable(txn, o, &body.line_ids, &mut errors).await?;
    errors.finish()?;
    let Some(done_at) = completed_at(o) else {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("订单完成后才能申请售后"));
    };
    let window_end = done_at
        .checked_add_signed(chrono::Duration::days(WINDOW_DAYS))
        .unwrap_or(done_at);
    if now > window_end {
        return Err(ErrorCode::AfterSaleWindowPassed.into());
    }
    if body.amount.fen() > max {
        return Err(ApiError::new(ErrorCode::RefundExceedsPaid)
            .details(json!({ "max": Money::from_fen(max.max(0)), "fields": [{ "field": "amount", "message": "超过可退金额" }] })));
    }
    refs::claim_all(txn, o.user_id, Purpose::ReviewPhoto, "photos", &body.photos).await?;
    let due = now
        .checked_add_signed(chrono::Duration::hours(ANSWER_HOURS))
        .unwrap_or(now);
    let row = after_sale::ActiveModel {
        order_id: Set(o.id),
        open_order_id: Set(Some(o.id)),
        merchant_id: Set(o.merchant_id),
        user_id: Set(o.user_id),
        status: Set(AfterSaleStatus::Requested),
        line_ids: Set(serde_json::to_string(&body.line_ids).unwrap_or_else(|_| "[]".into())),
        amount_fen: Set(body.amount.fen()),
        reason: Set(reason),
        photos: Set(refs::to_json(&body.photos)),
        answer_due_at: Set(due),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let inserted = after_sale::Entity::insert(row)
        .on_conflict(
            OnConflict::column(after_sale::Column::OpenOrderId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    if inserted != 1 {
        return Err(ErrorCode::AfterSaleOpen.into());
    }
    let a = after_sale::Entity::find()
        .filter(after_sale::Column::OpenOrderId.eq(o.id))
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("after-sale row vanished")))?;
    let owed = super::messages::record(txn, &a, o, super::messages::Event::Requested).await?;
    Ok((a, owed))
}
