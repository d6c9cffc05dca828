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
use crate::settings::{PaymentProvider, Settings};
use crate::state::AppState;
use crate::telemetry::{self, Metrics};
use crate::wechat::WechatClient;
use crate::wechatpay::WechatPayClient;
use crate::{
    admins, auth, backup, bookings, catalog, communities, db, extract, group_buys, helpers, me,
    openapi, ops,
};

/// Every `/api/v1` route.
/// actix tries routes in registration order, matching each path pattern with
/// a regex, so the public reads every resident makes come first.
fn api_v1(cfg: &mut ServiceConfig) {
    cfg.configure(crate::goods::configure)
        .configure(group_buys::configure)
        .configure(crate::orders::configure)
        .configure(crate::pay_notify::configure)
        .configure(crate::shop::configure)
        .configure(crate::after_sales::configure)
        .configure(crate::notices::configure)
        .configure(communities::configure)
        .configure(crate::merchants::configure)
        .configure(crate::promotions::configure)
        .configure(catalog::configure)
        .configure(auth::routes::configure)
        .configure(me::configure)
        .configure(crate::inbox::configure)
        .configure(crate::bindings::configure)
        .configure(admins::configure)
        .configure(helpers::configure)
        .configure(bookings::configure)
        .configure(crate::stats::configure)
        .configure(crate::subscriptions::configure)
        .configure(crate::uploads::configure)
        .configure(crate::content::configure)
        .configure(crate::console::configure)
        .configure(crate::requests::configure)
        .configure(crate::departments::configure)
        .configure(crate::components::configure)
        .configure(crate::grid::configure)
        .configure(crate::surveys::configure)
        .configure(crate::odd_jobs::configure)
        .configure(crate::lending::configure)
        .configure(crate::points::configure)
        .configure(crate::shelf::configure)
        .configure(crate::wishes::configure)
        .configure(crate::activities::configure)
        .configure(crate::canteen::configure);
}

/// The OpenAPI document of exactly the routes the server registers.
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, mut spec) = App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .configure(ops::configure)
        .configure(crate::media::routes::configure)
        .service(scope::scope("/api/v1").configure(api_v1))
        .split_for_parts();
    openapi::conventions::apply(&mut spec);
    spec
}

pub struct Application {
    port: u16,
    server: Server,
    /// `GET /metrics` alone on `metrics.addr`, when set.
    metrics_server: Option<Server>,
    metrics_port: Option<u16>,
    state: web::Data<AppState>,
    /// Held while the server runs, so `yizhan restore` refuses meanwhile.
    serve_lock: Option<backup::ServeLock>,
}

/// Builds the cache the settings ask for: Redis when `redis.url` is set.
pub fn build_cache(settings: &Settings, metrics: Arc<Metrics>) -> anyhow::Result<Cache> {
    Ok(match &settings.redis.url {
        Some(url) => {
            let redis = RedisCache::new(
                url.expose_secret(),
                &settings.redis.key_prefix,
                Duration::from_millis(settings.redis.timeout_ms),
                settings.cache.max_bytes,
            )?;
            Cache::redis(redis, metrics)
        }
        None => Cache::memory(
            settings.cache.max_bytes,
            settings.cache.max_entries,
            metrics,
        ),
    }
    .with_max_value_bytes(settings.cache.max_value_bytes))
}

/// The WeChat Pay client when `payments.provider = "wechat"`. Settings that
/// do not load were refused by [`Settings::load`]; settings built by hand
/// (tests) without them leave WeChat Pay unavailable (503 on `pay`).
fn wechat_pay_client(
    settings: &Settings,
    metrics: Arc<Metrics>,
) -> anyhow::Result<Option<WechatPayClient>> {
    if settings.payments.provider != PaymentProvider::Wechat {
        return Ok(None);
    }
    match settings.wechatpay.load(&settings.wechat.app_id) {
        Ok(config) => Ok(Some(WechatPayClient::new(config, metrics)?)),
        Err(err) => {
            tracing::error!(error = %err, "WeChat Pay is not configured: orders cannot be paid");
            Ok(None)
        }
    }
}

impl Application {
    /// Connects, migrates and binds; the server runs once [`Application::run`] is awaited.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let _serving = serve_lock(&settings)?;
        let db = db::connect(&settings.database).await?;
        backup::before_migrations(&db, &settings, backup::SchemaChange::Up).await?;
        db::migrate(&db).await?;
        Self::build_with_db(settings, db).await
    }

    pub async fn build_with_db(settings: Settings, db: DatabaseConnection) -> anyhow::Result<Self> {
        // Only the ring provider is compiled in; installing it twice (tests) is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let serve_lock = serve_lock(&settings)?;
        let metrics = Arc::new(Metrics::new()?);
        let cache = build_cache(&settings, metrics.clone())?;
        let wechat = WechatClient::new(&settings.wechat, cache.clone(), metrics.clone())?;
        let wechatpay = wechat_pay_client(&settings, metrics.clone())?;
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
        drop(spec);
        crate::allocator::trim();
        // The backup schedule on SQLite, and its monitor for /readyz and /metrics.
        let backups = backup::start(&settings, &db, &metrics)?;
        let metrics_data = web::Data::from(metrics);
        let metrics_access = web::Data::new(ops::MetricsAccess::for_main_listener(&settings));
        let metrics_listener = if settings.metrics.addr.is_empty() {
            None
        } else {
            Some(ops::metrics_server(
                &settings.metrics.addr,
                metrics_data.clone(),
            )?)
        };
        let media = web::Data::new(crate::media::MediaStore::new(&settings.media)?);
        let body_limit = BodyLimit(settings.server.body_limit);
        let state = web::Data::new(AppState {
            db,
            cache,
            wechat,
            wechatpay,
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
        let media_store = media.get_ref().clone();
        let mut server = HttpServer::new(move || {
            // One worker builds its routes at a time, so the copies of the
            // API document they make and drop are not all held at once.
            let _one_at_a_time = ROUTE_BUILDS
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let (app, _) = App::new()
                .into_utoipa_app()
                .app_data(app_state.clone())
                .app_data(jwt.clone())
                .app_data(order_batcher.clone())
                .app_data(routes.clone())
                .app_data(document.clone())
                .app_data(metrics_data.clone())
                .app_data(metrics_access.clone())
                .app_data(backups.clone())
                .app_data(body_limit)
                .app_data(web::QueryConfig::default().error_handler(extract::query_error))
                .app_data(web::PathConfig::default().error_handler(extract::path_error))
                .app_data(media.clone())
                .configure(ops::configure)
                .configure(crate::media::routes::configure)
                .service(scope::scope("/api/v1").configure(api_v1))
                .split_for_parts();
            let app = app
                .configure(crate::console::configure_files)
                .default_service(web::to(ops::fallback))
                .wrap(from_fn(crate::inbox::tracking::middleware))
                .wrap(from_fn(crate::auth::gate::admins_only))
                .wrap(from_fn(crate::auth::write_limits::limit_writes))
                .wrap(from_fn(extract::refuse_nul_in_url))
                .wrap(from_fn(extract::refuse_large_headers))
                .wrap(from_fn(telemetry::request_context));
            // The worker's copy of the API document was built and dropped
            // with the routes: its pages go back now (see `allocator`).
            crate::allocator::trim();
            app
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
        crate::uploads::service::spawn_sweeps(
            state.db.clone(),
            media_store,
            state.wechat.clone(),
            state.settings.content.check_enabled,
        );
        crate::requests::spawn_jobs(
            state.clone(),
            Duration::from_millis(state.settings.jobs.sweep_interval_ms),
        );
        spawn_text_rechecks(state.clone());
        crate::lending::spawn_sweep(
            state.clone(),
            Duration::from_millis(state.settings.jobs.sweep_interval_ms),
        );
        crate::points::spawn_jobs(
            state.clone(),
            Duration::from_millis(state.settings.jobs.sweep_interval_ms),
        );
        crate::wishes::spawn_jobs(
            state.clone(),
            Duration::from_millis(state.settings.jobs.sweep_interval_ms),
        );
        crate::activities::sweep::spawn(
            state.clone(),
            Duration::from_millis(state.settings.jobs.sweep_interval_ms),
        );
        crate::group_buys::settlement::spawn(
            state.db.clone(),
            state.cache.clone(),
            Duration::from_millis(state.settings.jobs.sweep_interval_ms),
        );
        crate::shop::sweep::spawn(
            state.clone(),
            Duration::from_millis(state.settings.jobs.sweep_interval_ms),
        );
        crate::group_buys::payment_sweep::spawn(
            state.clone(),
            Duration::from_millis(state.settings.jobs.payment_sweep_interval_ms),
        );
        let (metrics_server, metrics_port) = metrics_listener.unzip();
        Ok(Self {
            port,
            server: server.run(),
            metrics_server,
            metrics_port,
            state,
            serve_lock,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of `metrics.addr`'s listener, when configured.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Stops the server from outside (tests).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run(self) -> std::io::Result<()> {
        let _serving = self.serve_lock;
        crate::allocator::spawn_trims();
        match self.metrics_server {
            // The metrics listener stops with the main one.
            Some(metrics) => {
                let handle = metrics.handle();
                let metrics = tokio::spawn(metrics);
                let served = self.server.await;
                handle.stop(true).await;
                let _ = metrics.await;
                served
            }
            None => self.server.await,
        }
    }
}

/// Held by the HTTP worker building its routes (see `Application::build_with_db`).
static ROUTE_BUILDS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The shared lock on a SQLite database file a server holds (none on PostgreSQL).
fn serve_lock(settings: &Settings) -> anyhow::Result<Option<backup::ServeLock>> {
    Ok(match backup::sqlite_file(&settings.database) {
        Some(file) => Some(backup::ServeLock::shared(&file)?),
        None => None,
    })
}

/// Asks WeChat again about every kind of checked text saved while it was
/// unreachable (`content::recheck`); answers how many rows were settled.
pub async fn recheck_texts(state: &AppState) -> crate::error::ApiResult<u64> {
    use crate::content::recheck::recheck;
    Ok(recheck::<crate::goods::moderation::GoodsText>(state).await?
        + recheck::<crate::merchants::moderation::ShopText>(state).await?
        + recheck::<crate::bookings::review::ReviewText>(state).await?)
}

/// How often each instance asks WeChat again about text it could not judge.
const RECHECK_TEXTS_EVERY: Duration = Duration::from_secs(60);

/// Runs [`recheck_texts`] on every instance (each settle is a conditional update).
fn spawn_text_rechecks(state: web::Data<AppState>) {
    crate::jobs::repeat("text checks", RECHECK_TEXTS_EVERY, move || {
        let state = state.clone();
        async move { recheck_texts(&state).await }
    });
}
