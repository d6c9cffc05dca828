//! Logs, request ids and Prometheus metrics.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};
use serde::Deserialize;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served, or an empty string outside one.
pub fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// `log.*`: how and how much the server logs.
#[derive(Clone, Debug, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line, for log collectors.
    Json,
    /// Human-readable lines, for a terminal.
    Pretty,
}

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(settings: &LogSettings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if settings.format == LogFormat::Json {
        // Every span of the event: the request's (request id, user) and the
        // handler's and services' (merchant, campaign, order no ...).
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// Every metric the API exports, in one registry per application instance.
pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_latency: HistogramVec,
    pub cache_ops: IntCounterVec,
    pub wechat_calls: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("yizhan".into()), None)?;
        let http_requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["route", "method", "status"],
        )?;
        let http_latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            ),
            &["route"],
        )?;
        let cache_ops = IntCounterVec::new(
            Opts::new(
                "cache_operations_total",
                "Cache lookups by outcome: hit, miss, error",
            ),
            &["outcome"],
        )?;
        let wechat_calls = IntCounterVec::new(
            Opts::new("wechat_calls_total", "Calls to WeChat by API and outcome"),
            &["api", "outcome"],
        )?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_latency.clone()))?;
        registry.register(Box::new(cache_ops.clone()))?;
        registry.register(Box::new(wechat_calls.clone()))?;
        if let Some(panics) = crate::jobs::JOB_PANICS.as_ref() {
            registry.register(Box::new(panics.clone()))?;
        }
        Ok(Self {
            registry,
            http_requests,
            http_latency,
            cache_ops,
            wechat_calls,
        })
    }

    /// Adds a module's own metrics (the backup schedule's) to this registry.
    pub fn register(
        &self,
        collector: impl prometheus::core::Collector + 'static,
    ) -> Result<(), prometheus::Error> {
        self.registry.register(Box::new(collector))
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        if let Err(err) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::error!(%err, "metrics encoding failed");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

fn request_id_from(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned)
        // A random v4 UUID from the thread-local generator: `new_v4` would
        // ask the kernel for randomness on every request.
        .unwrap_or_else(|| {
            uuid::Builder::from_random_bytes(rand::random())
                .into_uuid()
                .simple()
                .to_string()
        })
}

/// Outermost middleware: request id (taken from the request when sane),
/// one log line per request, and the HTTP metrics.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = request_id_from(&req);
    let started = Instant::now();
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    // `user_id` is recorded by the `AuthUser` extractor once it knows the caller.
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        %method,
        %path,
        user_id = tracing::field::Empty
    );

    // Handlers turn their errors into responses inside this scope, so error
    // bodies carry the request id. (Cloning the request here would break routing.)
    let mut res = REQUEST_ID
        .scope(request_id.clone(), next.call(req))
        .instrument(span.clone())
        .await?;

    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let status = res.status().as_u16();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let elapsed = started.elapsed();
    if let Some(metrics) = metrics {
        let status_label = status.to_string();
        metrics
            .http_requests
            .with_label_values(&[route.as_str(), method.as_str(), status_label.as_str()])
            .inc();
        metrics
            .http_latency
            .with_label_values(&[route.as_str()])
            .observe(elapsed.as_secs_f64());
    }
    span.in_scope(|| {
        tracing::info!(
            route = %route,
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request served"
        )
    });
    Ok(res)
}
