//! Subscribe-message grants and the messages sent under them.
//!
//! The mini-program calls `POST /me/subscriptions` after
//! `wx.requestSubscribeMessage` succeeds; each grant allows one message on
//! that topic. Sending consumes a grant with a conditional decrement, so two
//! senders can never spend one grant twice; WeChat's 43101 (refused, or no
//! quota left) zeroes the topic.

pub mod routes;
pub mod sender;

use entity::subscription_grant;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use self::routes::configure;
use crate::error::ApiResult;
use crate::fields::FieldErrors;
use crate::time;

pub const TOPICS: [&str; 6] = [
    "outage",
    "group_buy",
    "booking",
    "request",
    "order",
    "activity",
];
/// Most grants one call may add (one `wx.requestSubscribeMessage` asks for a few templates).
pub const MAX_GRANTS_PER_CALL: i64 = 10;

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewGrants {
    /// `outage`, `group_buy`, `booking` or `request`.
    #[schema(schema_with = grant_topics)]
    pub topic: String,
    /// How many messages the user accepted (1-10).
    #[schema(minimum = 1, maximum = 10)]
    pub grants: i64,
}
fn grant_topics() -> utoipa::openapi::Object {
    crate::openapi::choices(&["outage", "group_buy", "booking", "request"])
}

#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct GrantView {
    pub topic: String,
    /// Messages that may still be sent on this topic.
    pub remaining: i64,
}

/// Spends one grant; false when none is left.
pub async fn consume(db: &impl ConnectionTrait, user_id: i64, topic: &str) -> ApiResult<bool> {
    let res = subscription_grant::Entity::update_many()
        .col_expr(
            subscription_grant::Column::Remaining,
            Expr::col(subscription_grant::Column::Remaining).sub(1),
        )
        .col_expr(
            subscription_grant::Column::UpdatedAt,
            Expr::value(time::now()),
        )
        .filter(subscription_grant::Column::UserId.eq(user_id))
        .filter(subscription_grant::Column::Topic.eq(topic))
        .filter(subscription_grant::Column::Remaining.gt(0))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// WeChat said the user has no subscription left: forget the topic's grants.
pub async fn zero(db: &impl ConnectionTrait, user_id: i64, topic: &str) -> ApiResult<()> {
    subscription_grant::Entity::update_many()
        .col_expr(subscription_grant::Column::Remaining, Expr::value(0))
        .col_expr(
            subscription_grant::Column::UpdatedAt,
            Expr::value(time::now()),
        )
        .filter(subscription_grant::Column::UserId.eq(user_id))
        .filter(subscription_grant::Column::Topic.eq(topic))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn grants_of(db: &impl ConnectionTrait, user_id: i64) -> ApiResult<Vec<GrantView>> {
    let rows = subscription_grant::Entity::find()
        .filter(subscription_grant::Column::UserId.eq(user_id))
        .order_by_asc(subscription_grant::Column::Topic)
        .all(db)
        .await?;
    Ok(TOPICS
        .iter()
        .map(|t| GrantView {
            topic: (*t).to_owned(),
            remaining: rows
                .iter()
                .find(|r| r.topic == *t)
                .map(|r| r.remaining)
                .unwrap_or(0),
        })
        .collect())
}

/// Adds the grants the user accepted; answers every topic's balance.
pub async fn add_grants(
    db: &impl ConnectionTrait,
    user_id: i64,
    new: NewGrants,
) -> ApiResult<Vec<GrantView>> {
    let mut errors = FieldErrors::default();
    if !TOPICS.contains(&new.topic.as_str()) {
        errors.push("topic", "须为 outage、group_buy、booking 或 request");
    }
    if !(1..=MAX_GRANTS_PER_CALL).contains(&new.grants) {
        errors.push("grants", "须在 1-10 之间");
    }
    errors.finish()?;
    let now = time::now();
    subscription_grant::Entity::insert(subscription_grant::ActiveModel {
        user_id: Set(user_id),
        topic: Set(new.topic.clone()),
        remaining: Set(new.grants),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            subscription_grant::Column::UserId,
            subscription_grant::Column::Topic,
        ])
        .value(
            subscription_grant::Column::Remaining,
            Expr::col((
                subscription_grant::Entity,
                subscription_grant::Column::Remaining,
            ))
            .add(new.grants),
        )
        .value(subscription_grant::Column::UpdatedAt, Expr::value(now))
        .to_owned(),
    )
    .exec(db)
    .await?;
    grants_of(db, user_id).await
}
