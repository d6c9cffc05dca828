//! Operations endpoints outside `/api/v1`: health, readiness, metrics, the
//! OpenAPI document, and the JSON answers for unknown routes and methods.

use actix_web::dev::ResourceDef;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::telemetry::Metrics;

/// The OpenAPI document as served, rendered once at start-up.
pub struct ApiDocument(pub String);

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(healthz)
        .service(readyz)
        .service(metrics)
        .service(openapi_yaml);
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `degraded` (the cache is down; the API still answers) or `unavailable`.
    pub status: String,
    /// `ok` or `down`.
    pub database: String,
    /// `ok` or `down`.
    pub cache: String,
    /// `memory` or `redis`.
    pub cache_backend: String,
}

/// Liveness: the process answers. Checks no dependency.
#[utoipa::path(tag = "ops", responses((status = 200, description = "Alive", body = Object, example = json!({"status": "ok"}))))]
#[get("/healthz")]
#[tracing::instrument(skip_all, level = "debug")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: 503 when the database is unreachable; 200 `degraded` when only the cache is.
#[utoipa::path(tag = "ops", responses(
    (status = 200, description = "Ready (status ok or degraded)", body = Health),
    (status = 503, description = "The database is unreachable", body = Health),
))]
#[get("/readyz")]
#[tracing::instrument(skip_all, level = "debug")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let db_ok = state.db.ping().await.is_ok();
    let cache_ok = state.cache.ping().await.is_ok();
    let health = Health {
        status: match (db_ok, cache_ok) {
            (false, _) => "unavailable",
            (true, false) => "degraded",
            (true, true) => "ok",
        }
        .into(),
        database: if db_ok { "ok" } else { "down" }.into(),
        cache: if cache_ok { "ok" } else { "down" }.into(),
        cache_backend: state.cache.backend_name().into(),
    };
    if db_ok {
        HttpResponse::Ok().json(health)
    } else {
        HttpResponse::ServiceUnavailable().json(health)
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(tag = "ops", responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
#[get("/metrics")]
#[tracing::instrument(skip_all, level = "debug")]
async fn metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render())
}

/// This document.
#[utoipa::path(tag = "ops", responses((status = 200, description = "OpenAPI 3.1 YAML", content_type = "application/yaml", body = String)))]
#[get("/openapi.yaml")]
#[tracing::instrument(skip_all, level = "debug")]
async fn openapi_yaml(document: web::Data<ApiDocument>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml; charset=utf-8")
        .body(document.0.clone())
}

/// Every documented route: its pattern and methods, for 404 versus 405.
pub struct RouteTable(Vec<(ResourceDef, Vec<String>)>);

impl RouteTable {
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let routes = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter(|(_, has)| *has)
                .map(|(m, _)| m.to_owned())
                .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self(routes)
    }

    /// The methods a path answers to, if any route matches it.
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let mut methods: Vec<String> = self
            .0
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .flat_map(|(_, m)| m.iter().cloned())
            .collect();
        if methods.is_empty() {
            return None;
        }
        methods.sort();
        methods.dedup();
        Some(methods)
    }
}

/// The answer for any request no route took: 405 with `Allow` when the path
/// exists under another method, else 404.
pub async fn fallback(
    req: HttpRequest,
    routes: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    match routes.allowed(req.path()) {
        Some(methods) => {
            let mut err = ApiError::new(ErrorCode::MethodNotAllowed);
            err.allow = Some(methods.join(", "));
            Err(err)
        }
        None => Err(ApiError::new(ErrorCode::RouteNotFound)),
    }
}
