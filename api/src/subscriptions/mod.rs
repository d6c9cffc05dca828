//! Subscribe-message grants and the messages sent under them.
//!
//! The mini-program calls `POST /me/subscriptions` after
//! `wx.requestSubscribeMessage` succeeds; each grant allows one message on
//! that topic. Sending consumes a grant with a conditional decrement, so two
//! senders can never spend one grant twice; WeChat's 43101 (refused, or no
//! quota left) zeroes the topic.

pub mod sender;

use actix_web::{get, post, web};
use entity::subscription_grant;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody, FieldError};
use crate::extract::Json;
use crate::startup::AppState;
use crate::time;

pub const TOPICS: [&str; 4] = ["outage", "group_buy", "booking", "request"];
/// Most grants one call may add (one `wx.requestSubscribeMessage` asks for a few templates).
pub const MAX_GRANTS_PER_CALL: i64 = 10;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(add_grants).service(list_grants);
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewGrants {
    /// `outage`, `group_buy`, `booking` or `request`.
    pub topic: String,
    /// How many messages the user accepted (1-10).
    pub grants: i64,
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

/// Record grants the user accepted in `wx.requestSubscribeMessage`; answers every topic's balance.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    request_body = NewGrants,
    responses(
        (status = 200, body = Vec<GrantView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: unknown topic or grants outside 1-10", body = ErrorBody),
    )
)]
#[post("/me/subscriptions")]
async fn add_grants(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<NewGrants>,
) -> ApiResult<web::Json<Vec<GrantView>>> {
    let mut errors = Vec::new();
    if !TOPICS.contains(&body.topic.as_str()) {
        errors.push(FieldError::new(
            "topic",
            "须为 outage、group_buy、booking 或 request",
        ));
    }
    if !(1..=MAX_GRANTS_PER_CALL).contains(&body.grants) {
        errors.push(FieldError::new("grants", "须在 1-10 之间"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = time::now();
    subscription_grant::Entity::insert(subscription_grant::ActiveModel {
        user_id: Set(me.id()),
        topic: Set(body.topic.clone()),
        remaining: Set(body.grants),
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
            .add(body.grants),
        )
        .value(subscription_grant::Column::UpdatedAt, Expr::value(now))
        .to_owned(),
    )
    .exec(&state.db)
    .await?;
    Ok(web::Json(grants_of(&state.db, me.id()).await?))
}

/// The caller's remaining grants per topic.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<GrantView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/me/subscriptions")]
async fn list_grants(
    state: web::Data<AppState>,
    me: AuthUser,
) -> ApiResult<web::Json<Vec<GrantView>>> {
    Ok(web::Json(grants_of(&state.db, me.id()).await?))
}
