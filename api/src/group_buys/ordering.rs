//! A resident's order in a campaign, from the request to its answer.

use actix_web::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::batches::{BatchOutcome, OrderBatcher};
use super::order_checks::check_order;
use super::order_writes::place_alone;
use super::service;
use crate::auth::AuthUser;
use crate::cache::keys;
use crate::error::ApiResult;
use crate::idempotency::{self, AnswerKey, Checked, IdempotencyKey};
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewOrder {
    /// 1..=the campaign's per-user limit.
    pub quantity: i64,
}

/// Places `new` in campaign `group_buy_id` for `me`; answers the status and
/// body to send (the first answer again for a retried key).
///
/// The campaign is read before any write, from the cache (fresh after every
/// change of the campaign's or its merchant's state). An order that passes
/// the checks goes to the batcher, which writes it with the campaign's
/// other orders, its key checked by the unique index. What the batcher
/// cannot place, and what fails the checks, has its key looked up (a
/// retry gets the first answer) and is placed alone for its exact answer.
#[tracing::instrument(
    skip_all,
    fields(user_id = me.id(), group_buy_id, quantity = new.quantity, order_no = tracing::field::Empty)
)]
pub async fn place_order(
    state: &AppState,
    batcher: &OrderBatcher,
    me: &AuthUser,
    group_buy_id: i64,
    new: NewOrder,
    key: Option<IdempotencyKey>,
) -> ApiResult<(StatusCode, Value)> {
    let fingerprint =
        idempotency::fingerprint(&format!("POST /group-buys/{group_buy_id}/orders"), &new);
    let db = &state.db;
    let campaign = state
        .cache
        .get_or_load(
            &keys::group_buy_terms(group_buy_id),
            state.cache_ttl(),
            || service::get_public(db, group_buy_id),
        )
        .await;
    let payments = &state.settings.payments;
    let checked = campaign.and_then(|gb| {
        check_order(
            &gb,
            me,
            new.quantity,
            payments.provider,
            payments.payment_timeout_secs,
        )
    });
    let unplaced = match checked {
        Ok(order) => {
            let answer_key = AnswerKey::new(me.id(), key.as_ref(), &fingerprint);
            match batcher.place(order, answer_key).await? {
                BatchOutcome::Placed(placed) => {
                    tracing::Span::current().record("order_no", placed.order_no.as_str());
                    return Ok((StatusCode::CREATED, serde_json::to_value(placed)?));
                }
                BatchOutcome::Unplaced(order) => Ok(order),
            }
        }
        Err(err) => Err(err),
    };
    let answer_key = match idempotency::check(db, me.id(), key.as_ref(), &fingerprint).await? {
        Checked::Replay(status, json) => return Ok((status, json)),
        Checked::Fresh(answer_key) => answer_key,
    };
    let mut write = answer_key.begin(db).await?;
    let placed = match unplaced {
        Ok(order) => place_alone(&mut write, &order).await,
        Err(err) => Err(err),
    }
    .and_then(|placed| Ok((StatusCode::CREATED, serde_json::to_value(placed)?)));
    let answer = write.finish(db, placed).await?;
    if let Some(order_no) = answer.1["order_no"].as_str() {
        tracing::Span::current().record("order_no", order_no);
    }
    // After the commit, so no read can cache the progress from before it.
    keys::group_buy_progress_changed(&state.cache).await;
    Ok(answer)
}
