//! Fixed-window rate limits kept in the shared cache, so every instance
//! counts together. When Redis is down each instance counts on its own, in
//! process, until it is back: limits hold, per instance, rather than switch off.
//!
//! Besides the limits handlers ask for (logins, pickup look-ups), the
//! `auth::write_limits` middleware counts every write under `/api/v1` per
//! signed-in user and per address, and every route that spends WeChat quota.

use std::time::Duration;

use actix_web::HttpRequest;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::settings::ServerSettings;
use crate::state::AppState;

/// The client's address: the peer, or with `server.trust_forwarded_for` the
/// `X-Forwarded-For` hop `server.trusted_proxies` places from the right end
/// (each of our proxies appends the address it saw; anything left of that is
/// written by the client and ignored). A list shorter than that, or a hop
/// that is not an IP address, falls back to the peer.
pub fn client_ip(req: &HttpRequest, server: &ServerSettings) -> String {
    if server.trust_forwarded_for
        && server.trusted_proxies > 0
        && let Some(hop) = forwarded_hop(req, server.trusted_proxies)
    {
        return hop.to_string();
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn forwarded_hop(req: &HttpRequest, from_right: usize) -> Option<std::net::IpAddr> {
    // Several X-Forwarded-For headers are one list, in order.
    let hops: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let index = hops.len().checked_sub(from_right)?;
    hops.get(index)?.parse().ok()
}

/// Counts one attempt of `action` by this client; 429 with `Retry-After` past `per_minute`.
pub async fn limit_per_minute(
    state: &AppState,
    req: &HttpRequest,
    action: &str,
    per_minute: i64,
) -> ApiResult<()> {
    let ip = client_ip(req, &state.settings.server);
    limit_subject_per_minute(state, action, &ip, per_minute).await
}

/// Counts one attempt of `action` by `subject` (an account, a shop rather
/// than an address); 429 with `Retry-After` past `per_minute`.
pub async fn limit_subject_per_minute(
    state: &AppState,
    action: &str,
    subject: &str,
    per_minute: i64,
) -> ApiResult<()> {
    let key = crate::cache::keys::rate_limit(action, subject);
    match state.cache.incr_window(&key, Duration::from_secs(60)).await {
        Ok(window) if window.count > per_minute => {
            let secs = window.resets_in.as_secs() + u64::from(window.resets_in.subsec_nanos() > 0);
            Err(ApiError::new(ErrorCode::RateLimited).retry_after(secs.max(1)))
        }
        _ => Ok(()),
    }
}

/// The login endpoints' limit (`rate_limit.login_per_minute`).
pub async fn login(state: &AppState, req: &HttpRequest) -> ApiResult<()> {
    limit_per_minute(
        state,
        req,
        "login",
        state.settings.rate_limit.login_per_minute,
    )
    .await
}
