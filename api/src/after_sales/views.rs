//! An after-sales request as its parties see it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::after_sale::{self, AfterSaleStatus};
use entity::order::{self, OrderKind};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiResult;
use crate::media::MediaStore;
use crate::money::Money;
use crate::uploads::refs::Resolver;

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AfterSaleView {
    pub id: i64,
    pub order_no: String,
    pub order_kind: OrderKind,
    pub merchant_id: i64,
    pub status: AfterSaleStatus,
    /// The order lines asked about; empty: the whole order.
    pub line_ids: Vec<i64>,
    /// The refund asked for.
    pub amount: Money,
    pub reason: String,
    /// URLs of the photos (a flagged upload is left out).
    pub photos: Vec<String>,
    /// Why the merchant rejected it.
    pub merchant_reason: Option<String>,
    /// Why the resident escalated it.
    pub escalation_reason: Option<String>,
    /// Why the admin decided as they did.
    pub admin_reason: Option<String>,
    /// Who approved or closed it: `merchant`, `clock` (no answer in 48 h) or `admin`.
    pub decided_by: Option<String>,
    /// The merchant's answer is due by then; the clock approves it after.
    pub answer_due_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub refunded_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub fn line_ids_of(a: &after_sale::Model) -> Vec<i64> {
    serde_json::from_str(&a.line_ids).unwrap_or_default()
}

/// The views of `rows` (their orders and photos read in two queries).
pub async fn views_of(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    rows: Vec<after_sale::Model>,
) -> ApiResult<Vec<AfterSaleView>> {
    let orders: HashMap<i64, order::Model> = order::Entity::find()
        .filter(order::Column::Id.is_in(rows.iter().map(|a| a.order_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let (resolver, photos) =
        Resolver::load_lists(db, media, rows.iter().map(|a| a.photos.as_str())).await?;
    Ok(rows
        .into_iter()
        .zip(photos)
        .map(|(a, refs)| {
            let o = orders.get(&a.order_id);
            AfterSaleView {
                id: a.id,
                order_no: o.map(|o| o.order_no.clone()).unwrap_or_default(),
                order_kind: o.map(|o| o.kind).unwrap_or(OrderKind::Shop),
                merchant_id: a.merchant_id,
                status: a.status,
                line_ids: line_ids_of(&a),
                amount: Money::from_fen(a.amount_fen),
                reason: a.reason.clone(),
                photos: resolver.visible(&refs).1,
                merchant_reason: a.merchant_reason.clone(),
                escalation_reason: a.escalation_reason.clone(),
                admin_reason: a.admin_reason.clone(),
                decided_by: a.decided_by.clone(),
                answer_due_at: a.answer_due_at,
                answered_at: a.answered_at,
                escalated_at: a.escalated_at,
                decided_at: a.decided_at,
                refunded_at: a.refunded_at,
                created_at: a.created_at,
            }
        })
        .collect())
}

/// One view.
pub async fn view_of(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    a: after_sale::Model,
) -> ApiResult<AfterSaleView> {
    let mut v = views_of(db, media, vec![a]).await?;
    v.pop()
        .ok_or_else(|| crate::error::ErrorCode::AfterSaleNotFound.into())
}

/// A decision's or an escalation's reason.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ReasonBody {
    /// 1-200 characters (optional when an admin approves).
    #[serde(default)]
    pub reason: String,
}
