//! Builds the application from settings: database, cache, WeChat client,
//! routes; binds the listener (port 0 in tests) and runs it.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{AppExt, scope};

use crate::auth::jwt::JwtKeys;
use crate::cache::{Cache, RedisCache};
use crate::extract::BodyLimit;
use crate::group_buys::batches::OrderBatcher;
use crate::ops::{ApiDocument, RouteTable};
use crate::settings::Settings;
use crate::state::AppState;
use crate::telemetry::{self, Metrics};
use crate::wechat::WechatClient;
use crate::{
    admins, auth, bookings, catalog, communities, db, extract, group_buys, helpers, me, openapi,
    ops,
};

/// Every `/api/v1` route.
/// actix tries routes in registration order, matching each path pattern with
/// a regex, so the public reads every resident makes come first.
fn api_v1(cfg: &mut ServiceConfig) {
    cfg.configure(crate::goods::configure)
        .configure(group_buys::configure)
        .configure(crate::orders::configure)
        .configure(crate::notices::configure)
        .configure(communities::configure)
        .configure(crate::merchants::configure)
        .configure(crate::promotions::configure)
        .configure(catalog::configure)
        .configure(auth::routes::configure)
        .configure(me::configure)
        .configure(admins::configure)
        .configure(helpers::configure)
        .configure(bookings::configure)
        .configure(crate::stats::configure)
        .configure(crate::subscriptions::configure)
        .configure(crate::requests::configure)
        .configure(crate::departments::configure)
        .configure(crate::components::configure)
        .configure(crate::grid::configure);
}

/// The OpenAPI document of exactly the routes the server registers.
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, spec) = App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .configure(ops::configure)
        .service(scope::scope("/api/v1").configure(api_v1))
        .split_for_parts();
    spec
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

/// Builds the cache the settings ask for: Redis when `redis.url` is set.
pub fn build_cache(settings: &Settings, metrics: Arc<Metrics>) -> anyhow::Result<Cache> {
    Ok(match &settings.redis.url {
        Some(url) => {
            let redis = RedisCache::new(
                url.expose_secret(),
                &settings.redis.key_prefix,
                Duration::from_millis(settings.redis.timeout_ms),
            )?;
            Cache::redis(redis, metrics)
        }
        None => Cache::memory(settings.cache.max_entries, metrics),
    })
}

impl Application {
    /// Connects, migrates and binds; the server runs once [`Application::run`] is awaited.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = db::connect(&settings.database).await?;
        db::migrate(&db).await?;
        Self::build_with_db(settings, db).await
    }

    pub async fn build_with_db(settings: Settings, db: DatabaseConnection) -> anyhow::Result<Self> {
        // Only the ring provider is compiled in; installing it twice (tests) is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let metrics = Arc::new(Metrics::new()?);
        let cache = build_cache(&settings, metrics.clone())?;
        let wechat = WechatClient::new(&settings.wechat, cache.clone(), metrics.clone())?;
        let spec = spec();
        let clock = crate::time::Clock::system();
        let calendar = Arc::new(crate::calendar::load_for_start(
            &settings.holidays_dir(),
            clock.now(),
        )?);
        let settings = Arc::new(settings);
        // What extractors, middleware and single routes need, each its own app_data.
        let jwt = web::Data::new(JwtKeys::new(
            &settings.auth.jwt_secret,
            settings.auth.access_ttl_secs,
        ));
        let order_batcher = web::Data::new(OrderBatcher::new(db.clone(), cache.clone()));
        let routes = web::Data::new(RouteTable::from_spec(&spec));
        let document = web::Data::new(ApiDocument(openapi::to_yaml(&spec)));
        let metrics_data = web::Data::from(metrics);
        let body_limit = BodyLimit(settings.server.body_limit);
        let state = web::Data::new(AppState {
            db,
            cache,
            wechat,
            settings,
            clock,
            calendar,
        });

        let listener = TcpListener::bind((
            state.settings.server.host.as_str(),
            state.settings.server.port,
        ))?;
        let port = listener.local_addr()?.port();
        let workers = state.settings.server.workers;
        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .app_data(app_state.clone())
                .app_data(jwt.clone())
                .app_data(order_batcher.clone())
                .app_data(routes.clone())
                .app_data(document.clone())
                .app_data(metrics_data.clone())
                .app_data(body_limit)
                .app_data(web::QueryConfig::default().error_handler(extract::query_error))
                .app_data(web::PathConfig::default().error_handler(extract::path_error))
                .configure(ops::configure)
                .service(scope::scope("/api/v1").configure(api_v1))
                .split_for_parts();
            app.default_service(web::to(ops::fallback))
                .wrap(from_fn(telemetry::request_context))
        })
        .listen(listener)?
        .shutdown_timeout(10);
        if workers > 0 {
            server = server.workers(workers);
        }
        crate::notices::push::spawn(
            state.clone(),
            Duration::from_millis(state.settings.jobs.sweep_interval_ms),
        );
        crate::subscriptions::sender::spawn(
            state.clone(),
            Duration::from_millis(state.settings.jobs.sweep_interval_ms),
        );
        crate::idempotency::spawn_purge(state.db.clone());
        crate::requests::spawn_jobs(
            state.clone(),
            Duration::from_millis(state.settings.jobs.sweep_interval_ms),
        );
        crate::group_buys::settlement::spawn(
            state.db.clone(),
            state.cache.clone(),
            Duration::from_millis(state.settings.jobs.sweep_interval_ms),
        );
        Ok(Self {
            port,
            server: server.run(),
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}
