//! Writing notices: an admin's drafts and their edits, checked as a whole
//! by [`NoticeDraft::parse`].

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use entity::building;
use entity::notice::{self, NoticeKind, NoticeStatus};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, Set,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::targets::{self, TargetBuildings};
use super::view::{NoticeView, view};
use crate::auth::AuthUser;
use crate::community_links::community_exists;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::fields::FieldErrors;
use crate::media::MediaStore;
use crate::time;
use crate::uploads::Purpose;
use crate::uploads::refs::{self, ImageRef};

/// Most images one notice shows.
const MAX_IMAGES: usize = 9;

/// Most buildings one notice lists.
const MAX_BUILDINGS: usize = 500;

/// Create body; on `PATCH` every field is optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NoticeInput {
    pub community_id: Option<i64>,
    /// water_outage, power_outage, gas_outage, heating, activity, government or general.
    #[schema(schema_with = notice_kinds)]
    pub kind: Option<String>,
    /// 1-64 characters.
    #[schema(max_length = 64, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub title: Option<String>,
    /// 1-5000 characters.
    #[schema(max_length = 5000, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub content: Option<String>,
    /// Buildings of the community; empty = the whole community.
    pub building_ids: Option<Vec<i64>>,
    /// Required for outages and activities, before `ends_at`.
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub ends_at: Option<DateTime<Utc>>,
    /// Publish later: `POST …/publish` schedules it for this time.
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub publish_at: Option<DateTime<Utc>>,
    pub pinned: Option<bool>,
    /// Send a subscribe message to affected residents (outage kinds) on publishing.
    pub push: Option<bool>,
    /// Up to 9 images: ids of the caller's `notice_image` uploads or https URLs.
    #[schema(max_items = 9)]
    pub images: Option<Vec<ImageRef>>,
}
fn notice_kinds() -> utoipa::openapi::Object {
    crate::openapi::choices(&[
        "water_outage",
        "power_outage",
        "gas_outage",
        "heating",
        "activity",
        "government",
        "general",
    ])
}

/// A notice's fields before they are checked: a new notice's blanks, or a
/// stored notice's values, with the client's input laid over them.
struct Unchecked {
    kind: String,
    title: String,
    content: String,
    building_ids: Vec<i64>,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    publish_at: Option<DateTime<Utc>>,
    pinned: bool,
    push: bool,
}

impl Unchecked {
    fn blank() -> Self {
        Self {
            kind: String::new(),
            title: String::new(),
            content: String::new(),
            building_ids: Vec::new(),
            starts_at: None,
            ends_at: None,
            publish_at: None,
            pinned: false,
            push: false,
        }
    }

    fn of(n: &notice::Model, targets: &TargetBuildings) -> Self {
        Self {
            kind: sea_orm::ActiveEnum::to_value(&n.kind),
            title: n.title.clone(),
            content: n.content.clone(),
            building_ids: targets.ids(),
            starts_at: n.starts_at,
            ends_at: n.ends_at,
            publish_at: n.publish_at,
            pinned: n.pinned,
            push: n.push,
        }
    }

    fn with(mut self, input: NoticeInput) -> Self {
        let times = |t: Option<DateTime<Utc>>| t.map(time::normalise);
        self.kind = input.kind.unwrap_or(self.kind);
        self.title = input.title.unwrap_or(self.title);
        self.content = input.content.unwrap_or(self.content);
        self.building_ids = input.building_ids.unwrap_or(self.building_ids);
        self.starts_at = times(input.starts_at).or(self.starts_at);
        self.ends_at = times(input.ends_at).or(self.ends_at);
        self.publish_at = times(input.publish_at).or(self.publish_at);
        self.pinned = input.pinned.unwrap_or(self.pinned);
        self.push = input.push.unwrap_or(self.push);
        self
    }
}

/// A notice as it will be stored: every field checked, together.
pub struct NoticeDraft {
    pub kind: NoticeKind,
    pub title: String,
    pub content: String,
    pub targets: TargetBuildings,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub publish_at: Option<DateTime<Utc>>,
    pub pinned: bool,
    pub push: bool,
}

impl NoticeDraft {
    /// Checks every field of a notice of `community_id` (its buildings
    /// against the database); every bad field is listed.
    async fn parse(
        db: &impl ConnectionTrait,
        community_id: i64,
        fields: Unchecked,
    ) -> ApiResult<Result<Self, Vec<FieldError>>> {
        let mut errors = FieldErrors::default();
        let kind = errors.check(
            "kind",
            serde_json::from_value::<NoticeKind>(serde_json::Value::String(fields.kind))
                .map_err(|_| "须为 water_outage, power_outage, gas_outage, heating, activity, government, general"),
        );
        let title = errors.text("title", &fields.title, 1, 64);
        // Checked trimmed, stored as written.
        errors.text("content", &fields.content, 1, 5000);
        match (fields.starts_at, fields.ends_at) {
            (Some(s), Some(e)) if s >= e => errors.push("ends_at", "结束时间须晚于开始时间"),
            (None, _) | (_, None) if kind.is_some_and(NoticeKind::needs_window) => {
                errors.push("starts_at", "停水停电停气和活动须填写起止时间")
            }
            (Some(_), None) | (None, Some(_)) => errors.push("ends_at", "起止时间须同时填写"),
            _ => {}
        }
        let ids: BTreeSet<i64> = fields.building_ids.into_iter().collect();
        if ids.len() > MAX_BUILDINGS {
            errors.push("building_ids", "最多 500 栋楼");
        } else if !ids.is_empty() {
            let found = building::Entity::find()
                .filter(building::Column::Id.is_in(ids.iter().copied()))
                .filter(building::Column::CommunityId.eq(community_id))
                .count(db)
                .await?;
            if found != ids.len() as u64 {
                errors.push("building_ids", "楼栋须属于该社区");
            }
        }
        Ok(match kind {
            Some(kind) if errors.is_empty() => Ok(Self {
                kind,
                title,
                content: fields.content,
                targets: TargetBuildings::from_ids(ids),
                starts_at: fields.starts_at,
                ends_at: fields.ends_at,
                publish_at: fields.publish_at,
                pinned: fields.pinned,
                push: fields.push,
            }),
            _ => Err(errors.into()),
        })
    }
}

/// A draft in a community the admin manages.
pub async fn create(
    db: &DatabaseConnection,
    media: &MediaStore,
    me: &AuthUser,
    input: NoticeInput,
) -> ApiResult<NoticeView> {
    let Some(community_id) = input.community_id else {
        return Err(ApiError::field("community_id", "请选择社区"));
    };
    if !community_exists(db, community_id).await? {
        return Err(ApiError::field("community_id", "社区不存在"));
    }
    me.require_admin_of(db, community_id).await?;
    let images = input.images.clone().unwrap_or_default();
    let draft = NoticeDraft::parse(db, community_id, Unchecked::blank().with(input)).await??;
    check_images(&images)?;
    let now = time::now();
    let txn = crate::db::begin_write(db).await?;
    refs::claim_all(&txn, me.id(), Purpose::NoticeImage, "images", &images).await?;
    let saved = notice::ActiveModel {
        community_id: Set(community_id),
        kind: Set(draft.kind),
        title: Set(draft.title),
        content: Set(draft.content),
        images: Set(refs::to_json(&images)),
        starts_at: Set(draft.starts_at),
        ends_at: Set(draft.ends_at),
        publish_at: Set(draft.publish_at),
        pinned: Set(draft.pinned),
        push: Set(draft.push),
        status: Set(NoticeStatus::Draft),
        published_at: Set(None),
        created_by: Set(me.id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    targets::store(&txn, saved.id, &draft.targets).await?;
    txn.commit().await?;
    view(db, media, saved).await
}

/// At most [`MAX_IMAGES`] images, their URLs https.
fn check_images(images: &[ImageRef]) -> ApiResult<()> {
    let mut errors = FieldErrors::default();
    refs::check_list(&mut errors, "images", images, MAX_IMAGES);
    errors.finish()
}

/// The notice `id` if the caller administers its community (404 / 403 otherwise).
pub async fn administered(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<notice::Model> {
    let n = notice::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NoticeNotFound))?;
    me.require_admin_of(db, n.community_id).await?;
    Ok(n)
}

/// Edits a draft or scheduled notice; the result is checked as a whole.
pub async fn update(
    db: &DatabaseConnection,
    media: &MediaStore,
    me: &AuthUser,
    id: i64,
    input: NoticeInput,
) -> ApiResult<NoticeView> {
    let current = administered(db, me, id).await?;
    if !current.status.is_editable() {
        return Err(
            ApiError::new(ErrorCode::InvalidTransition).message("已发布或已撤回的通知不能修改")
        );
    }
    if input
        .community_id
        .is_some_and(|c| c != current.community_id)
    {
        return Err(ApiError::field("community_id", "不能更换社区"));
    }
    let targets = targets::load_one(db, id).await?;
    let images = input.images.clone();
    let fields = Unchecked::of(&current, &targets).with(input);
    let draft = NoticeDraft::parse(db, current.community_id, fields).await??;
    if let Some(images) = &images {
        check_images(images)?;
    }
    let txn = crate::db::begin_write(db).await?;
    // New images are taken before the old ones are given back: one kept
    // across the edit never drops to no reference.
    if let Some(images) = &images {
        refs::claim_all(&txn, me.id(), Purpose::NoticeImage, "images", images).await?;
        refs::release_all(&txn, &refs::from_json(&current.images)).await?;
    }
    let mut active = current.into_active_model();
    if let Some(images) = &images {
        active.images = Set(refs::to_json(images));
    }
    active.kind = Set(draft.kind);
    active.title = Set(draft.title);
    active.content = Set(draft.content);
    active.starts_at = Set(draft.starts_at);
    active.ends_at = Set(draft.ends_at);
    active.publish_at = Set(draft.publish_at);
    active.pinned = Set(draft.pinned);
    active.push = Set(draft.push);
    active.updated_at = Set(time::now());
    let saved = active.update(&txn).await?;
    targets::store(&txn, id, &draft.targets).await?;
    txn.commit().await?;
    view(db, media, saved).await
}
