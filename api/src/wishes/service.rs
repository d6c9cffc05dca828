//! Posting, approving and reading wishes.

use chrono::{DateTime, Utc};
use entity::wish::{self, WishStatus};
use entity::{building, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select,
    Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthUser, Role};
use crate::content::{self, Scene};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::FieldErrors;
use crate::inbox::{self, Kind, Message};
use crate::media::MediaStore;
use crate::pagination::{Page, Paged};
use crate::state::AppState;
use crate::time;
use crate::uploads::Purpose;
use crate::uploads::refs::{self, ImageRef};

crate::text_enum! {
    /// What a wish is for.
    pub enum WishCategory {
        /// 生活物品
        Goods => "goods",
        /// 学习用品
        Study => "study",
        /// 陪伴探望
        Company => "company",
        /// 维修帮办
        Repair => "repair",
        /// 其他
        Other => "other",
    }
}

pub const MAX_PHOTOS: usize = 6;

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WishView {
    pub id: i64,
    pub community_id: i64,
    pub wisher_id: i64,
    pub posted_by: i64,
    pub title: String,
    pub content: String,
    /// URLs of the photos (an upload's URL, or the https URL sent); a photo
    /// WeChat flagged is left out.
    pub photos: Vec<String>,
    /// The photos as sent (upload ids or URLs), in the order of `photos`.
    pub photo_refs: Vec<ImageRef>,
    pub category: String,
    pub public: bool,
    pub status: WishStatus,
    pub reject_reason: Option<String>,
    pub claimer_id: Option<i64>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub claim_deadline: Option<DateTime<Utc>>,
    pub fulfil_note: Option<String>,
    /// URLs of the fulfilment photos, like `photos`.
    pub fulfil_photos: Vec<String>,
    /// The fulfilment photos as sent, in the order of `fulfil_photos`.
    pub fulfil_photo_refs: Vec<ImageRef>,
    pub fulfilled_at: Option<DateTime<Utc>>,
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The ledger entry of the claimer's award.
    pub award_entry_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<wish::Model> for WishView {
    fn from(w: wish::Model) -> Self {
        Self {
            photos: Vec::new(),
            photo_refs: refs::from_json(&w.photos),
            fulfil_photos: Vec::new(),
            fulfil_photo_refs: refs::from_json(&w.fulfil_photos),
            id: w.id,
            community_id: w.community_id,
            wisher_id: w.wisher_id,
            posted_by: w.posted_by,
            title: w.title,
            content: w.content,
            category: w.category,
            public: w.public,
            status: w.status,
            reject_reason: w.reject_reason,
            claimer_id: w.claimer_id,
            claimed_at: w.claimed_at,
            claim_deadline: w.claim_deadline,
            fulfil_note: w.fulfil_note,
            fulfilled_at: w.fulfilled_at,
            confirmed_at: w.confirmed_at,
            award_entry_id: w.award_entry_id,
            created_at: w.created_at,
        }
    }
}

/// Fills in the photo URLs of `views` (one query for all their uploads).
pub async fn with_photos(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    mut views: Vec<WishView>,
) -> ApiResult<Vec<WishView>> {
    let all = views
        .iter()
        .flat_map(|v| v.photo_refs.iter().chain(&v.fulfil_photo_refs));
    let resolver = refs::Resolver::load(db, media, all).await?;
    for v in &mut views {
        (v.photo_refs, v.photos) = resolver.visible(&v.photo_refs);
        (v.fulfil_photo_refs, v.fulfil_photos) = resolver.visible(&v.fulfil_photo_refs);
    }
    Ok(views)
}

/// [`with_photos`] of one.
pub async fn with_photos_one(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    view: WishView,
) -> ApiResult<WishView> {
    with_photos(db, media, vec![view])
        .await?
        .pop()
        .ok_or_else(|| ApiError::new(ErrorCode::WishNotFound))
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct NewWish {
    /// 1-60 characters.
    #[schema(max_length = 60, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub title: String,
    /// 1-1000 characters.
    #[schema(max_length = 1000, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub content: String,
    /// Up to 6 upload ids (`purpose = wish_photo`) or https URLs.
    #[serde(default)]
    #[schema(max_items = 6)]
    pub photos: Vec<ImageRef>,
    /// `goods`, `study`, `company`, `repair`, `other`.
    #[schema(schema_with = wish_categories)]
    pub category: String,
    /// Shown on the wall (false: only the claimer and admins see it in full).
    #[serde(default = "yes")]
    pub public: bool,
    /// A grid worker posting for a resident of their grid.
    pub on_behalf_of_user_id: Option<i64>,
}
fn wish_categories() -> utoipa::openapi::Object {
    crate::openapi::choices(&["goods", "study", "company", "repair", "other"])
}

fn yes() -> bool {
    true
}

/// The community a resident lives in (their building's), 409 `ADDRESS_REQUIRED` without one.
async fn community_of(conn: &impl ConnectionTrait, u: &user::Model) -> ApiResult<i64> {
    if let Some(b) = u.building_id
        && let Some(b) = building::Entity::find_by_id(b).one(conn).await?
    {
        return Ok(b.community_id);
    }
    u.community_id
        .ok_or_else(|| ApiError::new(ErrorCode::AddressRequired))
}

/// Posts a wish, pending approval. Text is checked with WeChat first
/// (risky: 422 `CONTENT_REJECTED`).
pub async fn post(state: &AppState, me: &AuthUser, new: NewWish) -> ApiResult<WishView> {
    let mut errors = FieldErrors::default();
    let title = errors.text("title", &new.title, 1, 60);
    let text = errors.text("content", &new.content, 1, 1000);
    if WishCategory::parse(&new.category).is_none() {
        errors.push(
            "category",
            "类别须为 goods、study、company、repair、other 之一",
        );
    }
    refs::check_list(&mut errors, "photos", &new.photos, MAX_PHOTOS);
    errors.finish()?;
    let wisher = match new.on_behalf_of_user_id {
        Some(uid) if uid != me.id() => {
            me.require(Role::GridWorker)?;
            crate::grid::service::reach(&state.db, me, uid, false)
                .await?
                .0
        }
        _ => me.user.clone(),
    };
    let community_id = community_of(&state.db, &wisher).await?;
    content::moderate_texts(
        &state.wechat,
        &state.settings.content,
        me.user.openid.as_deref(),
        Scene::Forum,
        &[("title", &title), ("content", &text)],
    )
    .await?;
    let txn = crate::db::begin_write(&state.db).await?;
    refs::claim_all(&*txn, me.id(), Purpose::WishPhoto, "photos", &new.photos).await?;
    let now = time::now();
    let saved = wish::ActiveModel {
        community_id: Set(community_id),
        wisher_id: Set(wisher.id),
        posted_by: Set(me.id()),
        title: Set(title),
        content: Set(text),
        photos: Set(refs::to_json(&new.photos)),
        category: Set(new.category),
        public: Set(new.public),
        status: Set(WishStatus::Pending),
        reject_reason: Set(None),
        claimer_id: Set(None),
        claimed_at: Set(None),
        claim_deadline: Set(None),
        fulfil_note: Set(None),
        fulfil_photos: Set("[]".to_owned()),
        fulfilled_at: Set(None),
        confirmed_at: Set(None),
        confirmed_by: Set(None),
        award_entry_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    if wisher.id != me.id() {
        inbox::post(
            &*txn,
            wisher.id,
            Message::new(Kind::Wish, "网格员为您发布了心愿", saved.title.clone())
                .target(json!({"type": "wish", "id": saved.id})),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(saved.into())
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> ApiResult<wish::Model> {
    wish::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::WishNotFound))
}

/// Whether `me` may see the wish: on the wall (approved and public), or its
/// wisher, poster, claimer, or an admin of its community.
pub async fn visible_to(
    conn: &impl ConnectionTrait,
    w: &wish::Model,
    me: Option<&AuthUser>,
) -> ApiResult<bool> {
    let on_wall = w.public && !matches!(w.status, WishStatus::Pending | WishStatus::Rejected);
    if on_wall {
        return Ok(true);
    }
    let Some(me) = me else { return Ok(false) };
    if [Some(w.wisher_id), Some(w.posted_by), w.claimer_id].contains(&Some(me.id())) {
        return Ok(true);
    }
    Ok(me.require_admin_of(conn, w.community_id).await.is_ok())
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WallQuery {
    /// Defaults to the caller's community.
    pub community_id: Option<i64>,
    /// `open` (default: claimable), `claimed`, `fulfilled`, `confirmed`.
    #[param(schema_with = wall_statuses)]
    pub status: Option<String>,
}

fn wall_statuses() -> utoipa::openapi::Object {
    crate::openapi::choices(&["open", "claimed", "fulfilled", "confirmed"])
}

fn wall_status(raw: Option<&str>) -> ApiResult<WishStatus> {
    match raw.unwrap_or("open") {
        "open" => Ok(WishStatus::Open),
        "claimed" => Ok(WishStatus::Claimed),
        "fulfilled" => Ok(WishStatus::Fulfilled),
        "confirmed" => Ok(WishStatus::Confirmed),
        _ => Err(crate::fields::bad_query(
            "status",
            "须为 open、claimed、fulfilled、confirmed 之一",
        )),
    }
}

/// The wall of a community: public approved wishes in one status, newest first.
pub async fn wall(
    conn: &impl ConnectionTrait,
    community_id: Option<i64>,
    status: Option<&str>,
    page: Page,
) -> ApiResult<Paged<WishView>> {
    let status = wall_status(status)?;
    let mut select = wish::Entity::find()
        .filter(wish::Column::Public.eq(true))
        .filter(wish::Column::Status.eq(status));
    if let Some(c) = community_id {
        select = select.filter(wish::Column::CommunityId.eq(c));
    }
    listed(conn, select, page).await
}

pub async fn listed(
    conn: &impl ConnectionTrait,
    select: Select<wish::Entity>,
    page: Page,
) -> ApiResult<Paged<WishView>> {
    Ok(page
        .fetch(conn, select.order_by_desc(wish::Column::Id))
        .await?
        .map(WishView::from))
}

/// Wishes the caller made, posted or claimed.
pub fn of_user(user_id: i64) -> Select<wish::Entity> {
    wish::Entity::find().filter(
        sea_orm::Condition::any()
            .add(wish::Column::WisherId.eq(user_id))
            .add(wish::Column::PostedBy.eq(user_id))
            .add(wish::Column::ClaimerId.eq(user_id)),
    )
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminWishQuery {
    pub community_id: Option<i64>,
    /// `pending`, `open`, `claimed`, `fulfilled`, `confirmed`, `rejected`.
    #[param(value_type = Option<WishStatus>)]
    pub status: Option<String>,
}

/// Wishes in the admin's communities (all for a platform admin).
pub async fn admin_list(
    conn: &impl ConnectionTrait,
    scope: Option<Vec<i64>>,
    status: Option<&str>,
    page: Page,
) -> ApiResult<Paged<WishView>> {
    let mut select = wish::Entity::find();
    if let Some(ids) = scope {
        select = select.filter(wish::Column::CommunityId.is_in(ids));
    }
    if let Some(s) = status {
        let parsed: WishStatus = serde_json::from_value(serde_json::Value::String(s.to_owned()))
            .map_err(|_| crate::fields::bad_query("status", "状态无效"))?;
        select = select.filter(wish::Column::Status.eq(parsed));
    }
    listed(conn, select, page).await
}
