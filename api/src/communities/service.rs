//! Queries and writes for the community map.

use std::collections::HashMap;

use entity::{building, community, grid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::community_links::community_exists;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::pagination::{Page, Paged};
use crate::time;

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BuildingView {
    pub id: i64,
    pub grid_id: i64,
    pub community_id: i64,
    pub name: String,
    pub households: i32,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct GridView {
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub buildings: Vec<BuildingView>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CommunityView {
    pub id: i64,
    pub name: String,
    pub district: String,
    pub address: String,
    pub lat: f64,
    pub lng: f64,
    pub grids: Vec<GridView>,
}

impl From<building::Model> for BuildingView {
    fn from(b: building::Model) -> Self {
        Self {
            id: b.id,
            grid_id: b.grid_id,
            community_id: b.community_id,
            name: b.name,
            households: b.households,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewCommunity {
    pub name: String,
    pub district: String,
    pub address: String,
    pub lat: f64,
    pub lng: f64,
}

#[derive(Deserialize, ToSchema)]
pub struct NewGrid {
    /// 1-64 characters.
    #[schema(max_length = 64, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: String,
}

#[derive(Deserialize, ToSchema)]
pub struct NewBuilding {
    pub name: String,
    /// Households living in the building, 0-100000.
    #[schema(minimum = 0, maximum = 100000)]
    pub households: i32,
}

pub(super) fn check_name(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    let n = value.trim().chars().count();
    if n == 0 || n > max {
        errors.push(FieldError::new(field, format!("须为 1-{max} 个字符")));
    }
}

pub(super) fn finish(errors: Vec<FieldError>) -> ApiResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Attaches grids and buildings to communities, with two queries in all.
async fn assemble(
    db: &impl ConnectionTrait,
    communities: Vec<community::Model>,
) -> ApiResult<Vec<CommunityView>> {
    let ids: Vec<i64> = communities.iter().map(|c| c.id).collect();
    let grids = grid::Entity::find()
        .filter(grid::Column::CommunityId.is_in(ids.clone()))
        .order_by_asc(grid::Column::Id)
        .all(db)
        .await?;
    let buildings = building::Entity::find()
        .filter(building::Column::CommunityId.is_in(ids))
        .order_by_asc(building::Column::Id)
        .all(db)
        .await?;
    let mut by_grid: HashMap<i64, Vec<BuildingView>> = HashMap::new();
    for b in buildings {
        by_grid.entry(b.grid_id).or_default().push(b.into());
    }
    let mut by_community: HashMap<i64, Vec<GridView>> = HashMap::new();
    for g in grids {
        by_community
            .entry(g.community_id)
            .or_default()
            .push(GridView {
                buildings: by_grid.remove(&g.id).unwrap_or_default(),
                id: g.id,
                community_id: g.community_id,
                name: g.name,
            });
    }
    Ok(communities
        .into_iter()
        .map(|c| CommunityView {
            grids: by_community.remove(&c.id).unwrap_or_default(),
            id: c.id,
            name: c.name,
            district: c.district,
            address: c.address,
            lat: c.lat,
            lng: c.lng,
        })
        .collect())
}

pub async fn list(db: &impl ConnectionTrait, page: Page) -> ApiResult<Paged<CommunityView>> {
    let select = community::Entity::find().order_by_asc(community::Column::Id);
    page.fetch(db, select)
        .await?
        .map_batch(|rows| assemble(db, rows))
        .await
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> ApiResult<CommunityView> {
    let found = community::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::CommunityNotFound))?;
    assemble(db, vec![found])
        .await?
        .pop()
        .ok_or_else(|| ApiError::new(ErrorCode::CommunityNotFound))
}

pub async fn create(db: &impl ConnectionTrait, new: NewCommunity) -> ApiResult<CommunityView> {
    let mut errors = Vec::new();
    check_name(&mut errors, "name", &new.name, 64);
    check_name(&mut errors, "district", &new.district, 64);
    check_name(&mut errors, "address", &new.address, 200);
    if !(-90.0..=90.0).contains(&new.lat) {
        errors.push(FieldError::new("lat", "纬度须在 -90 到 90 之间"));
    }
    if !(-180.0..=180.0).contains(&new.lng) {
        errors.push(FieldError::new("lng", "经度须在 -180 到 180 之间"));
    }
    finish(errors)?;
    let saved = community::ActiveModel {
        name: Set(new.name.trim().to_owned()),
        district: Set(new.district.trim().to_owned()),
        address: Set(new.address.trim().to_owned()),
        lat: Set(new.lat),
        lng: Set(new.lng),
        created_at: Set(time::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(CommunityView {
        id: saved.id,
        name: saved.name,
        district: saved.district,
        address: saved.address,
        lat: saved.lat,
        lng: saved.lng,
        grids: Vec::new(),
    })
}

pub async fn create_grid(
    db: &impl ConnectionTrait,
    community_id: i64,
    new: NewGrid,
) -> ApiResult<GridView> {
    if !community_exists(db, community_id).await? {
        return Err(ErrorCode::CommunityNotFound.into());
    }
    let mut errors = Vec::new();
    check_name(&mut errors, "name", &new.name, 64);
    finish(errors)?;
    let saved = grid::ActiveModel {
        community_id: Set(community_id),
        name: Set(new.name.trim().to_owned()),
        created_at: Set(time::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(GridView {
        id: saved.id,
        community_id,
        name: saved.name,
        buildings: Vec::new(),
    })
}

pub async fn find_grid(db: &impl ConnectionTrait, grid_id: i64) -> ApiResult<grid::Model> {
    grid::Entity::find_by_id(grid_id)
        .one(db)
        .await?
        .ok_or_else(|| ErrorCode::GridNotFound.into())
}

pub async fn create_building(
    db: &impl ConnectionTrait,
    grid_id: i64,
    new: NewBuilding,
) -> ApiResult<BuildingView> {
    let grid = find_grid(db, grid_id).await?;
    let mut errors = Vec::new();
    check_name(&mut errors, "name", &new.name, 64);
    if !(0..=100_000).contains(&new.households) {
        errors.push(FieldError::new("households", "户数须在 0-100000 之间"));
    }
    finish(errors)?;
    let saved = building::ActiveModel {
        grid_id: Set(grid.id),
        community_id: Set(grid.community_id),
        name: Set(new.name.trim().to_owned()),
        households: Set(new.households),
        created_at: Set(time::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(saved.into())
}
