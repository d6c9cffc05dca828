//! A merchant's own figures over a range of China-time days, both order
//! kinds: orders, revenue, refunds, by day, and the goods sold most.
//!
//! Counted by the day an order was placed: `orders` are those not ended
//! unfulfilled (cancelled, expired, refunding, refunded); `revenue` is the
//! amount of those handed over (`completed`, `picked_up`); `refunds` are the
//! orders refunding or refunded and their amount, and the handed-over
//! orders after-sales refunded (their `refunded_fen`).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Days, FixedOffset, NaiveDate, Offset, TimeZone, Utc};
use entity::order::{self, OrderStatus};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::lines::goods_quantities_of;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::money::Money;

/// Longest range one request may ask for, in days.
const MAX_DAYS: u64 = 366;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// First day (`YYYY-MM-DD`, China time); default 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day, inclusive; default today. A range longer than 366 days is
    /// cut to its first 366; `from` after `to` covers no day.
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct DayFigures {
    pub date: NaiveDate,
    pub orders: u64,
    pub revenue: Money,
    pub refunds: u64,
    pub refunded: Money,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TopGoods {
    pub goods_id: i64,
    pub name: String,
    pub quantity: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MerchantFigures {
    pub merchant_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub orders: u64,
    pub revenue: Money,
    pub refunds: u64,
    pub refunded: Money,
    /// Every day of the range.
    pub days: Vec<DayFigures>,
    /// The ten goods sold most (by quantity, handed over or not).
    pub top_goods: Vec<TopGoods>,
}

pub(crate) fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

pub(crate) fn start_of(day: NaiveDate) -> ApiResult<DateTime<Utc>> {
    cst()
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidQuery))
}

fn handed_over(s: OrderStatus) -> bool {
    matches!(s, OrderStatus::Completed | OrderStatus::PickedUp)
}

fn refunded(s: OrderStatus) -> bool {
    matches!(s, OrderStatus::Refunding | OrderStatus::Refunded)
}

/// The merchant's figures for `from..=to`.
pub async fn merchant_figures(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    query: &FiguresQuery,
    now: DateTime<Utc>,
) -> ApiResult<MerchantFigures> {
    let today = now.with_timezone(&cst()).date_naive();
    let (from, to) = crate::time::day_range(
        crate::fields::query_day("from", query.from)?,
        crate::fields::query_day("to", query.to)?,
        today,
        MAX_DAYS,
    );
    let bad = |why: &str| ApiError::new(ErrorCode::InvalidQuery).message(why);
    let next = to
        .checked_add_days(Days::new(1))
        .ok_or_else(|| bad("to 超出范围"))?;
    let rows = order::Entity::find()
        .filter(order::Column::MerchantId.eq(merchant_id))
        .filter(order::Column::CreatedAt.gte(start_of(from)?))
        .filter(order::Column::CreatedAt.lt(start_of(next)?))
        .all(db)
        .await?;
    let mut days: BTreeMap<NaiveDate, DayFigures> = BTreeMap::new();
    let mut day = from;
    while day <= to {
        days.insert(
            day,
            DayFigures {
                date: day,
                ..Default::default()
            },
        );
        day = day.checked_add_days(Days::new(1)).unwrap_or(next);
    }
    let mut counted = Vec::new();
    for o in &rows {
        let date = o.created_at.with_timezone(&cst()).date_naive();
        let Some(d) = days.get_mut(&date) else {
            continue;
        };
        if o.status.holds_quantity() {
            d.orders += 1;
            counted.push(o);
        }
        if handed_over(o.status) {
            d.revenue = Money::from_fen(d.revenue.fen() + o.amount_fen);
        }
        if refunded(o.status) {
            d.refunds += 1;
            d.refunded = Money::from_fen(d.refunded.fen() + o.amount_fen);
        } else if o.refunded_fen > 0 {
            // Handed over, then partly or wholly refunded by after-sales.
            d.refunds += 1;
            d.refunded = Money::from_fen(d.refunded.fen() + o.refunded_fen);
        }
    }
    let sold: HashMap<i64, (String, i64)> = goods_quantities_of(db, &counted).await?;
    let mut top_goods: Vec<TopGoods> = sold
        .into_iter()
        .map(|(goods_id, (name, quantity))| TopGoods {
            goods_id,
            name,
            quantity,
        })
        .collect();
    top_goods.sort_by(|a, b| {
        b.quantity
            .cmp(&a.quantity)
            .then(a.goods_id.cmp(&b.goods_id))
    });
    top_goods.truncate(10);
    let days: Vec<DayFigures> = days.into_values().collect();
    Ok(MerchantFigures {
        merchant_id,
        from,
        to,
        orders: days.iter().map(|d| d.orders).sum(),
        revenue: Money::from_fen(days.iter().map(|d| d.revenue.fen()).sum()),
        refunds: days.iter().map(|d| d.refunds).sum(),
        refunded: Money::from_fen(days.iter().map(|d| d.refunded.fen()).sum()),
        days,
        top_goods,
    })
}
