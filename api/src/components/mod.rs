//! Places a resident reports from: buildings and city components (城市部件:
//! manhole covers, poles, charging piles ... with a code, coordinates, the
//! unit that owns them and its phone). Each has a code to print: scanning
//! it opens the report form with the place filled in (`GET /places/{scene}`).
//! Admins download a building's or a component's code, or one printable PDF
//! of their community's codes.
//!
//! Scenes name a place in at most 32 characters: `b=<building id>` or
//! `c=<component id>`.

pub mod pdf;
pub mod qr;

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, get, post, web};
use entity::{building, city_component, community, department, grid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

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

crate::text_enum! {
    /// What a city component is.
    pub enum ComponentKind {
        /// 井盖
        ManholeCover => "manhole_cover",
        /// 电杆
        Pole => "pole",
        /// 路灯
        Streetlight => "streetlight",
        /// 充电桩
        ChargingPile => "charging_pile",
        /// 消防栓
        Hydrant => "hydrant",
        Other => "other",
    }
}

impl ComponentKind {
    pub fn label(self) -> &'static str {
        match self {
            ComponentKind::ManholeCover => "井盖",
            ComponentKind::Pole => "电杆",
            ComponentKind::Streetlight => "路灯",
            ComponentKind::ChargingPile => "充电桩",
            ComponentKind::Hydrant => "消防栓",
            ComponentKind::Other => "城市部件",
        }
    }
}

/// What a scanned code names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scene {
    Building(i64),
    Component(i64),
}

impl Scene {
    pub fn parse(raw: &str) -> Option<Self> {
        let (kind, id) = raw.split_once('=')?;
        let id: i64 = id.parse().ok().filter(|id| *id > 0)?;
        match kind {
            "b" => Some(Scene::Building(id)),
            "c" => Some(Scene::Component(id)),
            _ => None,
        }
    }
}

impl std::fmt::Display for Scene {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scene::Building(id) => write!(f, "b={id}"),
            Scene::Component(id) => write!(f, "c={id}"),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ComponentView {
    pub id: i64,
    pub community_id: i64,
    pub grid_id: Option<i64>,
    pub kind: ComponentKind,
    pub code: String,
    pub name: String,
    pub lat: f64,
    pub lng: f64,
    pub owner_unit: String,
    pub phone: String,
    pub department_id: Option<i64>,
    /// The scene of its code.
    pub scene: String,
}

impl From<city_component::Model> for ComponentView {
    fn from(c: city_component::Model) -> Self {
        Self {
            scene: Scene::Component(c.id).to_string(),
            kind: ComponentKind::parse(&c.kind).unwrap_or(ComponentKind::Other),
            id: c.id,
            community_id: c.community_id,
            grid_id: c.grid_id,
            code: c.code,
            name: c.name,
            lat: c.lat,
            lng: c.lng,
            owner_unit: c.owner_unit,
            phone: c.phone,
            department_id: c.department_id,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ComponentInput {
    #[schema(value_type = i64, required = true)]
    pub community_id: Option<i64>,
    /// A grid of that community.
    pub grid_id: Option<i64>,
    /// `manhole_cover`, `pole`, `streetlight`, `charging_pile`, `hydrant` or `other`.
    #[schema(required = true, schema_with = component_kinds)]
    pub kind: Option<String>,
    /// The component's own number, unique: 1-64 of `A-Z a-z 0-9 - _`.
    #[schema(value_type = String, required = true, pattern = r"^[A-Za-z0-9_-]{1,64}$")]
    pub code: Option<String>,
    /// 1-50 characters (for example 幸福路3号井盖).
    #[schema(value_type = String, required = true, max_length = 50, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: Option<String>,
    #[schema(value_type = f64, required = true, minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    #[schema(value_type = f64, required = true, minimum = -180, maximum = 180)]
    pub lng: Option<f64>,
    /// The unit that owns and maintains it, 1-50 characters.
    #[schema(value_type = String, required = true, max_length = 50, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub owner_unit: Option<String>,
    /// The owner's phone.
    #[schema(value_type = String, required = true, pattern = r"^(1[0-9]{10}|0[0-9]{2,3}-[0-9]{7,8})$")]
    pub phone: Option<String>,
    /// The department its requests usually go to.
    pub department_id: Option<i64>,
}
fn component_kinds() -> utoipa::openapi::Object {
    crate::openapi::choices(&[
        "manhole_cover",
        "pole",
        "streetlight",
        "charging_pile",
        "hydrant",
        "other",
    ])
}

/// Where a scanned code points: the report form fills these in.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PlaceView {
    pub scene: String,
    pub community_id: i64,
    pub community_name: String,
    pub grid_id: Option<i64>,
    pub building_id: Option<i64>,
    pub building_name: Option<String>,
    /// When the code is a city component's.
    pub component: Option<ComponentView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComponentQuery {
    /// One community (default: every community the admin administers).
    pub community_id: Option<i64>,
    #[param(value_type = Option<ComponentKind>)]
    pub kind: Option<String>,
    /// 1-based page number (default 1).
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    /// Items per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u64>,
}

async fn community_name(conn: &impl ConnectionTrait, id: i64) -> ApiResult<String> {
    Ok(community::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(|c| c.name)
        .unwrap_or_default())
}

/// The place a scene names.
pub async fn resolve(conn: &impl ConnectionTrait, scene: Scene) -> ApiResult<PlaceView> {
    let not_found = || ApiError::new(ErrorCode::PlaceNotFound);
    match scene {
        Scene::Building(id) => {
            let b = building::Entity::find_by_id(id)
                .one(conn)
                .await?
                .ok_or_else(not_found)?;
            Ok(PlaceView {
                scene: scene.to_string(),
                community_name: community_name(conn, b.community_id).await?,
                community_id: b.community_id,
                grid_id: Some(b.grid_id),
                building_id: Some(b.id),
                building_name: Some(b.name),
                component: None,
            })
        }
        Scene::Component(id) => {
            let c = city_component::Entity::find_by_id(id)
                .one(conn)
                .await?
                .ok_or_else(not_found)?;
            Ok(PlaceView {
                scene: scene.to_string(),
                community_name: community_name(conn, c.community_id).await?,
                community_id: c.community_id,
                grid_id: c.grid_id,
                building_id: None,
                building_name: None,
                component: Some(c.into()),
            })
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenes_round_trip_and_refuse_anything_else() {
        assert_eq!(Scene::parse("b=12"), Some(Scene::Building(12)));
        assert_eq!(Scene::parse("c=3"), Some(Scene::Component(3)));
        assert_eq!(Scene::Building(12).to_string(), "b=12");
        for bad in ["b=", "b=0", "x=1", "b=-1", "b12", "c=1a", ""] {
            assert_eq!(Scene::parse(bad), None, "{bad}");
        }
    }
}
