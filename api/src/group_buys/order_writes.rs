//! The writes that place orders: a resident's running total and a
//! campaign's counters, each changed by one conditional statement, so that
//! concurrent orders can neither oversell nor pass a limit.

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use entity::group_buy::CampaignState;
use entity::{group_buy, group_buy_participant, order};
use sea_orm::sea_query::{Alias, Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter};

use super::order_checks::CheckedOrder;
use super::service;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::idempotency::IdempotentWrite;
use crate::orders::views::OrderView;
use crate::time;

/// Adds residents' quantities to their running totals in one statement;
/// a resident whose total would pass the limit is left as they were.
/// Returns the residents whose quantity was added.
pub(super) async fn raise_running_totals(
    txn: &impl ConnectionTrait,
    per_user_limit: i64,
    orders: impl IntoIterator<Item = &CheckedOrder>,
) -> ApiResult<Vec<i64>> {
    let mine = Expr::col((
        group_buy_participant::Entity,
        group_buy_participant::Column::Quantity,
    ));
    let theirs = Expr::col((
        Alias::new("excluded"),
        group_buy_participant::Column::Quantity,
    ));
    let joined = group_buy_participant::Entity::insert_many(
        orders.into_iter().map(CheckedOrder::participation),
    )
    .on_conflict(
        OnConflict::columns([
            group_buy_participant::Column::GroupBuyId,
            group_buy_participant::Column::UserId,
        ])
        .value(
            group_buy_participant::Column::Quantity,
            mine.clone().add(theirs.clone()),
        )
        .action_and_where(mine.add(theirs).lte(per_user_limit))
        .to_owned(),
    )
    .exec_with_returning(txn)
    .await?;
    Ok(joined.into_iter().map(|p| p.user_id).collect())
}

/// Takes `quantity` over `orders` orders from an open, ongoing campaign if
/// that much remains; false when it does not (or the campaign closed).
pub(super) async fn take_from_campaign(
    txn: &impl ConnectionTrait,
    group_buy_id: i64,
    quantity: i64,
    orders: i64,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let taken = group_buy::Entity::update_many()
        .col_expr(
            group_buy::Column::OrderedQuantity,
            Expr::col(group_buy::Column::OrderedQuantity).add(quantity),
        )
        .col_expr(
            group_buy::Column::OrdersCount,
            Expr::col(group_buy::Column::OrdersCount).add(orders),
        )
        .filter(group_buy::Column::Id.eq(group_buy_id))
        .filter(group_buy::Column::State.eq(CampaignState::Open))
        .filter(group_buy::Column::StartsAt.lte(now))
        .filter(group_buy::Column::EndsAt.gt(now))
        .filter(
            Expr::col(group_buy::Column::OrderedQuantity)
                .add(quantity)
                .lte(Expr::col(group_buy::Column::TotalQuantity)),
        )
        .exec(txn)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Places one order alone, in the write's transaction: the per-user limit
/// and the campaign's remaining quantity are checked and taken by
/// conditional writes, so concurrent orders can neither oversell nor exceed
/// a limit. The campaign row, which every order of a hot campaign updates,
/// is written last, after the idempotent answer is saved, so that PostgreSQL
/// holds its lock only until the commit. Most orders are placed in batches
/// by [`super::batches`]; this is the way for those a batch could not place, and the
/// one that answers with the exact error.
///
/// The ticket was checked against the campaign as read before the
/// transaction (so that SQLite's single writer does not wait on reads);
/// whatever may have changed since, its state, window and remaining
/// quantity, is checked again by the writes.
pub async fn place_alone(write: &mut IdempotentWrite, t: &CheckedOrder) -> ApiResult<OrderView> {
    let now = time::now();
    let txn = write.txn();
    if raise_running_totals(txn, t.per_user_limit, [t])
        .await?
        .is_empty()
    {
        return Err(ErrorCode::PerUserLimit.into());
    }
    let (row, placed) = t.order(now);
    order::Entity::insert(row)
        .exec_without_returning(txn)
        .await?;
    super::messages::orders_placed(txn, t.merchant_id, &[&placed]).await?;
    let answer = serde_json::to_value(&placed).map_err(ApiError::internal)?;
    if !write
        .save_answer_early(StatusCode::CREATED, &answer)
        .await?
    {
        // The same key won meanwhile; `finish` answers with its answer.
        return Err(ErrorCode::IdempotencyInProgress.into());
    }
    let txn = write.txn();
    if !take_from_campaign(txn, t.group_buy_id, t.quantity, 1, now).await? {
        let current = service::find(txn, t.group_buy_id).await?;
        let ongoing = current.state == CampaignState::Open
            && current.starts_at <= now
            && current.ends_at > now;
        return Err(if ongoing {
            ErrorCode::SoldOut
        } else {
            ErrorCode::NotOngoing
        }
        .into());
    }
    Ok(placed)
}

/// Takes a live order's quantity back out of its campaign's counters; a
/// shop order (which expires through the same sweeps) gives its stock back.
pub(super) async fn return_to_campaign(
    txn: &impl ConnectionTrait,
    o: &order::Model,
) -> ApiResult<()> {
    let Some(group_buy_id) = o.group_buy_id else {
        return crate::shop::stock::give_back(txn, o).await;
    };
    group_buy::Entity::update_many()
        .col_expr(
            group_buy::Column::OrderedQuantity,
            Expr::col(group_buy::Column::OrderedQuantity).sub(o.quantity),
        )
        .col_expr(
            group_buy::Column::OrdersCount,
            Expr::col(group_buy::Column::OrdersCount).sub(1),
        )
        .filter(group_buy::Column::Id.eq(group_buy_id))
        .exec(txn)
        .await?;
    group_buy_participant::Entity::update_many()
        .col_expr(
            group_buy_participant::Column::Quantity,
            Expr::col(group_buy_participant::Column::Quantity).sub(o.quantity),
        )
        .filter(group_buy_participant::Column::GroupBuyId.eq(group_buy_id))
        .filter(group_buy_participant::Column::UserId.eq(o.user_id))
        .exec(txn)
        .await?;
    Ok(())
}
