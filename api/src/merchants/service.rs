//! Merchant queries and writes: public reads, ownership and admin checks,
//! suspension and reinstatement (the owner's profile edit is `profile.rs`'s).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{goods_category, merchant, merchant_community};
use sea_orm::sea_query::{Expr, IntoColumnRef, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthUser, Role};
use crate::community_links::{self, linked_to};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields;
use crate::money::Money;
use crate::pagination::{Page, Paged};
use crate::time;
use crate::uploads;

use super::moderation::ShopTexts;

type Served = merchant_community::Entity;

pub use entity::merchant::MerchantStatus;

/// A merchant as residents see it. `contact_phone` is the business phone.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MerchantView {
    pub id: i64,
    pub name: String,
    /// A top-level goods category name, e.g. `果蔬生鲜`.
    pub category: String,
    pub address: String,
    pub lat: f64,
    pub lng: f64,
    pub business_hours: String,
    /// The public reads show the last approved name, description and
    /// announcement while an edit waits (see `moderation`).
    pub announcement: String,
    pub description: String,
    /// The shop text's check: `pass`, `review` (an edit waits for an admin)
    /// or `pending` (waits for WeChat). Only the owner and admins see the
    /// waiting edit.
    pub moderation: String,
    /// None also when WeChat flagged the uploaded logo.
    pub logo_url: Option<String>,
    pub contact_phone: String,
    pub community_ids: Vec<i64>,
    pub status: MerchantStatus,
    /// Delivers shop orders (else pickup only).
    pub delivery_enabled: bool,
    /// The least a delivery order's goods must come to.
    pub min_order: Money,
    pub delivery_fee: Money,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MerchantQuery {
    /// Merchants serving this community.
    pub community_id: Option<i64>,
    /// Exact merchant category, e.g. `果蔬生鲜`.
    pub category: Option<String>,
    /// Substring of the name (`%` and `_` match literally).
    pub q: Option<String>,
}

impl MerchantQuery {
    /// Keywords trimmed and bounded; empty ones dropped.
    pub fn normalised(self) -> Self {
        Self {
            community_id: self.community_id,
            category: fields::keyword(self.category.as_deref()),
            q: fields::keyword(self.q.as_deref()),
        }
    }
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<merchant::Model> {
    merchant::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ErrorCode::MerchantNotFound.into())
}

pub fn is_active(m: &merchant::Model) -> bool {
    m.status == MerchantStatus::Active
}

/// The merchant `id` when the caller owns it: 404 when it does not exist,
/// 403 when it is someone else's (suspended or not).
pub async fn require_owner(
    db: &impl ConnectionTrait,
    id: i64,
    me: &AuthUser,
) -> ApiResult<merchant::Model> {
    let m = find(db, id).await?;
    if m.owner_user_id != me.id() {
        return Err(ErrorCode::Forbidden.into());
    }
    Ok(m)
}

/// The merchant `id` when the caller owns it. Someone else's active merchant
/// is 403 (it is public anyway); a suspended one is 404, as to the public.
pub async fn owned_by(
    db: &impl ConnectionTrait,
    id: i64,
    me: &AuthUser,
) -> ApiResult<merchant::Model> {
    let m = find(db, id).await?;
    if m.owner_user_id == me.id() {
        Ok(m)
    } else if is_active(&m) {
        Err(ErrorCode::Forbidden.into())
    } else {
        Err(ErrorCode::MerchantNotFound.into())
    }
}

/// The shops `user_id` owns, oldest first, suspended ones included.
pub async fn owned_shops(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> ApiResult<Vec<merchant::Model>> {
    Ok(merchant::Entity::find()
        .filter(merchant::Column::OwnerUserId.eq(user_id))
        .order_by_asc(merchant::Column::Id)
        .all(db)
        .await?)
}

/// Who reads a merchant: the public (approved text only) or its owner and
/// admins (the text as edited).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reader {
    Public,
    Full,
}

fn to_view(
    m: merchant::Model,
    community_ids: Vec<i64>,
    reader: Reader,
    flagged: &HashSet<i64>,
) -> MerchantView {
    let texts = match reader {
        Reader::Public => ShopTexts::public(&m),
        Reader::Full => ShopTexts::current(&m),
    };
    let logo_flagged = m.logo_upload_id.is_some_and(|id| flagged.contains(&id));
    MerchantView {
        status: m.status,
        id: m.id,
        name: texts.name,
        category: m.category,
        address: m.address,
        lat: m.lat,
        lng: m.lng,
        business_hours: m.business_hours,
        announcement: texts.announcement,
        description: texts.description,
        moderation: m.moderation,
        logo_url: m.logo_url.filter(|_| !logo_flagged),
        contact_phone: m.contact_phone,
        community_ids,
        delivery_enabled: m.delivery_enabled,
        min_order: Money::from_fen(m.min_order_fen),
        delivery_fee: Money::from_fen(m.delivery_fee_fen),
        created_at: m.created_at,
    }
}

/// The views of `rows` for `reader`: communities and flagged logos in one
/// query each.
async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<merchant::Model>,
    reader: Reader,
) -> ApiResult<Vec<MerchantView>> {
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let mut served = community_links::communities_of::<Served>(db, &ids).await?;
    let flagged =
        uploads::service::flagged_among(db, rows.iter().filter_map(|m| m.logo_upload_id)).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let c = served.remove(&m.id).unwrap_or_default();
            to_view(m, c, reader, &flagged)
        })
        .collect())
}

async fn one_view(
    db: &impl ConnectionTrait,
    m: merchant::Model,
    reader: Reader,
) -> ApiResult<MerchantView> {
    views(db, vec![m], reader)
        .await?
        .pop()
        .ok_or_else(|| ErrorCode::MerchantNotFound.into())
}

/// A merchant as its owner and admins see it (the text as edited).
pub async fn full_view(db: &impl ConnectionTrait, m: merchant::Model) -> ApiResult<MerchantView> {
    one_view(db, m, Reader::Full).await
}

/// Ids of active merchants, as a subquery for goods and promotions.
pub fn active_ids() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(merchant::Column::Id)
        .from(merchant::Entity)
        .and_where(merchant::Column::Status.eq(MerchantStatus::Active))
        .to_owned()
}

/// Joins `query`, whose rows carry a merchant id in `merchant_id`, to the
/// merchant, keeping only rows of active merchants (serving `community_id`
/// when given). A join lets the database start from the community's few
/// merchants rather than check every row against a list.
pub fn join_active(
    query: &mut SelectStatement,
    merchant_id: impl IntoColumnRef + Clone,
    community_id: Option<i64>,
) {
    query
        .inner_join(
            merchant::Entity,
            Expr::col((merchant::Entity, merchant::Column::Id)).equals(merchant_id.clone()),
        )
        .and_where(
            Expr::col((merchant::Entity, merchant::Column::Status)).eq(MerchantStatus::Active),
        );
    if let Some(community_id) = community_id {
        query
            .inner_join(
                merchant_community::Entity,
                Expr::col((
                    merchant_community::Entity,
                    merchant_community::Column::MerchantId,
                ))
                .equals(merchant_id),
            )
            .and_where(
                Expr::col((
                    merchant_community::Entity,
                    merchant_community::Column::CommunityId,
                ))
                .eq(community_id),
            );
    }
}

/// Active merchants, newest first.
pub async fn list_public(
    db: &impl ConnectionTrait,
    query: &MerchantQuery,
    page: Page,
) -> ApiResult<Paged<MerchantView>> {
    let mut select =
        merchant::Entity::find().filter(merchant::Column::Status.eq(MerchantStatus::Active));
    if let Some(cid) = query.community_id {
        select = select.filter(merchant::Column::Id.in_subquery(linked_to::<Served>([cid])));
    }
    if let Some(category) = query.category.as_deref() {
        select = select.filter(merchant::Column::Category.eq(category));
    }
    if let Some(q) = query.q.as_deref() {
        select = select.filter(merchant::Column::Name.like(fields::contains(q)));
    }
    let select = select.order_by_desc(merchant::Column::Id);
    page.fetch(db, select)
        .await?
        .map_batch(|rows| views(db, rows, Reader::Public))
        .await
}

/// Views of `rows` as admins see them (the text as edited), with their
/// communities, read in one query.
pub async fn view_all(
    db: &impl ConnectionTrait,
    rows: Vec<merchant::Model>,
) -> ApiResult<Vec<MerchantView>> {
    views(db, rows, Reader::Full).await
}

/// An active merchant; a suspended one is 404 like a missing one.
pub async fn get_public(db: &impl ConnectionTrait, id: i64) -> ApiResult<MerchantView> {
    let m = find(db, id).await?;
    if !is_active(&m) {
        return Err(ErrorCode::MerchantNotFound.into());
    }
    one_view(db, m, Reader::Public).await
}

/// Whether `name` is a top-level goods category, the merchant categories.
pub async fn is_merchant_category(db: &impl ConnectionTrait, name: &str) -> ApiResult<bool> {
    Ok(goods_category::Entity::find()
        .filter(goods_category::Column::ParentId.is_null())
        .filter(goods_category::Column::Name.eq(name))
        .one(db)
        .await?
        .is_some())
}

/// 403 unless the caller administers one of the communities the merchant serves.
pub async fn require_admin_of_merchant(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    merchant_id: i64,
) -> ApiResult<()> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let served = community_links::communities_of_one::<Served>(db, merchant_id).await?;
    me.require_admin_of_any(db, &served).await
}

/// 403 unless the caller administers every community the merchant serves:
/// suspension reaches all of them, so an admin of one may not decide it for
/// the others.
pub async fn require_admin_of_all_served(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    merchant_id: i64,
) -> ApiResult<()> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let served = community_links::communities_of_one::<Served>(db, merchant_id).await?;
    me.require_admin_of_all(db, &served).await
}

/// The merchant `id` as its owner sees it (suspended or not); None for
/// anyone else.
pub async fn own_view(
    db: &impl ConnectionTrait,
    id: i64,
    me: Option<&AuthUser>,
) -> ApiResult<Option<MerchantView>> {
    let Some(me) = me else {
        return Ok(None);
    };
    let m = find(db, id).await?;
    if m.owner_user_id != me.id() {
        return Ok(None);
    }
    Ok(Some(full_view(db, m).await?))
}

/// Suspends (`to` suspended) or reinstates (`to` active) a merchant, by an
/// admin of every community it serves; 409 when it is already so.
pub async fn change_status(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
    to: MerchantStatus,
) -> ApiResult<MerchantView> {
    find(db, id).await?;
    require_admin_of_all_served(db, me, id).await?;
    let from = match to {
        MerchantStatus::Active => MerchantStatus::Suspended,
        MerchantStatus::Suspended => MerchantStatus::Active,
    };
    set_status(db, id, from, to).await
}

/// Moves a merchant from `from` to `to` in one conditional update; 409 when
/// it is not in `from` (already suspended, already active).
pub async fn set_status(
    db: &impl ConnectionTrait,
    id: i64,
    from: MerchantStatus,
    to: MerchantStatus,
) -> ApiResult<MerchantView> {
    let result = merchant::Entity::update_many()
        .col_expr(merchant::Column::Status, Expr::value(to))
        .col_expr(merchant::Column::UpdatedAt, time::now().into())
        .filter(
            Condition::all()
                .add(merchant::Column::Id.eq(id))
                .add(merchant::Column::Status.eq(from)),
        )
        .exec(db)
        .await?;
    let m = find(db, id).await?;
    if result.rows_affected == 0 {
        return Err(ApiError::new(ErrorCode::MerchantStatusConflict)
            .details(serde_json::json!({ "status": m.status })));
    }
    full_view(db, m).await
}
