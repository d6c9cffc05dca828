//! A notice as every reader sees it.

use chrono::{DateTime, Utc};
use entity::notice::{self, NoticeKind, NoticeStatus};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::targets::{self, TargetBuildings};
use crate::error::{ApiResult, ErrorCode};
use crate::media::MediaStore;
use crate::uploads::refs::{self, ImageRef, Resolver};

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct NoticeView {
    pub id: i64,
    pub community_id: i64,
    pub kind: NoticeKind,
    pub title: String,
    pub content: String,
    /// URLs of the images (an upload's public URL, or the https URL sent);
    /// an image WeChat flagged is left out.
    pub images: Vec<String>,
    /// The images as sent (upload ids or URLs), in the order of `images`.
    pub image_refs: Vec<ImageRef>,
    /// Target buildings; empty = the whole community.
    pub building_ids: Vec<i64>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub publish_at: Option<DateTime<Utc>>,
    pub pinned: bool,
    pub push: bool,
    pub status: NoticeStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl NoticeView {
    pub fn new(n: notice::Model, targets: &TargetBuildings) -> Self {
        Self {
            id: n.id,
            community_id: n.community_id,
            kind: n.kind,
            title: n.title,
            content: n.content,
            images: Vec::new(),
            image_refs: refs::from_json(&n.images),
            building_ids: targets.ids(),
            starts_at: n.starts_at,
            ends_at: n.ends_at,
            publish_at: n.publish_at,
            pinned: n.pinned,
            push: n.push,
            status: n.status,
            published_at: n.published_at,
            created_at: n.created_at,
        }
    }

    pub fn targets(&self) -> TargetBuildings {
        TargetBuildings::from_ids(self.building_ids.iter().copied())
    }
}

/// The views of `rows`, their targets and images loaded in one query each.
pub async fn views(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    rows: Vec<notice::Model>,
) -> ApiResult<Vec<NoticeView>> {
    let ids: Vec<i64> = rows.iter().map(|n| n.id).collect();
    let targets = targets::load(db, &ids).await?;
    let views: Vec<NoticeView> = rows
        .into_iter()
        .map(|n| {
            let t = targets.get(&n.id).unwrap_or(&TargetBuildings::Whole);
            NoticeView::new(n, t)
        })
        .collect();
    with_images(db, media, views).await
}

/// Fills in the image URLs of `views` (flagged uploads left out).
pub async fn with_images(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    mut views: Vec<NoticeView>,
) -> ApiResult<Vec<NoticeView>> {
    let resolver =
        Resolver::load(db, media, views.iter().flat_map(|v| v.image_refs.iter())).await?;
    for v in &mut views {
        (v.image_refs, v.images) = resolver.visible(&v.image_refs);
    }
    Ok(views)
}

pub async fn view(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    n: notice::Model,
) -> ApiResult<NoticeView> {
    views(db, media, vec![n])
        .await?
        .pop()
        .ok_or_else(|| ErrorCode::NoticeNotFound.into())
}
