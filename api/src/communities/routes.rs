//! `/communities` (public, cached), `/admin/communities` (platform admin),
//! and the grids and buildings of an admin's own communities.

use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::map_edits::{self, BuildingPatch, GridPatch};
use super::service::{
    self, BuildingView, CommunityView, GridView, NewBuilding, NewCommunity, NewGrid,
};
use crate::auth::{AuthUser, Role};
use crate::cache::{JsonText, keys};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_communities)
        .service(get_community)
        .service(create_community)
        .service(create_grid)
        .service(create_building)
        .service(rename_grid)
        .service(edit_building);
}

/// Communities with their grids and buildings.
#[utoipa::path(
    tag = "communities",
    params(PageParams),
    responses(
        (status = 200, body = Paged<CommunityView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
    )
)]
#[get("/communities")]
#[tracing::instrument(skip_all, level = "debug")]
async fn list_communities(
    state: web::Data<AppState>,
    query: web::Query<PageParams>,
) -> ApiResult<JsonText> {
    let page = Page::try_from(query.into_inner())?;
    let key = keys::community_list(page);
    let db = &state.db;
    state
        .cache
        .get_or_load_json(&key, state.cache_ttl(), || service::list(db, page))
        .await
}

/// One community with its grids and buildings.
#[utoipa::path(
    tag = "communities",
    params(("id" = i64, Path, description = "Community id")),
    responses(
        (status = 200, body = CommunityView),
        (status = 404, description = "COMMUNITY_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/communities/{id}")]
#[tracing::instrument(skip_all, level = "debug", fields(community_id = *id))]
async fn get_community(state: web::Data<AppState>, id: web::Path<i64>) -> ApiResult<JsonText> {
    let id = id.into_inner();
    let key = keys::community_detail(id);
    let db = &state.db;
    state
        .cache
        .get_or_load_json(&key, state.cache_ttl(), || service::get(db, id))
        .await
}

/// Create a community (platform admin).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewCommunity,
    responses(
        (status = 201, body = CommunityView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not a platform admin", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/admin/communities")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn create_community(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<NewCommunity>,
) -> ApiResult<HttpResponse> {
    me.require(Role::PlatformAdmin)?;
    let created = service::create(&state.db, body.0).await?;
    keys::community_map_changed(&state.cache).await;
    Ok(HttpResponse::Created().json(created))
}

/// Add a grid to a community (an admin of it, or the platform admin).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Community id")),
    request_body = NewGrid,
    responses(
        (status = 201, body = GridView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "COMMUNITY_NOT_FOUND", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/admin/communities/{id}/grids")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), community_id = *id))]
async fn create_grid(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<NewGrid>,
) -> ApiResult<HttpResponse> {
    me.require_admin_of(&state.db, *id).await?;
    let created = service::create_grid(&state.db, id.into_inner(), body.0).await?;
    keys::community_map_changed(&state.cache).await;
    Ok(HttpResponse::Created().json(created))
}

/// Add a building to a grid (an admin of its community).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Grid id")),
    request_body = NewBuilding,
    responses(
        (status = 201, body = BuildingView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "GRID_NOT_FOUND", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/admin/grids/{id}/buildings")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), grid_id = *id))]
async fn create_building(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<NewBuilding>,
) -> ApiResult<HttpResponse> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let grid = service::find_grid(&state.db, *id).await?;
    me.require_admin_of(&state.db, grid.community_id).await?;
    let created = service::create_building(&state.db, id.into_inner(), body.0).await?;
    keys::community_map_changed(&state.cache).await;
    Ok(HttpResponse::Created().json(created))
}

/// Rename a grid (an admin of its community).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Grid id")),
    request_body = GridPatch,
    responses(
        (status = 200, body = GridView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the grid's community", body = ErrorBody),
        (status = 404, description = "GRID_NOT_FOUND", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[patch("/admin/grids/{id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), grid_id = *id))]
async fn rename_grid(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<GridPatch>,
) -> ApiResult<web::Json<GridView>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let saved = map_edits::rename_grid(&state.db, &me, id.into_inner(), body.0).await?;
    keys::community_map_changed(&state.cache).await;
    Ok(web::Json(saved))
}

/// Rename a building, change its households, or move it to another grid of
/// the same community (an admin of its community).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Building id")),
    request_body = BuildingPatch,
    responses(
        (status = 200, body = BuildingView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the building's community", body = ErrorBody),
        (status = 404, description = "BUILDING_NOT_FOUND", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: e.g. a grid of another community", body = ErrorBody),
    )
)]
#[patch("/admin/buildings/{id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), building_id = *id))]
async fn edit_building(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<BuildingPatch>,
) -> ApiResult<web::Json<BuildingView>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let saved = map_edits::edit_building(&state.db, &me, id.into_inner(), body.0).await?;
    keys::community_map_changed(&state.cache).await;
    Ok(web::Json(saved))
}
