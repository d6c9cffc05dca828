//! Settlement at cut-off and expiry of unpaid orders.
//!
//! Nothing here lives only in memory: a campaign past its cut-off is found by
//! its row (`state = 'open' AND ends_at <= now`), so a restart, or another
//! instance, simply finds it again. Exactly once comes from the conditional
//! `UPDATE … WHERE state = 'open'` that every settler races on, committed in
//! one transaction with all of the campaign's order changes.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::group_buy::CampaignState;
use entity::order::OrderStatus;
use entity::{group_buy, group_buy_notification, order};
use sea_orm::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::market;
use super::order_lifecycle::{
    assign_pickup_codes, cancel_orders_of, expire_overdue, expire_pending_of,
};
use crate::cache::{Cache, keys};
use crate::error::ApiResult;
use crate::orders::refunds::RefundReason;
use crate::time;

/// What one settlement decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub group_buy_id: i64,
    /// `Succeeded` or `Failed`.
    pub outcome: CampaignState,
    /// Users with orders in the campaign, to be told the result.
    pub participants: Vec<i64>,
}

/// Settles every campaign past its cut-off; answers what this caller settled
/// (a campaign another instance settled first is not in the list).
pub async fn settle_due_group_buys(db: &DatabaseConnection) -> ApiResult<Vec<Settled>> {
    let now = time::now();
    let due: Vec<i64> = group_buy::Entity::find()
        .select_only()
        .column(group_buy::Column::Id)
        .filter(group_buy::Column::State.eq(CampaignState::Open))
        .filter(group_buy::Column::EndsAt.lte(now))
        .order_by_asc(group_buy::Column::EndsAt)
        .limit(100)
        .into_tuple()
        .all(db)
        .await?;
    let mut settled = Vec::new();
    for id in due {
        if let Some(s) = settle_one(db, id, now).await? {
            settled.push(s);
        }
    }
    Ok(settled)
}

#[tracing::instrument(skip_all, fields(group_buy_id = id))]
async fn settle_one(
    db: &DatabaseConnection,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<Option<Settled>> {
    let txn = crate::db::begin_write(db).await?;
    // Take the campaign first, with a write: on PostgreSQL a concurrent
    // settler waits on the row lock and then finds it no longer open; on
    // SQLite the transaction holds the write lock from its first statement.
    let taken = group_buy::Entity::update_many()
        .col_expr(group_buy::Column::SettledAt, Expr::value(now))
        .filter(group_buy::Column::Id.eq(id))
        .filter(group_buy::Column::State.eq(CampaignState::Open))
        .filter(group_buy::Column::EndsAt.lte(now))
        .exec(&txn)
        .await?;
    if taken.rows_affected != 1 {
        return Ok(None);
    }
    // Unpaid orders take no part in the result.
    expire_pending_of(&txn, id, now).await?;
    let outcome = Expr::case(
        Expr::col(group_buy::Column::OrderedQuantity)
            .gte(Expr::col(group_buy::Column::MinQuantity)),
        Expr::value(CampaignState::Succeeded),
    )
    .finally(Expr::value(CampaignState::Failed));
    let claimed = group_buy::Entity::update_many()
        .col_expr(group_buy::Column::State, outcome.into())
        .col_expr(group_buy::Column::SettledAt, Expr::value(now))
        .filter(group_buy::Column::Id.eq(id))
        .filter(group_buy::Column::State.eq(CampaignState::Open))
        .filter(group_buy::Column::EndsAt.lte(now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(None);
    }
    let Some(gb) = group_buy::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(None);
    };
    let participants: Vec<i64> = order::Entity::find()
        .select_only()
        .column(order::Column::UserId)
        .distinct()
        .filter(order::Column::GroupBuyId.eq(id))
        .filter(order::Column::Status.eq(OrderStatus::Placed))
        .into_tuple()
        .all(&txn)
        .await?;
    if gb.state == CampaignState::Succeeded {
        assign_pickup_codes(&txn, id, now).await?;
        market::release_stock(&txn, gb.goods_id, gb.total_quantity - gb.ordered_quantity).await?;
    } else {
        cancel_orders_of(
            &txn,
            id,
            &[OrderStatus::Placed],
            RefundReason::CampaignFailed,
            now,
        )
        .await?;
        market::release_stock(&txn, gb.goods_id, gb.total_quantity).await?;
    }
    // The result is owed to every participant; recorded with the settlement,
    // so a crash can neither lose nor duplicate it.
    let owed: Vec<group_buy_notification::ActiveModel> = participants
        .iter()
        .map(|user_id| group_buy_notification::ActiveModel {
            group_buy_id: Set(id),
            user_id: Set(*user_id),
            outcome: Set(gb.state),
            created_at: Set(now),
            sent_at: Set(None),
            ..Default::default()
        })
        .collect();
    if !owed.is_empty() {
        group_buy_notification::Entity::insert_many(owed)
            .exec(&txn)
            .await?;
    }
    super::messages::settled(&txn, &gb, &participants).await?;
    txn.commit().await?;
    tracing::info!(group_buy_id = id, outcome = ?gb.state, orders = gb.orders_count, "group-buy settled");
    Ok(Some(Settled {
        group_buy_id: id,
        outcome: gb.state,
        participants,
    }))
}

/// Expires overdue unpaid orders, settles what is due, and drops the cached
/// group-buy reads that changed.
pub async fn sweep(db: &DatabaseConnection, cache: &Cache) -> ApiResult<Vec<Settled>> {
    let (expired, settled) = crate::inbox::tracking::scope(cache, async {
        let expired = expire_overdue(db, time::now()).await?;
        ApiResult::Ok((expired, settle_due_group_buys(db).await?))
    })
    .await?;
    if !settled.is_empty() {
        keys::group_buys_closed(cache).await;
    } else if expired > 0 {
        keys::group_buy_progress_changed(cache).await;
    }
    Ok(settled)
}

/// Runs the sweep in the background every `interval` until the process ends.
pub fn spawn(db: DatabaseConnection, cache: Cache, interval: Duration) {
    crate::jobs::repeat("group-buy settlement", interval, move || {
        let (db, cache) = (db.clone(), cache.clone());
        async move { sweep(&db, &cache).await }
    });
}
