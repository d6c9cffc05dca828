//! Lending points and their tools: creating them, listing them with the
//! units free on a day, and who may keep them.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{lending_point, lending_tool, tool_day, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthUser, Role};
use crate::db::begin_write;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::{Fields, query_date};
use crate::pagination::{Page, Paged};
use crate::uploads::{Purpose, claim};

pub const MAX_PHOTOS: usize = 9;
pub const MAX_QUANTITY: i32 = 100;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PointInput {
    /// A community the caller administers.
    pub community_id: Option<i64>,
    /// 1-64 characters.
    #[schema(value_type = String, required = true, max_length = 64, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: Option<String>,
    /// 1-128 characters.
    #[schema(value_type = String, required = true, max_length = 128, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub address: Option<String>,
    /// The user who keeps the tools, hands them over and takes them back.
    #[schema(value_type = i64, required = true)]
    pub keeper_user_id: Option<i64>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PointView {
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub address: String,
    pub keeper_user_id: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ToolInput {
    /// 1-64 characters.
    #[schema(value_type = String, required = true, max_length = 64, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: Option<String>,
    /// Up to 500 characters.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Up to 9 upload ids of the caller's (`purpose` `tool_photo`).
    #[schema(max_items = 9)]
    pub photos: Option<Vec<i64>>,
    /// Units to lend, 1-100.
    #[schema(value_type = i32, required = true, minimum = 1, maximum = 100)]
    pub quantity: Option<i32>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ToolView {
    pub id: i64,
    pub point_id: i64,
    pub name: String,
    pub description: String,
    /// Upload ids.
    pub photos: Vec<i64>,
    pub quantity: i32,
    /// Units free on the date asked for (`?date=`, default today).
    pub available: i32,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PointQuery {
    pub community_id: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateQuery {
    /// `YYYY-MM-DD` (default today).
    pub date: Option<String>,
}

pub(super) fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn point_view(p: lending_point::Model) -> PointView {
    PointView {
        id: p.id,
        community_id: p.community_id,
        name: p.name,
        address: p.address,
        keeper_user_id: p.keeper_id,
        created_at: p.created_at,
    }
}

pub(super) async fn point(conn: &impl ConnectionTrait, id: i64) -> ApiResult<lending_point::Model> {
    lending_point::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::LendingPointNotFound))
}

pub(super) async fn tool(conn: &impl ConnectionTrait, id: i64) -> ApiResult<lending_tool::Model> {
    lending_tool::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::ToolNotFound))
}

/// 403 unless the caller keeps point `p` or administers its community.
pub(super) async fn require_keeper(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    p: &lending_point::Model,
) -> ApiResult<()> {
    if p.keeper_id == me.id() {
        return Ok(());
    }
    if me.has(Role::CommunityAdmin) || me.has(Role::PlatformAdmin) {
        return me.require_admin_of(conn, p.community_id).await;
    }
    Err(ErrorCode::Forbidden.into())
}

/// `POST /admin/lending-points`.
pub async fn create_point(
    db: &DatabaseConnection,
    me: &AuthUser,
    input: &PointInput,
    now: DateTime<Utc>,
) -> ApiResult<PointView> {
    me.admin_communities(db).await?;
    let mut f = Fields::new();
    let community_id = f.required("community_id", input.community_id);
    let name = f.text("name", input.name.as_deref(), 1, 64);
    let address = f.text("address", input.address.as_deref(), 1, 128);
    let keeper = f.required("keeper_user_id", input.keeper_user_id);
    if let Some(k) = keeper
        && user::Entity::find_by_id(k)
            .one(db)
            .await?
            .is_none_or(|u| u.erased_at.is_some())
    {
        f.push("keeper_user_id", "用户不存在");
    }
    f.finish()?;
    let (Some(community_id), Some(keeper)) = (community_id, keeper) else {
        return Err(ErrorCode::ValidationFailed.into());
    };
    me.require_admin_of(db, community_id).await?;
    let saved = lending_point::ActiveModel {
        community_id: Set(community_id),
        name: Set(name),
        address: Set(address),
        keeper_id: Set(keeper),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(point_view(saved))
}

/// `GET /lending-points`.
pub async fn list_points(
    db: &impl ConnectionTrait,
    community_id: Option<i64>,
    page: Page,
) -> ApiResult<Paged<PointView>> {
    let mut select = lending_point::Entity::find().order_by_asc(lending_point::Column::Id);
    if let Some(c) = community_id {
        select = select.filter(lending_point::Column::CommunityId.eq(c));
    }
    Ok(page.fetch(db, select).await?.map(point_view))
}

/// `POST /lending-points/{id}/tools`: the keeper or an admin adds a tool.
pub async fn add_tool(
    db: &DatabaseConnection,
    me: &AuthUser,
    point_id: i64,
    input: &ToolInput,
    now: DateTime<Utc>,
) -> ApiResult<ToolView> {
    let p = point(db, point_id).await?;
    require_keeper(db, me, &p).await?;
    let mut f = Fields::new();
    let name = f.text("name", input.name.as_deref(), 1, 64);
    let description = f
        .optional_text("description", input.description.as_deref(), 500)
        .unwrap_or_default();
    let photos = f.ids("photos", input.photos.as_deref(), MAX_PHOTOS);
    let quantity = f.required("quantity", input.quantity);
    if quantity.is_some_and(|q| !(1..=MAX_QUANTITY).contains(&q)) {
        f.push("quantity", format!("须在 1-{MAX_QUANTITY} 之间"));
    }
    f.finish()?;
    let quantity = quantity.ok_or_else(|| ApiError::new(ErrorCode::ValidationFailed))?;
    let txn = begin_write(db).await?;
    claim(&*txn, me.id(), Purpose::ToolPhoto, "photos", &photos).await?;
    let saved = lending_tool::ActiveModel {
        point_id: Set(p.id),
        name: Set(name),
        description: Set(description),
        photos: Set(serde_json::to_string(&photos).map_err(ApiError::internal)?),
        quantity: Set(quantity),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    txn.commit().await?;
    Ok(tool_view(saved, 0))
}

fn tool_view(t: lending_tool::Model, taken: i32) -> ToolView {
    ToolView {
        photos: serde_json::from_str(&t.photos).unwrap_or_default(),
        available: std::cmp::max(t.quantity - taken, 0),
        id: t.id,
        point_id: t.point_id,
        name: t.name,
        description: t.description,
        quantity: t.quantity,
    }
}

/// `GET /lending-points/{id}/tools?date=`: with the units free that day.
pub async fn list_tools(
    db: &impl ConnectionTrait,
    point_id: i64,
    date: Option<&str>,
    today: NaiveDate,
    page: Page,
) -> ApiResult<Paged<ToolView>> {
    point(db, point_id).await?;
    let on = query_date("date", date)?.unwrap_or(today);
    let select = lending_tool::Entity::find()
        .filter(lending_tool::Column::PointId.eq(point_id))
        .order_by_asc(lending_tool::Column::Id);
    let rows = page.fetch(db, select).await?;
    let ids: Vec<i64> = rows.items.iter().map(|t| t.id).collect();
    let taken: std::collections::HashMap<i64, i32> = tool_day::Entity::find()
        .filter(tool_day::Column::ToolId.is_in(ids))
        .filter(tool_day::Column::Day.eq(day(on)))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.tool_id, d.taken))
        .collect();
    Ok(rows.map(|t| {
        let n = taken.get(&t.id).copied().unwrap_or(0);
        tool_view(t, n)
    }))
}
