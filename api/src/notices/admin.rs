//! The admin's list of notices, with read counts and push progress.

use std::collections::HashMap;

use entity::notice::{self, NoticeStatus};
use entity::notice_delivery::{self, DeliveryStatus};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::audience;
use super::targets::{self, TargetBuildings};
use super::view::{NoticeView, views};
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::media::MediaStore;
use crate::pagination::{Page, Paged};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminNoticeQuery {
    pub community_id: Option<i64>,
    pub status: Option<NoticeStatus>,
}

/// An admin-list item: the notice with its read count and push progress.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminNoticeView {
    #[serde(flatten)]
    pub notice: NoticeView,
    pub read_count: u64,
    pub push_sent: u64,
    pub push_failed: u64,
    pub push_pending: u64,
}

/// The notices of the admin's communities (or one of them), newest first.
pub async fn list_admin(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    me: &AuthUser,
    query: &AdminNoticeQuery,
    page: Page,
) -> ApiResult<Paged<AdminNoticeView>> {
    let mut select = notice::Entity::find();
    match query.community_id {
        Some(c) => {
            me.require_admin_of(db, c).await?;
            select = select.filter(notice::Column::CommunityId.eq(c));
        }
        None => {
            if let Some(ids) = me.admin_communities(db).await? {
                select = select.filter(notice::Column::CommunityId.is_in(ids));
            }
        }
    }
    if let Some(status) = query.status {
        select = select.filter(notice::Column::Status.eq(status));
    }
    let select = select
        .order_by_desc(notice::Column::CreatedAt)
        .order_by_desc(notice::Column::Id);
    page.fetch(db, select)
        .await?
        .map_batch(|rows| with_figures(db, media, rows))
        .await
}

/// Each notice with how many of its residents read it (one count each) and
/// where its messages stand (one query).
pub(super) async fn with_figures(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    rows: Vec<notice::Model>,
) -> ApiResult<Vec<AdminNoticeView>> {
    let ids: Vec<i64> = rows.iter().map(|n| n.id).collect();
    let targets = targets::load(db, &ids).await?;
    let mut reads: HashMap<i64, u64> = HashMap::new();
    for n in &rows {
        let t = targets
            .get(&n.id)
            .cloned()
            .unwrap_or(TargetBuildings::Whole);
        reads.insert(n.id, audience::read_count(db, n, &t).await?);
    }
    let push: HashMap<(i64, DeliveryStatus), i64> = notice_delivery::Entity::find()
        .select_only()
        .column(notice_delivery::Column::NoticeId)
        .column(notice_delivery::Column::Status)
        .column_as(notice_delivery::Column::Id.count(), "n")
        .filter(notice_delivery::Column::NoticeId.is_in(ids))
        .group_by(notice_delivery::Column::NoticeId)
        .group_by(notice_delivery::Column::Status)
        .into_tuple::<(i64, DeliveryStatus, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, status, n)| ((id, status), n))
        .collect();
    let count = |id: i64, s: DeliveryStatus| push.get(&(id, s)).copied().unwrap_or(0) as u64;
    Ok(views(db, media, rows)
        .await?
        .into_iter()
        .map(|n| AdminNoticeView {
            read_count: reads.get(&n.id).copied().unwrap_or(0),
            push_sent: count(n.id, DeliveryStatus::Sent),
            push_failed: count(n.id, DeliveryStatus::Failed),
            push_pending: count(n.id, DeliveryStatus::Pending)
                + count(n.id, DeliveryStatus::Sending),
            notice: n,
        })
        .collect())
}
