//! What merchants and admins see of the money: a merchant's paid, refunded
//! and net amounts per day, and the admin's list of payments and refunds
//! that need a person.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, FixedOffset, NaiveDate, Offset, TimeZone, Utc};
use entity::merchant_community;
use entity::payment::{self, PaymentStatus};
use entity::refund::{self, RefundState};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::community_links::linked_to;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::money::Money;
use crate::pagination::{Page, Paged};

/// Days are China Standard Time days, as merchants count them.
fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// Longest range one request may ask for, in days.
const MAX_DAYS: u64 = 366;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SettlementQuery {
    /// First day (`YYYY-MM-DD`, China time); default 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day, inclusive; default today. A range longer than 366 days is
    /// cut to its first 366; `from` after `to` covers no day.
    pub to: Option<NaiveDate>,
}

/// One day's money.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SettlementDay {
    pub date: NaiveDate,
    /// Received from payers that day.
    pub paid: Money,
    /// Returned to payers that day (refunds that succeeded).
    pub refunded: Money,
    /// `paid - refunded`; may be negative (`"-12.50"`).
    pub net: String,
    pub payments: u64,
    pub refunds: u64,
}

/// A merchant's settlement figures, every day of the range.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Settlements {
    pub merchant_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub paid: Money,
    pub refunded: Money,
    pub net: String,
    pub days: Vec<SettlementDay>,
}

/// A signed amount with two decimals.
fn signed(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}", Money::from_fen(fen.abs()))
}

fn start_of(day: NaiveDate) -> ApiResult<DateTime<Utc>> {
    cst()
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidQuery))
}

/// Per day paid, refunded and net for one merchant, `from..=to`.
pub async fn merchant_settlements(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    query: &SettlementQuery,
) -> ApiResult<Settlements> {
    let today = Utc::now().with_timezone(&cst()).date_naive();
    let (from, to) = crate::time::day_range(
        crate::fields::query_day("from", query.from)?,
        crate::fields::query_day("to", query.to)?,
        today,
        MAX_DAYS,
    );
    let bad = |why: &str| ApiError::new(ErrorCode::InvalidQuery).message(why);
    let start = start_of(from)?;
    let end = start_of(
        to.checked_add_days(Days::new(1))
            .ok_or_else(|| bad("to 超出范围"))?,
    )?;
    let paid: Vec<(DateTime<Utc>, i64)> = payment::Entity::find()
        .select_only()
        .column(payment::Column::PaidAt)
        .column(payment::Column::AmountFen)
        .filter(payment::Column::MerchantId.eq(merchant_id))
        .filter(payment::Column::PaidAt.gte(start))
        .filter(payment::Column::PaidAt.lt(end))
        .into_tuple()
        .all(db)
        .await?;
    let refunded: Vec<(Option<DateTime<Utc>>, i64)> = refund::Entity::find()
        .select_only()
        .column(refund::Column::SucceededAt)
        .column(refund::Column::AmountFen)
        .filter(refund::Column::MerchantId.eq(merchant_id))
        .filter(refund::Column::Status.eq(RefundState::Succeeded))
        .filter(refund::Column::SucceededAt.gte(start))
        .filter(refund::Column::SucceededAt.lt(end))
        .into_tuple()
        .all(db)
        .await?;
    // date -> (paid fen, payments, refunded fen, refunds)
    let mut days: BTreeMap<NaiveDate, (i64, u64, i64, u64)> = BTreeMap::new();
    let mut day = from;
    while day <= to {
        days.insert(day, (0, 0, 0, 0));
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    let date_of = |t: DateTime<Utc>| t.with_timezone(&cst()).date_naive();
    for (at, fen) in paid {
        if let Some(d) = days.get_mut(&date_of(at)) {
            d.0 += fen;
            d.1 += 1;
        }
    }
    for (at, fen) in refunded {
        if let Some(d) = at.and_then(|at| days.get_mut(&date_of(at))) {
            d.2 += fen;
            d.3 += 1;
        }
    }
    let (paid_fen, refunded_fen) = days.values().fold((0, 0), |(p, r), d| (p + d.0, r + d.2));
    Ok(Settlements {
        merchant_id,
        from,
        to,
        paid: Money::from_fen(paid_fen),
        refunded: Money::from_fen(refunded_fen),
        net: signed(paid_fen - refunded_fen),
        days: days
            .into_iter()
            .map(|(date, (p, np, r, nr))| SettlementDay {
                date,
                paid: Money::from_fen(p),
                refunded: Money::from_fen(r),
                net: signed(p - r),
                payments: np,
                refunds: nr,
            })
            .collect(),
    })
}

/// A payment or refund that needs a person.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AbnormalItem {
    /// `payment` (amount or currency not the order's: not taken as payment)
    /// or `refund` (closed, abnormal, or refused by WeChat Pay).
    pub kind: String,
    pub id: i64,
    pub order_no: String,
    pub merchant_id: i64,
    pub amount: Money,
    /// The payment's or refund's status (`amount_mismatch`; `closed`,
    /// `abnormal`, `failed`).
    pub status: String,
    /// WeChat Pay's transaction id (payments) or our refund number (refunds).
    pub reference: String,
    /// What went wrong last, for refunds refused or retried.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Upper bound of rows read per kind for one list.
const ABNORMAL_LIMIT: u64 = 5000;

/// Abnormal payments and refunds, newest first, of the merchants serving
/// `communities` (None: every merchant).
pub async fn abnormal(
    db: &impl ConnectionTrait,
    communities: Option<Vec<i64>>,
    page: Page,
) -> ApiResult<Paged<AbnormalItem>> {
    let mut payments: Select<payment::Entity> =
        payment::Entity::find().filter(payment::Column::Status.eq(PaymentStatus::AmountMismatch));
    let mut refunds: Select<refund::Entity> =
        refund::Entity::find().filter(refund::Column::Status.is_in([
            RefundState::Closed,
            RefundState::Abnormal,
            RefundState::Failed,
        ]));
    if let Some(ids) = communities {
        payments = payments.filter(
            payment::Column::MerchantId
                .in_subquery(linked_to::<merchant_community::Entity>(ids.clone())),
        );
        refunds = refunds.filter(
            refund::Column::MerchantId.in_subquery(linked_to::<merchant_community::Entity>(ids)),
        );
    }
    let payments = payments
        .order_by_desc(payment::Column::Id)
        .limit(ABNORMAL_LIMIT)
        .all(db)
        .await?;
    let refunds = refunds
        .order_by_desc(refund::Column::Id)
        .limit(ABNORMAL_LIMIT)
        .all(db)
        .await?;
    let status = |v: serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let mut items: Vec<AbnormalItem> = payments
        .into_iter()
        .map(|p| AbnormalItem {
            kind: "payment".into(),
            id: p.id,
            order_no: p.out_trade_no.clone(),
            merchant_id: p.merchant_id,
            amount: Money::from_fen(p.amount_fen.max(0)),
            status: status(serde_json::json!(p.status)),
            reference: p.transaction_id,
            last_error: None,
            created_at: p.created_at,
        })
        .chain(refunds.into_iter().map(|r| AbnormalItem {
            kind: "refund".into(),
            id: r.id,
            order_no: r.out_trade_no.clone(),
            merchant_id: r.merchant_id,
            amount: Money::from_fen(r.amount_fen),
            status: status(serde_json::json!(r.status)),
            reference: r.out_refund_no,
            last_error: r.last_error,
            created_at: r.created_at,
        }))
        .collect();
    items.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let total = items.len() as u64;
    let items = items
        .into_iter()
        .skip(page.offset() as usize)
        .take(page.page_size as usize)
        .collect();
    Ok(Paged::new(items, page, total))
}
