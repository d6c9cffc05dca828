//! Community admins keep the map of their own communities: rename a grid,
//! rename a building, change its households, move it to another grid of the
//! same community. (Creating grids and buildings is in `service`.)

use entity::{building, grid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::service::{BuildingView, GridView, check_name, find_grid, finish};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GridPatch {
    /// 1-64 characters.
    pub name: String,
}

/// Absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildingPatch {
    /// 1-64 characters.
    #[schema(max_length = 64, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: Option<String>,
    /// 0-100000.
    #[schema(minimum = 0, maximum = 100000)]
    pub households: Option<i32>,
    /// Another grid of the same community: the building moves there, with
    /// its residents (their grid worker changes with it).
    pub grid_id: Option<i64>,
}

pub async fn rename_grid(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
    patch: GridPatch,
) -> ApiResult<GridView> {
    let found = find_grid(db, id).await?;
    me.require_admin_of(db, found.community_id).await?;
    let mut errors = Vec::new();
    check_name(&mut errors, "name", &patch.name, 64);
    finish(errors)?;
    let mut active: grid::ActiveModel = found.into_active_model();
    active.name = Set(patch.name.trim().to_owned());
    let saved = active.update(db).await?;
    grid_view(db, saved).await
}

async fn grid_view(db: &impl ConnectionTrait, g: grid::Model) -> ApiResult<GridView> {
    let buildings = building::Entity::find()
        .filter(building::Column::GridId.eq(g.id))
        .order_by_asc(building::Column::Id)
        .all(db)
        .await?;
    Ok(GridView {
        id: g.id,
        community_id: g.community_id,
        name: g.name,
        buildings: buildings.into_iter().map(Into::into).collect(),
    })
}

pub async fn find_building(db: &impl ConnectionTrait, id: i64) -> ApiResult<building::Model> {
    building::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::BuildingNotFound))
}

pub async fn edit_building(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    patch: BuildingPatch,
) -> ApiResult<BuildingView> {
    let found = find_building(db, id).await?;
    me.require_admin_of(db, found.community_id).await?;
    let mut errors = Vec::new();
    if let Some(name) = &patch.name {
        check_name(&mut errors, "name", name, 64);
    }
    if patch
        .households
        .is_some_and(|h| !(0..=100_000).contains(&h))
    {
        errors.push(FieldError::new("households", "户数须在 0-100000 之间"));
    }
    if let Some(grid_id) = patch.grid_id {
        // Another community's grid is named as not existing.
        match grid::Entity::find_by_id(grid_id).one(db).await? {
            Some(g) if g.community_id == found.community_id => {}
            _ => errors.push(FieldError::new("grid_id", "须为本社区的网格")),
        }
    }
    finish(errors)?;
    let mut active: building::ActiveModel = found.into_active_model();
    if let Some(name) = patch.name {
        active.name = Set(name.trim().to_owned());
    }
    if let Some(h) = patch.households {
        active.households = Set(h);
    }
    if let Some(g) = patch.grid_id {
        active.grid_id = Set(g);
    }
    Ok(active.update(db).await?.into())
}
