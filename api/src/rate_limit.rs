//! Fixed-window rate limits kept in the shared cache, so every instance
//! counts together. When the cache is down the limit is not enforced: the
//! API stays up rather than locking everyone out.

use std::time::Duration;

use actix_web::HttpRequest;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

/// The client's address: the peer, or the first `X-Forwarded-For` hop when
/// `server.trust_forwarded_for` says a proxy we run sets it.
pub fn client_ip(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for
        && let Some(first) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    {
        return first.to_owned();
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Counts one attempt of `action` by this client; 429 with `Retry-After` past `per_minute`.
pub async fn limit_per_minute(
    state: &AppState,
    req: &HttpRequest,
    action: &str,
    per_minute: i64,
) -> ApiResult<()> {
    let ip = client_ip(req, state.settings.server.trust_forwarded_for);
    let key = crate::cache::keys::rate_limit(action, &ip);
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
