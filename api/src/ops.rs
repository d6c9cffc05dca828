//! Operations endpoints outside `/api/v1`: health, readiness, metrics, the
//! OpenAPI document, and the JSON answers for unknown routes and methods.

use actix_web::dev::ResourceDef;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::backup::{BackupHealth, BackupMonitor};
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::settings::{Environment, Settings};
use crate::state::AppState;
use crate::telemetry::Metrics;
use secrecy::{ExposeSecret, SecretString};

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
    /// `ok`, `degraded` (the cache is down, or backups are failing; the API
    /// still answers) or `unavailable`.
    pub status: String,
    /// `ok` or `down`.
    pub database: String,
    /// `ok` or `down`.
    pub cache: String,
    /// `memory` or `redis`.
    pub cache_backend: String,
    /// Scheduled backups of the SQLite database; absent when this instance
    /// schedules none (PostgreSQL, or `backup.interval_secs = 0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupHealth>,
}

/// Liveness: the process answers. Checks no dependency.
#[utoipa::path(tag = "ops", responses((status = 200, description = "Alive", body = Object, example = json!({"status": "ok"}))))]
#[get("/healthz")]
#[tracing::instrument(skip_all, level = "debug")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: 503 when the database is unreachable; 200 `degraded` when only
/// the cache is, or scheduled backups failed, are overdue or cannot be copied off-machine.
#[utoipa::path(tag = "ops", responses(
    (status = 200, description = "Ready (status ok or degraded)", body = Health),
    (status = 503, description = "The database is unreachable", body = Health),
))]
#[get("/readyz")]
#[tracing::instrument(skip_all, level = "debug")]
async fn readyz(
    state: web::Data<AppState>,
    backups: Option<web::Data<BackupMonitor>>,
) -> HttpResponse {
    let db_ok = state.db.ping().await.is_ok();
    let cache_ok = state.cache.ping().await.is_ok();
    let backup = backups.and_then(|b| b.health(chrono::Utc::now()));
    let backup_ok = backup.as_ref().is_none_or(|b| !b.degrades());
    let health = Health {
        status: match (db_ok, cache_ok && backup_ok) {
            (false, _) => "unavailable",
            (true, false) => "degraded",
            (true, true) => "ok",
        }
        .into(),
        database: if db_ok { "ok" } else { "down" }.into(),
        cache: if cache_ok { "ok" } else { "down" }.into(),
        cache_backend: state.cache.backend_name().into(),
        backup,
    };
    if db_ok {
        HttpResponse::Ok().json(health)
    } else {
        HttpResponse::ServiceUnavailable().json(health)
    }
}

/// Who may read `/metrics` on a listener (`[metrics]` settings).
#[derive(Clone, Debug)]
pub enum MetricsAccess {
    Open,
    Token(SecretString),
    /// Served on another listener, or in production without a token.
    Hidden,
}

impl MetricsAccess {
    /// The main listener's rule.
    pub fn for_main_listener(settings: &Settings) -> Self {
        let token = settings.metrics.token.expose_secret();
        if !settings.metrics.addr.is_empty() {
            MetricsAccess::Hidden
        } else if !token.is_empty() {
            MetricsAccess::Token(settings.metrics.token.clone())
        } else if settings.env == Environment::Production {
            MetricsAccess::Hidden
        } else {
            MetricsAccess::Open
        }
    }

    fn allows(&self, req: &HttpRequest) -> Result<(), ApiError> {
        match self {
            MetricsAccess::Open => Ok(()),
            MetricsAccess::Hidden => Err(ErrorCode::RouteNotFound.into()),
            MetricsAccess::Token(token) => {
                let sent = req
                    .headers()
                    .get(actix_web::http::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .unwrap_or("");
                let want = token.expose_secret().as_bytes();
                if sent.len() == want.len()
                    && bool::from(subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), want))
                {
                    Ok(())
                } else {
                    Err(ErrorCode::Unauthorized.into())
                }
            }
        }
    }
}

/// Prometheus metrics in the text exposition format. Not public in
/// production: on `metrics.addr`'s own listener, or with `metrics.token`.
#[utoipa::path(tag = "ops", responses(
    (status = 200, description = "Prometheus text format", content_type = "text/plain", body = String),
    (status = 401, description = "UNAUTHORIZED: `metrics.token` is set and the bearer token is not it", body = ErrorBody),
    (status = 404, description = "ROUTE_NOT_FOUND: served on `metrics.addr`, or production without `metrics.token`", body = ErrorBody),
))]
#[get("/metrics")]
#[tracing::instrument(skip_all, level = "debug")]
async fn metrics(
    req: HttpRequest,
    registry: web::Data<Metrics>,
    access: Option<web::Data<MetricsAccess>>,
) -> Result<HttpResponse, ApiError> {
    if let Some(access) = access {
        access.allows(&req)?;
    }
    Ok(render_metrics(&registry))
}

fn render_metrics(registry: &Metrics) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(registry.render())
}

/// The listener of `metrics.addr`: `GET /metrics` and nothing else.
pub fn metrics_server(
    addr: &str,
    registry: web::Data<Metrics>,
) -> std::io::Result<(actix_web::dev::Server, u16)> {
    let listener = std::net::TcpListener::bind(addr)?;
    let port = listener.local_addr()?.port();
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new().app_data(registry.clone()).route(
            "/metrics",
            web::get().to(|m: web::Data<Metrics>| async move { render_metrics(&m) }),
        )
    })
    .workers(1)
    .listen(listener)?
    .shutdown_timeout(1)
    .run();
    Ok((server, port))
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
