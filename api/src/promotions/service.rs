//! Promotion queries and writes.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{merchant, promotion};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, QueryFilter,
    QueryOrder, Select, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::cache::keys;
use crate::community_links::linked_to;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::FieldErrors;
use crate::merchants::moderation::ShopTexts;
use crate::merchants::service::{self as merchants, active_ids};
use crate::pagination::{Page, Paged};
use crate::state::AppState;
use crate::time;

/// Longest promotion window.
const MAX_DAYS: i64 = 366;

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PromotionView {
    pub id: i64,
    pub merchant_id: i64,
    pub merchant_name: String,
    pub title: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewPromotion {
    /// 1-60 characters.
    #[schema(max_length = 60, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub title: String,
    /// Up to 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub description: String,
    #[serde(deserialize_with = "crate::time::bounded")]
    pub starts_at: DateTime<Utc>,
    /// After `starts_at` and in the future; at most 366 days after `starts_at`.
    #[serde(deserialize_with = "crate::time::bounded")]
    pub ends_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PromotionQuery {
    /// Promotions of merchants serving this community; defaults to the
    /// logged-in resident's community.
    pub community_id: Option<i64>,
    pub merchant_id: Option<i64>,
}

/// A page of running promotions and when that answer next changes by
/// itself (a listed one ends or a matching one starts).
#[derive(Debug)]
pub struct ActivePage {
    pub page: Paged<PromotionView>,
    pub next_change: Option<DateTime<Utc>>,
}

async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<promotion::Model>,
) -> ApiResult<Vec<PromotionView>> {
    let ids: Vec<i64> = rows.iter().map(|p| p.merchant_id).collect();
    let names: HashMap<i64, String> = merchant::Entity::find()
        .filter(merchant::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, ShopTexts::public(&m).name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|p| PromotionView {
            merchant_name: names.get(&p.merchant_id).cloned().unwrap_or_default(),
            id: p.id,
            merchant_id: p.merchant_id,
            title: p.title,
            description: p.description,
            starts_at: p.starts_at,
            ends_at: p.ends_at,
            created_at: p.created_at,
        })
        .collect())
}

fn scoped(query: PromotionQuery) -> Select<promotion::Entity> {
    let mut select =
        promotion::Entity::find().filter(promotion::Column::MerchantId.in_subquery(active_ids()));
    if let Some(cid) = query.community_id {
        select = select.filter(
            promotion::Column::MerchantId
                .in_subquery(linked_to::<entity::merchant_community::Entity>([cid])),
        );
    }
    if let Some(mid) = query.merchant_id {
        select = select.filter(promotion::Column::MerchantId.eq(mid));
    }
    select
}

/// Running promotions, through the cache: kept no longer than until the
/// list changes by itself (one ends or another starts).
pub async fn running(
    state: &AppState,
    query: PromotionQuery,
    page: Page,
) -> ApiResult<Paged<PromotionView>> {
    let key = keys::promotion_list(query.community_id, query.merchant_id, page);
    if let Some(hit) = state.cache.get_json::<Paged<PromotionView>>(&key).await {
        return Ok(hit);
    }
    let now = time::now();
    let active = list_active(&state.db, query, now, page).await?;
    let mut ttl = state.cache_ttl();
    if let Some(next) = active.next_change {
        let until = (next - now).to_std().unwrap_or_default();
        ttl = ttl.min(until);
    }
    if ttl >= Duration::from_secs(1) {
        state.cache.set_json(&key, &active.page, ttl).await;
    }
    Ok(active.page)
}

/// Promotions running at `now` of active merchants, ending soonest first.
pub async fn list_active(
    db: &impl ConnectionTrait,
    query: PromotionQuery,
    now: DateTime<Utc>,
    page: Page,
) -> ApiResult<ActivePage> {
    let running = scoped(query)
        .filter(promotion::Column::StartsAt.lte(now))
        .filter(promotion::Column::EndsAt.gt(now));
    let select = running
        .order_by_asc(promotion::Column::EndsAt)
        .order_by_asc(promotion::Column::Id);
    let listed = page.fetch(db, select).await?;
    // The answer changes when any running one ends or an upcoming one starts.
    let first_end = scoped(query)
        .filter(promotion::Column::StartsAt.lte(now))
        .filter(promotion::Column::EndsAt.gt(now))
        .order_by_asc(promotion::Column::EndsAt)
        .one(db)
        .await?
        .map(|p| p.ends_at);
    let first_start = scoped(query)
        .filter(promotion::Column::StartsAt.gt(now))
        .order_by_asc(promotion::Column::StartsAt)
        .one(db)
        .await?
        .map(|p| p.starts_at);
    let next_change = match (first_end, first_start) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Ok(ActivePage {
        page: listed.map_batch(|rows| views(db, rows)).await?,
        next_change,
    })
}

/// All of a merchant's promotions, newest first (owner).
pub async fn list_for_owner(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    page: Page,
) -> ApiResult<Paged<PromotionView>> {
    let select = promotion::Entity::find()
        .filter(promotion::Column::MerchantId.eq(merchant_id))
        .order_by_desc(promotion::Column::Id);
    page.fetch(db, select)
        .await?
        .map_batch(|rows| views(db, rows))
        .await
}

pub async fn create(
    db: &impl ConnectionTrait,
    m: &merchant::Model,
    new: NewPromotion,
) -> ApiResult<PromotionView> {
    let mut errors = FieldErrors::default();
    let title = errors.text("title", &new.title, 1, 60);
    let description = errors.text("description", &new.description, 0, 500);
    let starts_at = time::normalise(new.starts_at);
    let ends_at = time::normalise(new.ends_at);
    if ends_at <= starts_at {
        errors.push("ends_at", "结束时间须晚于开始时间");
    } else if ends_at <= time::now() {
        errors.push("ends_at", "结束时间须晚于当前时间");
    } else if ends_at - starts_at > chrono::Duration::days(MAX_DAYS) {
        errors.push("ends_at", "活动时长不能超过 366 天");
    }
    errors.finish()?;
    let saved = promotion::ActiveModel {
        merchant_id: Set(m.id),
        title: Set(title),
        description: Set(description),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        created_at: Set(time::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    views(db, vec![saved])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("created promotion vanished")))
}

/// Deletes a promotion of a merchant the caller owns. Someone else's is 403
/// while the public can see it (running, merchant active), else 404.
pub async fn delete(db: &impl ConnectionTrait, id: i64, me: &AuthUser) -> ApiResult<()> {
    let p = promotion::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ErrorCode::PromotionNotFound)?;
    let m = merchants::find(db, p.merchant_id).await?;
    if m.owner_user_id != me.id() {
        let visible =
            merchants::is_active(&m) && p.starts_at <= time::now() && p.ends_at > time::now();
        return Err(if visible {
            ErrorCode::Forbidden
        } else {
            ErrorCode::PromotionNotFound
        }
        .into());
    }
    p.delete(db).await?;
    Ok(())
}
