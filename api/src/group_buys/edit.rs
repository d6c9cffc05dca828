//! The owner edits a campaign. Title, description and pickup (point and window) may
//! change while it takes orders; the terms residents order under (price,
//! minimum, per-resident limit, start and cut-off) only before it starts.
//! Each edit is one conditional update on the state it was checked in, so
//! an edit racing the start (or the cut-off) is refused, never half-applied.

use chrono::{DateTime, Utc};
use entity::group_buy::{self, CampaignState};
use entity::{goods, group_buy_community};
use sea_orm::{
    ActiveValue, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::service::{self, CampaignStatus, GroupBuyView, NewGroupBuy, public_status, validate};
use crate::auth::AuthUser;
use crate::community_links;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::merchants::service::require_owner;
use crate::money::Money;
use crate::time;

/// Absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupBuyPatch {
    /// 1-60 characters.
    #[schema(max_length = 60, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub title: Option<String>,
    /// Up to 500 characters; an empty string clears it.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// 1-200 characters.
    #[schema(max_length = 200, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub pickup_address: Option<String>,
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub pickup_starts_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub pickup_ends_at: Option<DateTime<Utc>>,
    /// Upcoming campaigns only.
    pub group_price: Option<Money>,
    /// Upcoming campaigns only.
    pub min_quantity: Option<i64>,
    /// Upcoming campaigns only.
    pub per_user_limit: Option<i64>,
    /// Upcoming campaigns only.
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub starts_at: Option<DateTime<Utc>>,
    /// Upcoming campaigns only.
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub ends_at: Option<DateTime<Utc>>,
}

impl GroupBuyPatch {
    fn changes_terms(&self) -> bool {
        self.group_price.is_some()
            || self.min_quantity.is_some()
            || self.per_user_limit.is_some()
            || self.starts_at.is_some()
            || self.ends_at.is_some()
    }
}

/// The campaign as it would be after `patch`, in the shape creation checks.
fn merged(gb: &group_buy::Model, patch: &GroupBuyPatch) -> NewGroupBuy {
    NewGroupBuy {
        goods_id: gb.goods_id,
        title: patch.title.clone().unwrap_or_else(|| gb.title.clone()),
        description: patch
            .description
            .clone()
            .unwrap_or_else(|| gb.description.clone()),
        group_price: patch
            .group_price
            .unwrap_or_else(|| Money::from_fen(gb.group_price_fen)),
        min_quantity: patch.min_quantity.unwrap_or(gb.min_quantity),
        total_quantity: gb.total_quantity,
        per_user_limit: patch.per_user_limit.unwrap_or(gb.per_user_limit),
        starts_at: patch.starts_at.unwrap_or(gb.starts_at),
        ends_at: patch.ends_at.unwrap_or(gb.ends_at),
        pickup_address: patch
            .pickup_address
            .clone()
            .unwrap_or_else(|| gb.pickup_address.clone()),
        pickup_starts_at: patch.pickup_starts_at.unwrap_or(gb.pickup_starts_at),
        pickup_ends_at: patch.pickup_ends_at.unwrap_or(gb.pickup_ends_at),
        // Not edited here; creation's "at least one" rule holds.
        community_ids: vec![0],
    }
}

/// Applies the owner's edit; 409 `INVALID_TRANSITION` when the campaign no
/// longer takes edits of that kind (terms after the start, anything after
/// the cut-off or once it ended).
pub async fn edit(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    patch: GroupBuyPatch,
) -> ApiResult<GroupBuyView> {
    let gb = service::find(db, id).await?;
    require_owner(db, gb.merchant_id, me).await?;
    let now = time::now();
    let status = public_status(gb.state, gb.starts_at, gb.ends_at, now);
    let editable = match status {
        CampaignStatus::Upcoming => true,
        CampaignStatus::Ongoing => !patch.changes_terms(),
        _ => false,
    };
    if !editable {
        return Err(ApiError::new(ErrorCode::InvalidTransition)
            .message("团购已开始或已结束，不能修改这些内容")
            .details(serde_json::json!({ "status": status })));
    }
    let next = merged(&gb, &patch);
    let mut errors = validate(&next, now);
    if let Some(price) = patch.group_price {
        let goods_price = goods::Entity::find_by_id(gb.goods_id)
            .one(db)
            .await?
            .map(|g| g.price_fen);
        if goods_price.is_some_and(|p| price.fen() > p) {
            errors.push(FieldError::new("group_price", "团购价不能高于商品原价"));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut active = gb.clone().into_active_model();
    active.title = ActiveValue::Set(next.title.trim().to_owned());
    active.description = ActiveValue::Set(next.description.trim().to_owned());
    active.pickup_address = ActiveValue::Set(next.pickup_address.trim().to_owned());
    active.pickup_starts_at = ActiveValue::Set(time::normalise(next.pickup_starts_at));
    active.pickup_ends_at = ActiveValue::Set(time::normalise(next.pickup_ends_at));
    active.group_price_fen = ActiveValue::Set(next.group_price.fen());
    active.min_quantity = ActiveValue::Set(next.min_quantity);
    active.per_user_limit = ActiveValue::Set(next.per_user_limit);
    active.starts_at = ActiveValue::Set(time::normalise(next.starts_at));
    active.ends_at = ActiveValue::Set(time::normalise(next.ends_at));
    // Only while still in the state checked above: open, before the start
    // for terms (no order can exist yet), before the cut-off otherwise.
    let still = if patch.changes_terms() {
        group_buy::Column::StartsAt.gt(now)
    } else {
        group_buy::Column::EndsAt.gt(now)
    };
    let changed = group_buy::Entity::update_many()
        .set(active)
        .filter(group_buy::Column::Id.eq(id))
        .filter(group_buy::Column::State.eq(CampaignState::Open))
        .filter(still)
        .exec(db)
        .await?;
    if changed.rows_affected == 0 {
        return Err(
            ApiError::new(ErrorCode::InvalidTransition).message("团购状态已变化，请刷新后重试")
        );
    }
    let fresh = service::find(db, id).await?;
    let communities =
        community_links::communities_of_one::<group_buy_community::Entity>(db, id).await?;
    Ok(service::view(fresh, communities, now))
}
