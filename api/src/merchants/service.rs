//! Merchant queries and writes: public reads, the owner's profile edits,
//! suspension and reinstatement.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{goods_category, merchant, merchant_community};
use sea_orm::sea_query::{Expr, IntoColumnRef, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    ExprTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthUser, Role};
use crate::community_links::{self, linked_to};
use crate::db;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::{self, FieldErrors, HttpsUrl, PhoneNumber};
use crate::media::MediaStore;
use crate::money::Money;
use crate::pagination::{Page, Paged};
use crate::time;
use crate::uploads::{self, Purpose};

use super::moderation::{self, ShopTexts};

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

/// The owner's edit; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantPatch {
    /// 1-40 characters.
    #[schema(max_length = 40, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: Option<String>,
    /// 1-200 characters.
    #[schema(max_length = 200, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// Free text up to 100 characters, e.g. `每日 07:00-21:00`.
    #[schema(max_length = 100)]
    pub business_hours: Option<String>,
    /// The shop's notice to customers, up to 500 characters.
    #[schema(max_length = 500)]
    pub announcement: Option<String>,
    /// What the shop says about itself, up to 1000 characters.
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    /// Business phone (mobile or landline).
    #[schema(pattern = r"^(1[0-9]{10}|0[0-9]{2,3}-[0-9]{7,8})$")]
    pub contact_phone: Option<String>,
    /// An https URL; `null` clears it.
    #[serde(default, deserialize_with = "fields::nullable")]
    #[schema(value_type = Option<String>, max_length = 512, pattern = r"^https://[!-~]+$")]
    pub logo_url: Option<Option<String>>,
    /// The id of one of the owner's `merchant_logo` uploads (`POST
    /// /uploads`), instead of `logo_url`, which then answers its URL; `null`
    /// clears it.
    #[serde(default, deserialize_with = "fields::nullable")]
    #[schema(value_type = Option<i64>)]
    pub logo_upload_id: Option<Option<i64>>,
    /// Deliver shop orders to residents' doors.
    pub delivery_enabled: Option<bool>,
    /// The least a delivery order's goods must come to (yuan, 0-10000).
    pub min_order: Option<Money>,
    /// Charged on each delivery order (yuan, 0-100).
    pub delivery_fee: Option<Money>,
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

/// The owner's edit; every bad field is answered at once. `checked`: the
/// state WeChat's check of the texts left (when the edit changes them).
pub async fn update(
    db: &DatabaseConnection,
    media: &MediaStore,
    m: merchant::Model,
    patch: MerchantPatch,
    checked: Option<&'static str>,
) -> ApiResult<MerchantView> {
    let mut errors = FieldErrors::default();
    let name = patch.name.as_deref().map(|v| errors.text("name", v, 1, 40));
    let address = patch
        .address
        .as_deref()
        .map(|v| errors.text("address", v, 1, 200));
    errors.lat_lng(patch.lat.unwrap_or(0.0), patch.lng.unwrap_or(0.0));
    let hours = patch
        .business_hours
        .as_deref()
        .map(|v| errors.text("business_hours", v, 0, 100));
    let announcement = patch
        .announcement
        .as_deref()
        .map(|v| errors.text("announcement", v, 0, 500));
    let description = patch
        .description
        .as_deref()
        .map(|v| errors.text("description", v, 0, 1000));
    let phone = patch
        .contact_phone
        .as_deref()
        .and_then(|v| errors.check("contact_phone", PhoneNumber::parse(v)));
    // None: leave it; Some(None): clear it.
    let logo_url = match &patch.logo_url {
        Some(Some(url)) => errors
            .check("logo_url", HttpsUrl::parse(url))
            .map(|url| Some(url.into_string())),
        Some(None) => Some(None),
        None => None,
    };
    let within = |field: &str, v: Option<Money>, max_fen: i64, errors: &mut FieldErrors| {
        v.filter(|m| {
            let ok = (0..=max_fen).contains(&m.fen());
            if !ok {
                errors.push(field, format!("须在 0-{} 元之间", max_fen / 100));
            }
            ok
        })
    };
    let min_order = within("min_order", patch.min_order, 1_000_000, &mut errors);
    let delivery_fee = within("delivery_fee", patch.delivery_fee, 10_000, &mut errors);
    if patch.logo_url.is_some() && patch.logo_upload_id.is_some() {
        errors.push("logo_upload_id", "logo_url 与 logo_upload_id 只能给一个");
    }
    errors.finish()?;

    let txn = db::begin_write(db).await?;
    // The logo changes: the upload it was is given back, a new one taken.
    let previous: Vec<i64> = m.logo_upload_id.into_iter().collect();
    let owner = m.owner_user_id;
    let moderation = checked.map(|state| moderation::after_edit(&m, state));
    let mut active = m.into_active_model();
    if let Some((state, approved)) = moderation {
        active.moderation = Set(state.to_owned());
        active.approved_text = Set(approved);
    }
    if let Some(v) = description {
        active.description = Set(v);
    }
    if let Some(v) = logo_url {
        active.logo_url = Set(v);
        active.logo_upload_id = Set(None);
        uploads::release(&*txn, &previous).await?;
    }
    if let Some(upload_id) = patch.logo_upload_id {
        let url = match upload_id {
            Some(id) => {
                let u =
                    uploads::claim_one(&*txn, owner, Purpose::MerchantLogo, "logo_upload_id", id)
                        .await?;
                Some(media.public_url(&u.storage_key))
            }
            None => None,
        };
        active.logo_url = Set(url);
        active.logo_upload_id = Set(upload_id);
        uploads::release(&*txn, &previous).await?;
    }
    if let Some(v) = name {
        active.name = Set(v);
    }
    if let Some(v) = address {
        active.address = Set(v);
    }
    if let Some(v) = patch.lat {
        active.lat = Set(v);
    }
    if let Some(v) = patch.lng {
        active.lng = Set(v);
    }
    if let Some(v) = hours {
        active.business_hours = Set(v);
    }
    if let Some(v) = announcement {
        active.announcement = Set(v);
    }
    if let Some(v) = phone {
        active.contact_phone = Set(v.into_string());
    }
    if let Some(v) = patch.delivery_enabled {
        active.delivery_enabled = Set(v);
    }
    if let Some(v) = min_order {
        active.min_order_fen = Set(v.fen());
    }
    if let Some(v) = delivery_fee {
        active.delivery_fee_fen = Set(v.fen());
    }
    active.updated_at = Set(time::now());
    let saved = active.update(&*txn).await?;
    txn.commit().await?;
    full_view(db, saved).await
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
