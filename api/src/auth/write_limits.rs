//! Rate limits on every write under `/api/v1` per signed-in user and per
//! client address, and on every route that spends WeChat quota: 429
//! `RATE_LIMITED` with `Retry-After`, before the handler runs. Counted in the
//! shared cache (`rate_limit`), in process while Redis is down.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, web};

use super::jwt::JwtKeys;
use crate::rate_limit::{client_ip, limit_subject_per_minute};
use crate::state::AppState;

/// Paths under `/api/v1` the write limits leave alone: logins (limited
/// above) and WeChat's own callbacks (WeChat's servers, not clients).
const UNLIMITED: [&str; 3] = [
    "/api/v1/auth/",
    "/api/v1/payments/wechat/",
    "/api/v1/wechat/",
];

/// Whether the route spends WeChat quota (phone numbers, mini-program codes).
fn calls_wechat(method: &Method, path: &str) -> bool {
    (method == Method::POST
        && (path == "/api/v1/me/phone" || path == "/api/v1/console/login-tickets"))
        || (method == Method::GET && (path.ends_with("/qrcode") || path.ends_with("/qrcodes.pdf")))
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a request to `path` (a concrete path or the document's template)
/// passes the limits, and so may be answered 429.
pub fn is_limited(method: &Method, path: &str) -> bool {
    path.starts_with("/api/v1/")
        && (is_write(method) || calls_wechat(method, path))
        && !UNLIMITED.iter().any(|p| path.starts_with(p))
}

/// Middleware: 429 `RATE_LIMITED` with `Retry-After` past the write limits
/// (`rate_limit.writes_per_minute_per_user`, `…_per_ip`) or the WeChat
/// limit (`rate_limit.wechat_per_minute`), before the handler runs.
pub async fn limit_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let path = req.path();
    let write = is_write(req.method());
    let wechat = calls_wechat(req.method(), path);
    let limited = is_limited(req.method(), path);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (true, Some(state)) = (limited, state) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let user = signed_in_user(req.request());
    let ip = client_ip(req.request(), &state.settings.server);
    let limits = &state.settings.rate_limit;
    let mut checks = Vec::new();
    if write {
        checks.push(("write-ip", ip.clone(), limits.writes_per_minute_per_ip));
        if let Some(user) = &user {
            checks.push((
                "write-user",
                user.clone(),
                limits.writes_per_minute_per_user,
            ));
        }
    }
    if wechat {
        checks.push(("wechat-ip", ip, limits.wechat_per_minute.saturating_mul(10)));
        if let Some(user) = &user {
            checks.push(("wechat-user", user.clone(), limits.wechat_per_minute));
        }
    }
    for (action, subject, per_minute) in checks {
        if let Err(err) = limit_subject_per_minute(&state, action, &subject, per_minute).await {
            return Ok(req.error_response(err).map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The user id a valid access token names (signature and expiry checked,
/// not the session: that is the handler's business). None without one.
fn signed_in_user(req: &HttpRequest) -> Option<String> {
    let keys = req.app_data::<web::Data<JwtKeys>>()?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    keys.decode_access(token.trim())
        .ok()
        .map(|claims| claims.sub)
}
