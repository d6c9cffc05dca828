//! The order batcher: a campaign's orders written together.
//!
//! Every order of a campaign updates the campaign's row, so a hot campaign
//! takes its orders one after the other, and each one alone costs a handful
//! of database round trips (begin, the resident's running total, the order,
//! the idempotent answer, the campaign, commit). The batcher runs one writer
//! task per campaign with orders in flight; the task takes whatever orders
//! have queued up while it wrote the last batch and writes them in one
//! transaction of the same five statements, however many they are:
//!
//! 1. every resident's running total, raised only where it stays within the
//!    per-user limit (one upsert, returning whose were raised);
//! 2. the orders of those residents (one insert);
//! 3. their idempotent answers (one insert; should a key be taken already,
//!    by a retry's first request, the batch is rolled back and written again
//!    without that order);
//! 4. the campaign's counters, by the batch's total, only if that much
//!    remains and the campaign is still ongoing;
//! 5. commit.
//!
//! An order the batch could not place (its resident at the limit, the
//! campaign sold out or closed, its key taken, any database error) comes back
//! unwritten; `ordering::place_order` then looks its key up (a retry gets the
//! first answer) and places it alone with [`super::order_writes::place_alone`],
//! which gives the exact answer. The database's conditions make both ways equally safe. A
//! batch holds one order per resident; a resident's next order waits for the
//! next batch.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::http::StatusCode;
use entity::order;
use sea_orm::{DatabaseConnection, EntityTrait};
use tokio::sync::{mpsc, oneshot};

use super::order_checks::CheckedOrder;
use super::order_writes::{raise_running_totals, take_from_campaign};
use crate::cache::{Cache, keys};
use crate::db::begin_write;
use crate::error::{ApiError, ApiResult};
use crate::idempotency::{self, AnswerKey};
use crate::orders::views::OrderView;
use crate::time;

/// The most orders one transaction writes.
const MAX_BATCH: usize = 128;
/// A campaign's writer ends after this long without orders.
const IDLE: Duration = Duration::from_secs(30);

/// What became of an order handed to the batcher.
pub enum BatchOutcome {
    /// Committed, its answer saved under its key: the answer.
    Placed(OrderView),
    /// Nothing written: to be placed alone.
    Unplaced(CheckedOrder),
}

/// An order waiting for its batch, and where its outcome goes.
struct Queued {
    order: CheckedOrder,
    answer_key: AnswerKey,
    reply: oneshot::Sender<BatchOutcome>,
}

/// Shared by the workers of one API instance.
#[derive(Clone)]
pub struct OrderBatcher {
    inner: Arc<Inner>,
}

struct Inner {
    db: DatabaseConnection,
    cache: Cache,
    /// The queue of each campaign with a writer running.
    lanes: Mutex<HashMap<i64, mpsc::UnboundedSender<Queued>>>,
}

impl OrderBatcher {
    pub fn new(db: DatabaseConnection, cache: Cache) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                cache,
                lanes: Mutex::default(),
            }),
        }
    }

    /// Queues the order with its campaign's others and waits for its batch.
    /// The batch runs to its end even if this request is dropped.
    pub async fn place(
        &self,
        order: CheckedOrder,
        answer_key: AnswerKey,
    ) -> ApiResult<BatchOutcome> {
        let (reply, outcome) = oneshot::channel();
        self.queue(Queued {
            order,
            answer_key,
            reply,
        });
        outcome
            .await
            .map_err(|_| ApiError::internal(anyhow::anyhow!("the order batcher dropped an order")))
    }

    fn queue(&self, job: Queued) {
        let campaign = job.order.group_buy_id;
        let mut lanes = self
            .inner
            .lanes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let job = match lanes.get(&campaign) {
            Some(lane) => match lane.send(job) {
                Ok(()) => return,
                Err(mpsc::error::SendError(job)) => job,
            },
            None => job,
        };
        let (lane, queue) = mpsc::unbounded_channel();
        // The receiver is alive until the writer below ends.
        let _ = lane.send(job);
        lanes.insert(campaign, lane);
        tokio::spawn(write_lane(self.inner.clone(), campaign, queue));
    }
}

/// A campaign's writer: batch after batch until the queue stays empty for
/// `IDLE`. Orders are queued under the lanes lock, and the writer leaves
/// under it only with an empty queue, so no order is left behind.
async fn write_lane(inner: Arc<Inner>, campaign: i64, mut queue: mpsc::UnboundedReceiver<Queued>) {
    let mut waiting: Vec<Queued> = Vec::new();
    loop {
        if waiting.is_empty() {
            match tokio::time::timeout(IDLE, queue.recv_many(&mut waiting, MAX_BATCH)).await {
                Ok(0) => return,
                Ok(_) => {}
                Err(_) => {
                    let mut lanes = inner.lanes.lock().unwrap_or_else(PoisonError::into_inner);
                    if queue.is_empty() {
                        lanes.remove(&campaign);
                        return;
                    }
                    continue;
                }
            }
        }
        while waiting.len() < MAX_BATCH
            && let Ok(job) = queue.try_recv()
        {
            waiting.push(job);
        }
        let mut residents = HashSet::new();
        let (mut batch, later): (Vec<Queued>, Vec<Queued>) = waiting
            .drain(..)
            .partition(|job| residents.insert(job.order.user_id));
        waiting = later;
        // Residents' rows locked in one order by every batch (PostgreSQL).
        batch.sort_by_key(|job| job.order.user_id);
        write_and_reply(&inner, batch).await;
    }
}

/// Writes a batch and tells each request what became of its order.
async fn write_and_reply(inner: &Inner, batch: Vec<Queued>) {
    // The merchant's inbox counts drop once the batch has committed.
    let written = crate::inbox::tracking::scope(&inner.cache, write_batch(&inner.db, &batch)).await;
    let placed = match written {
        Ok(placed) => placed,
        Err(err) => {
            tracing::warn!(error = %err, "an order batch failed; its orders are placed alone");
            vec![None; batch.len()]
        }
    };
    if placed.iter().any(Option::is_some) {
        // After the commit, so no read can cache the progress from before it.
        keys::group_buy_progress_changed(&inner.cache).await;
    }
    for (job, view) in batch.into_iter().zip(placed) {
        let outcome = match view {
            Some(view) => BatchOutcome::Placed(view),
            None => BatchOutcome::Unplaced(job.order),
        };
        // A request gone meanwhile: its order stands, as after any commit.
        let _ = job.reply.send(outcome);
    }
}

/// Writes a batch in one transaction: the answers of those placed, in the
/// batch's order; None for those left to be placed alone. A key found taken
/// leaves its order alone and the batch is written again without it.
#[tracing::instrument(
    skip_all,
    fields(group_buy_id = batch.first().map(|q| q.order.group_buy_id), orders = batch.len())
)]
async fn write_batch(
    db: &DatabaseConnection,
    batch: &[Queued],
) -> ApiResult<Vec<Option<OrderView>>> {
    let mut alone = HashSet::new();
    loop {
        match write_batch_once(db, batch, &alone).await? {
            Written::Placed(placed) => return Ok(placed),
            Written::KeysTaken(taken) => alone.extend(taken),
            Written::NotTaken => return Ok(vec![None; batch.len()]),
        }
    }
}

enum Written {
    Placed(Vec<Option<OrderView>>),
    /// Rolled back: these residents' keys were taken.
    KeysTaken(HashSet<i64>),
    /// Rolled back: the campaign closed or has not that much left.
    NotTaken,
}

async fn write_batch_once(
    db: &DatabaseConnection,
    batch: &[Queued],
    alone: &HashSet<i64>,
) -> ApiResult<Written> {
    let orders: Vec<&CheckedOrder> = batch
        .iter()
        .map(|job| &job.order)
        .filter(|t| !alone.contains(&t.user_id))
        .collect();
    let Some(first) = orders.first() else {
        return Ok(Written::Placed(vec![None; batch.len()]));
    };
    // A campaign's terms never change once it is opened.
    let (campaign, per_user_limit) = (first.group_buy_id, first.per_user_limit);
    let now = time::now();
    let txn = begin_write(db).await?;
    let joined: HashSet<i64> = raise_running_totals(&txn, per_user_limit, orders.iter().copied())
        .await?
        .into_iter()
        .collect();
    let mut placed = Vec::with_capacity(batch.len());
    let mut rows = Vec::new();
    let mut answers = Vec::new();
    let mut quantity = 0;
    for job in batch {
        let t = &job.order;
        if alone.contains(&t.user_id) || !joined.contains(&t.user_id) {
            placed.push(None);
            continue;
        }
        let (row, view) = t.order(now);
        rows.push(row);
        answers.push((&job.answer_key, serde_json::to_value(&view)?));
        quantity += t.quantity;
        placed.push(Some(view));
    }
    let count = rows.len() as i64;
    if count == 0 {
        txn.rollback().await?;
        return Ok(Written::Placed(placed));
    }
    order::Entity::insert_many(rows)
        .exec_without_returning(&txn)
        .await?;
    let views: Vec<&OrderView> = placed.iter().flatten().collect();
    super::messages::orders_placed(&txn, first.merchant_id, &views).await?;
    let taken = idempotency::save_all(
        &txn,
        answers
            .iter()
            .map(|(key, body)| (*key, StatusCode::CREATED, body)),
    )
    .await?;
    if !taken.is_empty() {
        txn.rollback().await?;
        return Ok(Written::KeysTaken(taken));
    }
    if !take_from_campaign(&txn, campaign, quantity, count, now).await? {
        txn.rollback().await?;
        return Ok(Written::NotTaken);
    }
    txn.commit().await?;
    Ok(Written::Placed(placed))
}
