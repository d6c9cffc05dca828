//! The residents of a grid as the grid worker sees them: the list and its views.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{building, care_profile, user};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{date, living_in, page, split_tags};
use crate::error::{ApiResult, ErrorCode};
use crate::fields::{bad_query, query_text};
use crate::grid::{CareTag, CareTier, visit_interval};
use crate::pagination::Paged;

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ResidentView {
    pub user_id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub community_id: i64,
    pub grid_id: i64,
    pub building_id: i64,
    pub building_name: String,
    pub room: Option<String>,
    /// Uses the mini-program (has WeChat).
    pub wechat: bool,
    /// An offline profile an admin created.
    pub offline: bool,
    pub tier: Option<CareTier>,
    pub tags: Vec<CareTag>,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
    pub note: String,
    /// Days between visits by tier and tags; null = no visits scheduled.
    pub visit_interval_days: Option<i64>,
    pub last_visited_on: Option<NaiveDate>,
    pub next_visit_due: Option<NaiveDate>,
    /// The next visit is past due.
    pub visit_overdue: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResidentQuery {
    /// One of the caller's grids (default: all of them).
    pub grid_id: Option<i64>,
    /// Only this care tier.
    pub tier: Option<String>,
    /// Name or phone contains this.
    pub q: Option<String>,
    /// 1-based page number (default 1).
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    /// Items per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u64>,
}

pub(super) async fn views(
    conn: &impl ConnectionTrait,
    users: Vec<user::Model>,
    today: NaiveDate,
) -> ApiResult<Vec<ResidentView>> {
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let profiles: HashMap<i64, care_profile::Model> = care_profile::Entity::find()
        .filter(care_profile::Column::UserId.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.user_id, p))
        .collect();
    let buildings: HashMap<i64, building::Model> = building::Entity::find()
        .filter(building::Column::Id.is_in(users.iter().filter_map(|u| u.building_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    Ok(users
        .into_iter()
        .filter_map(|u| {
            let b = buildings.get(&u.building_id?)?;
            let p = profiles.get(&u.id);
            let tier = p.and_then(|p| p.tier.as_deref()).and_then(CareTier::parse);
            let tags = p.map(|p| split_tags(&p.tags)).unwrap_or_default();
            let next_visit_due = p.and_then(|p| date(p.next_visit_due.as_deref()));
            Some(ResidentView {
                user_id: u.id,
                name: u.nickname,
                phone: u.phone,
                community_id: b.community_id,
                grid_id: b.grid_id,
                building_id: b.id,
                building_name: b.name.clone(),
                room: u.room,
                wechat: u.openid.is_some(),
                offline: p.is_some_and(|p| p.offline),
                visit_interval_days: visit_interval(tier, &tags),
                tier,
                tags,
                guardian_name: p.and_then(|p| p.guardian_name.clone()),
                guardian_phone: p.and_then(|p| p.guardian_phone.clone()),
                note: p.map(|p| p.note.clone()).unwrap_or_default(),
                last_visited_on: p.and_then(|p| date(p.last_visited_on.as_deref())),
                visit_overdue: next_visit_due.is_some_and(|d| d < today),
                next_visit_due,
            })
        })
        .collect())
}

/// The residents of the caller's grids (or of `q.grid_id`, one of them).
pub async fn residents(
    conn: &impl ConnectionTrait,
    grids: &[i64],
    q: &ResidentQuery,
    today: NaiveDate,
) -> ApiResult<Paged<ResidentView>> {
    let page = page(q.page, q.page_size)?;
    let grids: Vec<i64> = match q.grid_id {
        Some(g) if grids.contains(&g) => vec![g],
        Some(_) => return Err(ErrorCode::Forbidden.into()),
        None => grids.to_vec(),
    };
    let mut select = user::Entity::find()
        .filter(living_in(&grids))
        .order_by_asc(user::Column::BuildingId)
        .order_by_asc(user::Column::Room)
        .order_by_asc(user::Column::Id);
    if let Some(raw) = q.tier.as_deref() {
        let tier = CareTier::parse(raw).ok_or_else(|| bad_query("tier", "未知的关怀等级"))?;
        select = select.filter(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(care_profile::Column::UserId)
                    .from(care_profile::Entity)
                    .and_where(Expr::col(care_profile::Column::Tier).eq(tier.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(keyword) = query_text("q", q.q.as_deref(), 50)? {
        let like = crate::fields::contains(&keyword);
        select = select.filter(
            Condition::any()
                .add(Expr::col(user::Column::Nickname).like(like.clone()))
                .add(Expr::col(user::Column::Phone).like(like)),
        );
    }
    page.fetch(conn, select)
        .await?
        .map_batch(|rows| views(conn, rows, today))
        .await
}
