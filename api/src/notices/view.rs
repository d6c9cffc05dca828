//! A notice as every reader sees it.

use chrono::{DateTime, Utc};
use entity::notice::{self, NoticeKind, NoticeStatus};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::targets::{self, TargetBuildings};
use crate::error::ApiResult;

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct NoticeView {
    pub id: i64,
    pub community_id: i64,
    pub kind: NoticeKind,
    pub title: String,
    pub content: String,
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

/// The views of `rows`, their targets loaded in one query.
pub async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<notice::Model>,
) -> ApiResult<Vec<NoticeView>> {
    let ids: Vec<i64> = rows.iter().map(|n| n.id).collect();
    let targets = targets::load(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|n| {
            let t = targets.get(&n.id).unwrap_or(&TargetBuildings::Whole);
            NoticeView::new(n, t)
        })
        .collect())
}

pub async fn view(db: &impl ConnectionTrait, n: notice::Model) -> ApiResult<NoticeView> {
    let targets = targets::load_one(db, n.id).await?;
    Ok(NoticeView::new(n, &targets))
}
