//! The WeChat Pay sweeps, run by every instance when WeChat Pay is the
//! provider: reconciliation of orders whose payment is overdue or whose
//! notify never came (query; record a payment; close the trade and expire
//! the order, giving its quantity back), and refunds (send, then query
//! until final). Each step is safe to run twice or on two instances at
//! once: payments are recorded once by their transaction id, orders move
//! by conditional updates, refunds are sent under their fixed number.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::order::{self, OrderStatus};
use entity::order_prepay;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::order_lifecycle::expire_one;
use crate::cache::keys;
use crate::error::ApiResult;
use crate::orders::payment_records::{Recorded, TradeCheck, check_trade, close_trade};
use crate::orders::refunds::{self, RefundSweep};
use crate::state::AppState;
use crate::time;
use crate::wechatpay::WechatPayClient;

/// What one payment sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PaymentSweep {
    /// Orders found paid by query (their notify never came).
    pub paid: usize,
    /// Overdue orders whose trade was closed and which expired.
    pub expired: usize,
    /// Canteen meal bookings left unpaid past their deadline, cancelled.
    pub meals_expired: usize,
    pub refunds: RefundSweep,
}

/// One round of reconciliation and refunds; nothing without WeChat Pay.
#[tracing::instrument(skip_all)]
pub async fn sweep(state: &AppState) -> ApiResult<PaymentSweep> {
    let Some(client) = state.wechatpay.as_ref() else {
        return Ok(PaymentSweep::default());
    };
    let db = &state.db;
    let now = time::now();
    let after = chrono::Duration::seconds(state.settings.payments.reconcile_after_secs.max(0));
    let mut done = PaymentSweep::default();
    reconcile_overdue(db, client, now, &mut done).await?;
    reconcile_quiet(db, client, now, after, &mut done).await?;
    done.meals_expired = crate::canteen::payment::expire_unpaid(state, client).await?;
    done.refunds = refunds::sweep(db, client, now, after).await?;
    if done.paid > 0 || done.expired > 0 {
        keys::group_buy_progress_changed(&state.cache).await;
    }
    Ok(done)
}

/// Prepaid orders past their payment deadline: recorded if paid, else
/// their trade is closed and they expire.
async fn reconcile_overdue(
    db: &DatabaseConnection,
    client: &WechatPayClient,
    now: DateTime<Utc>,
    done: &mut PaymentSweep,
) -> ApiResult<()> {
    let prepaid = sea_orm::sea_query::Query::select()
        .column(order_prepay::Column::OrderId)
        .from(order_prepay::Entity)
        .to_owned();
    let overdue = order::Entity::find()
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment))
        .filter(order::Column::ExpiresAt.lte(now))
        .filter(order::Column::Id.in_subquery(prepaid))
        .limit(100)
        .all(db)
        .await?;
    for o in overdue {
        match check_trade(db, client, &o, now).await? {
            TradeCheck::Paid(Recorded::Paid) => done.paid += 1,
            TradeCheck::Unknown => {}
            // Unpaid, or a payment that did not pay it (recorded for an
            // admin, or going back): the order itself expires.
            TradeCheck::Paid(_) | TradeCheck::Unpaid => {
                if close_trade(client, &o).await && expire_one(db, &o, now).await? {
                    done.expired += 1;
                    if o.kind == entity::order::OrderKind::Shop {
                        // The resident (and the shop) hear the order expired.
                        let expired = order::Model {
                            status: OrderStatus::Expired,
                            updated_at: now,
                            ..o.clone()
                        };
                        crate::orders::notify::order_changed(
                            db,
                            &expired,
                            crate::orders::notify::Party::Clock,
                        )
                        .await;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Prepaid orders still within their deadline whose notify has not come
/// `after` their prepay: asked about at most once per `after`.
async fn reconcile_quiet(
    db: &DatabaseConnection,
    client: &WechatPayClient,
    now: DateTime<Utc>,
    after: chrono::Duration,
    done: &mut PaymentSweep,
) -> ApiResult<()> {
    let due = now - after;
    let quiet: Vec<i64> = order_prepay::Entity::find()
        .select_only()
        .column(order_prepay::Column::OrderId)
        .filter(order_prepay::Column::CreatedAt.lte(due))
        .filter(
            Condition::any()
                .add(order_prepay::Column::CheckedAt.is_null())
                .add(order_prepay::Column::CheckedAt.lte(due)),
        )
        .limit(500)
        .into_tuple()
        .all(db)
        .await?;
    if quiet.is_empty() {
        return Ok(());
    }
    let waiting = order::Entity::find()
        .filter(order::Column::Id.is_in(quiet))
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment))
        .filter(order::Column::ExpiresAt.gt(now))
        .limit(100)
        .all(db)
        .await?;
    for o in waiting {
        if check_trade(db, client, &o, now).await? == TradeCheck::Paid(Recorded::Paid) {
            done.paid += 1;
        }
    }
    Ok(())
}

/// Runs the sweep in the background every `interval` until the process ends.
pub fn spawn(state: actix_web::web::Data<AppState>, interval: Duration) {
    if state.wechatpay.is_none() {
        return;
    }
    crate::jobs::repeat("wechat pay reconciliation", interval, move || {
        let state = state.clone();
        async move { sweep(&state).await }
    });
}
