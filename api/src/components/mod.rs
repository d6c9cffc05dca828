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
mod routes;

use entity::{building, city_component, community};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult, ErrorCode};

pub use routes::configure;

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
