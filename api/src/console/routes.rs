//! `/console/session*` (the refresh cookie) and `/console/login-tickets*`
//! (scan to log in).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::session::{self, ConsoleSession, NO_STORE};
use super::tickets::{self, Polled};
use crate::auth::AuthUser;
use crate::auth::jwt::JwtKeys;
use crate::auth::service as auth;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode, FieldError};
use crate::extract::Json;
use crate::rate_limit;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(open_session)
        .service(refresh_session)
        .service(close_session)
        .service(create_ticket)
        .service(poll_ticket)
        .service(confirm_ticket);
}

#[derive(Deserialize, ToSchema)]
pub struct OpenSession {
    /// The refresh token of a pair just issued (`POST /auth/admin/login`);
    /// spent here, its successor goes into the cookie.
    pub refresh_token: String,
}

/// Move a fresh login into the console's cookie: spends the refresh token and
/// answers the session, with the next refresh token in an `HttpOnly` cookie
/// on `/api/v1/console/session`.
#[utoipa::path(
    tag = "console",
    request_body = OpenSession,
    responses(
        (status = 200, body = ConsoleSession, headers(("Set-Cookie" = String, description = "yz_console_refresh=…; Path=/api/v1/console/session; HttpOnly; Secure; SameSite=Strict"))),
        (status = 401, description = "REFRESH_TOKEN_INVALID or REFRESH_TOKEN_REUSED", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    )
)]
#[post("/console/session")]
async fn open_session(
    state: web::Data<AppState>,
    keys: web::Data<JwtKeys>,
    req: HttpRequest,
    body: Json<OpenSession>,
) -> ApiResult<HttpResponse> {
    rate_limit::login(&state, &req).await?;
    let token = body.refresh_token.trim();
    // A blank or overlong token is just one that was never issued.
    if token.is_empty() || token.len() > 256 || token.contains('\0') {
        return Err(ErrorCode::RefreshTokenInvalid.into());
    }
    let pair = auth::rotate(
        &state.db,
        &keys,
        state.settings.auth.refresh_ttl_days,
        token,
    )
    .await?;
    let (console, refresh) = session::session_of(&state.db, pair).await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .insert_header(session::set_cookie(&refresh, &state.settings))
        .json(console))
}

/// New access token from the refresh cookie; the cookie rotates. A spent
/// cookie (a stolen copy replayed) signs the whole session out.
#[utoipa::path(
    tag = "console",
    params(("Cookie" = String, Header, description = "yz_console_refresh=…")),
    responses(
        (status = 200, body = ConsoleSession, headers(("Set-Cookie" = String, description = "The next refresh token"))),
        (status = 401, description = "REFRESH_TOKEN_INVALID (no cookie, unknown or expired) or REFRESH_TOKEN_REUSED; the cookie is cleared", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    )
)]
#[post("/console/session/refresh")]
async fn refresh_session(
    state: web::Data<AppState>,
    keys: web::Data<JwtKeys>,
    req: HttpRequest,
) -> HttpResponse {
    let rotated = async {
        rate_limit::login(&state, &req).await?;
        let presented = session::presented(&req)
            .ok_or_else(|| ApiError::new(ErrorCode::RefreshTokenInvalid))?;
        let pair = auth::rotate(
            &state.db,
            &keys,
            state.settings.auth.refresh_ttl_days,
            &presented,
        )
        .await?;
        session::session_of(&state.db, pair).await
    }
    .await;
    match rotated {
        Ok((console, refresh)) => HttpResponse::Ok()
            .insert_header(NO_STORE)
            .insert_header(session::set_cookie(&refresh, &state.settings))
            .json(console),
        // Keep the cookie when only the rate limit or the server failed.
        Err(err) if err.code.status().as_u16() == 401 => session::failed(err, &state.settings),
        Err(err) => actix_web::ResponseError::error_response(&err),
    }
}

/// Sign the console out: revokes the cookie's session (its refresh and access
/// tokens) and clears the cookie. Answers 204 without a cookie too.
#[utoipa::path(
    tag = "console",
    params(("Cookie" = Option<String>, Header, description = "yz_console_refresh=…")),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared", headers(("Set-Cookie" = String, description = "Max-Age=0"))),
    )
)]
#[post("/console/session/logout")]
async fn close_session(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    if let Some(presented) = session::presented(&req) {
        auth::revoke_by_refresh_token(&state.db, &presented).await?;
    }
    Ok(HttpResponse::NoContent()
        .insert_header(NO_STORE)
        .insert_header(session::clear_cookie(&state.settings))
        .finish())
}

/// A new ticket: what the console shows, and the secret it polls with.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TicketView {
    /// 22 characters; the scene of the mini-program code.
    pub id: String,
    /// Send it as `X-Ticket-Secret` when polling; only this browser can collect the session.
    pub secret: String,
    /// Confirmation is refused from then on.
    pub expires_at: DateTime<Utc>,
    /// `wxacode` (a mini-program code drawn by WeChat, scene = the ticket) or
    /// `qr` (a plain QR code of `console.qr_link?ticket=<id>`).
    pub code_kind: String,
    /// What the code encodes.
    pub code_content: String,
    /// The code as a `data:` URL (PNG or JPEG).
    pub code_image: String,
}

/// Where a ticket stands.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TicketState {
    /// `pending`, or `confirmed` with the session (given once; the refresh
    /// token is set as the console's cookie).
    pub status: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub session: Option<ConsoleSession>,
}

/// Start a scan-to-log-in: a one-time ticket with the code to scan.
#[utoipa::path(
    tag = "console",
    responses(
        (status = 201, body = TicketView),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    )
)]
#[post("/console/login-tickets")]
async fn create_ticket(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    rate_limit::login(&state, &req).await?;
    let created = tickets::create(&state.db, state.settings.console.ticket_ttl_secs).await?;
    let code = super::code::for_ticket(&state, &created.id).await?;
    Ok(HttpResponse::Created()
        .insert_header(NO_STORE)
        .json(TicketView {
            id: created.id,
            secret: created.secret,
            expires_at: created.expires_at,
            code_kind: code.kind.to_owned(),
            code_content: code.content,
            code_image: code.image,
        }))
}

/// Poll a ticket (the browser that created it). Once the user has confirmed,
/// the first poll answers the session and sets the refresh cookie; the ticket
/// is then spent.
#[utoipa::path(
    tag = "console",
    params(
        ("id" = String, Path, description = "Ticket id"),
        ("X-Ticket-Secret" = String, Header, description = "The secret from the ticket's creation"),
    ),
    responses(
        (status = 200, body = TicketState, headers(("Set-Cookie" = String, description = "Once confirmed: the refresh token"))),
        (status = 404, description = "LOGIN_TICKET_NOT_FOUND: unknown id or wrong secret", body = ErrorBody),
        (status = 409, description = "LOGIN_TICKET_EXPIRED or LOGIN_TICKET_USED (the session was handed over already)", body = ErrorBody),
    )
)]
#[get("/console/login-tickets/{id}")]
async fn poll_ticket(
    state: web::Data<AppState>,
    keys: web::Data<JwtKeys>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    reject_nul(&id)?;
    let secret = req
        .headers()
        .get("x-ticket-secret")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match tickets::poll(
        &state.db,
        &keys,
        state.settings.auth.refresh_ttl_days,
        &id,
        secret,
    )
    .await?
    {
        Polled::Pending { expires_at } => {
            Ok(HttpResponse::Ok()
                .insert_header(NO_STORE)
                .json(TicketState {
                    status: "pending".into(),
                    expires_at: Some(expires_at),
                    session: None,
                }))
        }
        Polled::HandedOver(pair) => {
            let (console, refresh) = session::session_of(&state.db, *pair).await?;
            Ok(HttpResponse::Ok()
                .insert_header(NO_STORE)
                .insert_header(session::set_cookie(&refresh, &state.settings))
                .json(TicketState {
                    status: "confirmed".into(),
                    expires_at: None,
                    session: Some(console),
                }))
        }
    }
}

/// Confirm a ticket in the mini-program (the user who scanned it): the
/// console that shows it signs in as this user. Only users with a console
/// role (merchant, admins) can.
#[utoipa::path(
    tag = "console",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id (the code's scene)")),
    responses(
        (status = 204, description = "Confirmed"),
        (status = 401, description = "UNAUTHORIZED, TOKEN_INVALID or TOKEN_EXPIRED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: the user has nothing to manage in the console (not a merchant, an admin or a shop's clerk)", body = ErrorBody),
        (status = 404, description = "LOGIN_TICKET_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "LOGIN_TICKET_EXPIRED or LOGIN_TICKET_USED (confirmed already)", body = ErrorBody),
    )
)]
#[post("/console/login-tickets/{id}/confirm")]
async fn confirm_ticket(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    if !session::may_use_console(&state.db, &me.user).await? {
        return Err(ApiError::new(ErrorCode::Forbidden).message("该账号没有可管理的店铺或社区"));
    }
    reject_nul(&id)?;
    tickets::confirm(&state.db, &id, me.id()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// NUL bytes in a path are a bad request, as everywhere in the API.
fn reject_nul(value: &str) -> ApiResult<()> {
    if value.contains('\0') {
        return Err(ApiError::new(ErrorCode::InvalidQuery)
            .details(serde_json::json!({ "fields": [FieldError::new("id", "不能包含空字符")] })));
    }
    Ok(())
}
