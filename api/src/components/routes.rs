//! `/places/{scene}`, `/admin/city-components` and the printable codes of
//! buildings, components and a community's sheet.

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, get, post, web};
use entity::{building, city_component, community, department, grid};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{
    ComponentInput, ComponentKind, ComponentQuery, ComponentView, PlaceView, Scene, pdf, qr,
    resolve,
};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::Json;
use crate::fields::{Fields, bad_query};
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(place)
        .service(create)
        .service(list)
        .service(building_code)
        .service(component_code)
        .service(community_sheet);
}

/// The place a scanned code names (`b=12`, `c=34`): the report form is
/// filled in from it. Public.
#[utoipa::path(
    tag = "requests",
    params(("scene" = String, Path, description = "The code's scene: `b=<building id>` or `c=<component id>`")),
    responses(
        (status = 200, body = PlaceView),
        (status = 400, description = "INVALID_QUERY: a NUL byte in the scene", body = ErrorBody),
        (status = 404, description = "PLACE_NOT_FOUND (also a malformed scene)", body = ErrorBody),
    )
)]
#[get("/places/{scene}")]
#[tracing::instrument(skip_all, level = "debug", fields(scene = %scene))]
async fn place(
    state: web::Data<AppState>,
    scene: web::Path<String>,
) -> ApiResult<web::Json<PlaceView>> {
    if scene.contains('\0') {
        return Err(bad_query("scene", "包含非法字符"));
    }
    let scene = Scene::parse(&scene).ok_or_else(|| ApiError::new(ErrorCode::PlaceNotFound))?;
    Ok(web::Json(resolve(&state.db, scene).await?))
}

/// Register a city component in a community the caller administers.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    request_body = ComponentInput,
    responses(
        (status = 201, body = ComponentView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of that community", body = ErrorBody),
        (status = 409, description = "ALREADY_EXISTS: the code is taken", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: every bad field listed", body = ErrorBody),
    )
)]
#[post("/admin/city-components")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn create(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<ComponentInput>,
) -> ApiResult<HttpResponse> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let db = &state.db;
    let mut f = Fields::new();
    let community_id = f.required("community_id", body.community_id);
    if let Some(id) = community_id {
        if community::Entity::find_by_id(id).one(db).await?.is_none() {
            f.push("community_id", "社区不存在");
        } else {
            me.require_admin_of(db, id).await?;
        }
    }
    let kind = match body.kind.as_deref() {
        None => {
            f.push("kind", "必填");
            None
        }
        Some(raw) => ComponentKind::parse(raw).or_else(|| {
            f.push("kind", "未知的部件类型");
            None
        }),
    };
    let code = f.text("code", body.code.as_deref(), 1, 64);
    if !code
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        f.push("code", "只能包含字母、数字、- 和 _");
    }
    let name = f.text("name", body.name.as_deref(), 1, 50);
    let owner_unit = f.text("owner_unit", body.owner_unit.as_deref(), 1, 50);
    let phone = match f.phone("phone", body.phone.as_deref()) {
        Some(p) => p,
        None => {
            if body.phone.is_none() {
                f.push("phone", "必填");
            }
            String::new()
        }
    };
    let lat_lng = f.lat_lng(body.lat, body.lng);
    if body.lat.is_none() && body.lng.is_none() {
        f.push("lat", "必填");
        f.push("lng", "必填");
    }
    if let Some(g) = body.grid_id {
        match grid::Entity::find_by_id(g).one(db).await? {
            Some(grid) if Some(grid.community_id) == community_id => {}
            _ => f.push("grid_id", "不是该社区的网格"),
        }
    }
    if let Some(d) = body.department_id
        && department::Entity::find_by_id(d).one(db).await?.is_none()
    {
        f.push("department_id", "部门不存在");
    }
    f.finish()?;
    let (Some(community_id), Some(kind), Some((lat, lng))) = (community_id, kind, lat_lng) else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "component parsed incompletely"
        )));
    };
    let inserted = city_component::ActiveModel {
        community_id: Set(community_id),
        grid_id: Set(body.grid_id),
        kind: Set(kind.as_str().to_owned()),
        code: Set(code),
        name: Set(name),
        lat: Set(lat),
        lng: Set(lng),
        owner_unit: Set(owner_unit),
        phone: Set(phone),
        department_id: Set(body.department_id),
        created_at: Set(crate::time::now()),
        ..Default::default()
    }
    .insert(db)
    .await;
    let saved = crate::db::or_conflict(inserted, ErrorCode::AlreadyExists)?;
    Ok(HttpResponse::Created().json(ComponentView::from(saved)))
}

/// The city components of the caller's communities.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(ComponentQuery),
    responses(
        (status = 200, body = Paged<ComponentView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of that community", body = ErrorBody),
        (status = 404, description = "COMMUNITY_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/admin/city-components")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn list(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<ComponentQuery>,
) -> ApiResult<web::Json<Paged<ComponentView>>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let page = Page::try_from(PageParams {
        page: query.page,
        page_size: query.page_size,
    })?;
    let communities = match query.community_id {
        Some(id) => {
            if !crate::community_links::community_exists(&state.db, id).await? {
                return Err(ErrorCode::CommunityNotFound.into());
            }
            me.require_admin_of(&state.db, id).await?;
            Some(vec![id])
        }
        None => me.admin_communities(&state.db).await?,
    };
    let mut select = city_component::Entity::find().order_by_asc(city_component::Column::Id);
    if let Some(ids) = communities {
        select = select.filter(city_component::Column::CommunityId.is_in(ids));
    }
    if let Some(raw) = query.kind.as_deref() {
        let kind = ComponentKind::parse(raw).ok_or_else(|| bad_query("kind", "未知的部件类型"))?;
        select = select.filter(city_component::Column::Kind.eq(kind.as_str()));
    }
    let found = page.fetch(&state.db, select).await?;
    Ok(web::Json(found.map(ComponentView::from)))
}

fn image(bytes: Vec<u8>, content_type: &str, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type.to_owned()))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes)
}

fn extension(content_type: &str) -> &'static str {
    if content_type.contains("png") {
        "png"
    } else {
        "jpg"
    }
}

/// A building's code to print at its entrances and lifts (an admin of its
/// community): a WeChat mini-program code when WeChat is configured, else a
/// PNG QR code of the report link.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Building id")),
    responses(
        (status = 200, description = "The code image (image/png or image/jpeg)", content_type = "image/png", body = Vec<u8>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the building's community", body = ErrorBody),
        (status = 404, description = "BUILDING_NOT_FOUND", body = ErrorBody),
        (status = 503, description = "WECHAT_UNAVAILABLE", body = ErrorBody),
    )
)]
#[get("/admin/buildings/{id}/qrcode")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), building_id = *id))]
async fn building_code(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let b = building::Entity::find_by_id(id.into_inner())
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::BuildingNotFound))?;
    me.require_admin_of(&state.db, b.community_id).await?;
    let (bytes, content_type) = qr::file(&state, &Scene::Building(b.id).to_string()).await?;
    let name = format!("building-{}.{}", b.id, extension(&content_type));
    Ok(image(bytes, &content_type, &name))
}

/// A city component's code (an admin of its community).
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "City component id")),
    responses(
        (status = 200, description = "The code image (image/png or image/jpeg)", content_type = "image/png", body = Vec<u8>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the component's community", body = ErrorBody),
        (status = 404, description = "COMPONENT_NOT_FOUND", body = ErrorBody),
        (status = 503, description = "WECHAT_UNAVAILABLE", body = ErrorBody),
    )
)]
#[get("/admin/city-components/{id}/qrcode")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), component_id = *id))]
async fn component_code(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let c = city_component::Entity::find_by_id(id.into_inner())
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::ComponentNotFound))?;
    me.require_admin_of(&state.db, c.community_id).await?;
    let (bytes, content_type) = qr::file(&state, &Scene::Component(c.id).to_string()).await?;
    let name = format!("component-{}.{}", c.code, extension(&content_type));
    Ok(image(bytes, &content_type, &name))
}

/// One printable PDF (A4, six codes a page) of every building's and city
/// component's code in a community (an admin of it).
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Community id")),
    responses(
        (status = 200, description = "application/pdf", content_type = "application/pdf", body = Vec<u8>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the community", body = ErrorBody),
        (status = 404, description = "COMMUNITY_NOT_FOUND", body = ErrorBody),
        (status = 503, description = "WECHAT_UNAVAILABLE", body = ErrorBody),
    )
)]
#[get("/admin/communities/{id}/qrcodes.pdf")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), community_id = *id))]
async fn community_sheet(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let c = community::Entity::find_by_id(id.into_inner())
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::CommunityNotFound))?;
    me.require_admin_of(&state.db, c.id).await?;
    let grids: std::collections::HashMap<i64, String> = grid::Entity::find()
        .filter(grid::Column::CommunityId.eq(c.id))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let buildings = building::Entity::find()
        .filter(building::Column::CommunityId.eq(c.id))
        .order_by_asc(building::Column::GridId)
        .order_by_asc(building::Column::Id)
        .all(&state.db)
        .await?;
    let components = city_component::Entity::find()
        .filter(city_component::Column::CommunityId.eq(c.id))
        .order_by_asc(city_component::Column::Id)
        .all(&state.db)
        .await?;
    let mut labels = Vec::with_capacity(buildings.len() + components.len());
    for b in buildings {
        let grid = grids.get(&b.grid_id).cloned().unwrap_or_default();
        labels.push(pdf::Label {
            code: qr::code(&state, &Scene::Building(b.id).to_string()).await?,
            title: format!("{} {}", c.name, b.name),
            subtitle: format!("{grid} · 扫码反映诉求"),
        });
    }
    for comp in components {
        let kind = ComponentKind::parse(&comp.kind).unwrap_or(ComponentKind::Other);
        labels.push(pdf::Label {
            code: qr::code(&state, &Scene::Component(comp.id).to_string()).await?,
            title: format!("{} {}", kind.label(), comp.code),
            subtitle: format!("{} · {} {}", comp.name, comp.owner_unit, comp.phone),
        });
    }
    let bytes = pdf::sheet(&format!("{} 诉求二维码", c.name), &labels)?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/pdf"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"community-{}-qrcodes.pdf\"", c.id),
        ))
        .body(bytes))
}
