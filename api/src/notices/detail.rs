//! One notice as its admin follows it up: how many residents it concerns,
//! who read it by building, where its messages stand, and the residents who
//! have not read it (so grid workers can phone the elderly about an outage).

use std::collections::HashMap;

use entity::{building, notice_read, user};
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::admin::{AdminNoticeView, with_figures};
use super::audience;
use super::draft::administered;
use super::targets;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::fields::mask_phone;
use crate::media::MediaStore;
use crate::pagination::{Page, Paged};

/// Reads in one building.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BuildingReads {
    pub building_id: i64,
    pub building_name: String,
    /// Residents of the building the notice concerns.
    pub audience: u64,
    /// How many of them read it.
    pub reads: u64,
}

/// A resident the notice concerns who has not read it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UnreadResident {
    pub user_id: i64,
    pub nickname: String,
    /// Masked, e.g. `138****8000`.
    pub phone: Option<String>,
    pub building_id: Option<i64>,
    pub building_name: Option<String>,
    pub room: Option<String>,
}

/// `GET /admin/notices/{id}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminNoticeDetail {
    #[serde(flatten)]
    pub notice: AdminNoticeView,
    /// Residents the notice concerns (pending bindings not counted).
    pub audience: u64,
    pub reads_by_building: Vec<BuildingReads>,
    /// The residents who have not read it, by building and room; paged by `page`, `page_size`.
    pub unread_residents: Paged<UnreadResident>,
}

/// The notice's follow-up figures; only for admins of its community.
pub async fn detail(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    me: &AuthUser,
    id: i64,
    page: Page,
) -> ApiResult<AdminNoticeDetail> {
    let n = administered(db, me, id).await?;
    let targets = targets::load_one(db, id).await?;
    let residents = || audience::residents(&n, &targets);
    let audience_size = residents().count(db).await?;
    let per_building: Vec<(Option<i64>, i64)> = residents()
        .select_only()
        .column(user::Column::BuildingId)
        .column_as(user::Column::Id.count(), "n")
        .group_by(user::Column::BuildingId)
        .into_tuple()
        .all(db)
        .await?;
    let read_per_building: HashMap<Option<i64>, i64> = residents()
        .select_only()
        .column(user::Column::BuildingId)
        .column_as(user::Column::Id.count(), "n")
        .filter(user::Column::Id.in_subquery(readers(id)))
        .group_by(user::Column::BuildingId)
        .into_tuple::<(Option<i64>, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let names = building_names(db, n.community_id).await?;
    let mut reads_by_building: Vec<BuildingReads> = per_building
        .into_iter()
        .filter_map(|(b, count)| {
            let b = b?;
            Some(BuildingReads {
                building_id: b,
                building_name: names.get(&b).cloned().unwrap_or_default(),
                audience: count as u64,
                reads: read_per_building.get(&Some(b)).copied().unwrap_or(0) as u64,
            })
        })
        .collect();
    reads_by_building.sort_by_key(|r| r.building_id);
    let unread = residents()
        .filter(user::Column::Id.not_in_subquery(readers(id)))
        .order_by_asc(user::Column::BuildingId)
        .order_by_asc(user::Column::Room)
        .order_by_asc(user::Column::Id);
    let unread_residents = page.fetch(db, unread).await?.map(|u| UnreadResident {
        user_id: u.id,
        nickname: u.nickname,
        phone: u.phone.as_deref().map(mask_phone),
        building_id: u.building_id,
        building_name: u.building_id.and_then(|b| names.get(&b).cloned()),
        room: u.room,
    });
    let notice = with_figures(db, media, vec![n])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the notice's figures are missing")))?;
    Ok(AdminNoticeDetail {
        notice,
        audience: audience_size,
        reads_by_building,
        unread_residents,
    })
}

/// Who read notice `id`, as a subquery.
fn readers(id: i64) -> SelectStatement {
    Query::select()
        .column(notice_read::Column::UserId)
        .from(notice_read::Entity)
        .and_where(Expr::col(notice_read::Column::NoticeId).eq(id))
        .to_owned()
}

async fn building_names(
    db: &impl ConnectionTrait,
    community: i64,
) -> ApiResult<HashMap<i64, String>> {
    Ok(building::Entity::find()
        .filter(building::Column::CommunityId.eq(community))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect())
}
