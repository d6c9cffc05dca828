//! Console sessions. The console keeps its access token in memory only; the
//! refresh token lives in an `HttpOnly; Secure; SameSite=Strict` cookie that
//! only the console's session endpoints receive, so page scripts never read
//! it. Tokens are the auth service's own (rotation, reuse detection).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use entity::{admin_community, merchant, merchant_staff, user};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::service::TokenPair;
use crate::auth::{Role, parse_roles};
use crate::error::{ApiError, ApiResult};
use crate::me::UserView;
use crate::merchants::access::ShopRole;
use crate::settings::Settings;

pub const REFRESH_COOKIE: &str = "yz_console_refresh";
/// The cookie goes only to `/api/v1/console/session` and below.
pub const COOKIE_PATH: &str = "/api/v1/console/session";

/// Roles the console has pages for; a ticket confirmed by anyone else is refused.
pub const CONSOLE_ROLES: [Role; 3] = [Role::Merchant, Role::CommunityAdmin, Role::PlatformAdmin];

/// What the console needs to start: the access token and who the user is.
/// The refresh token is in the cookie, never in the body.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsoleSession {
    pub access_token: String,
    /// Access token lifetime in seconds.
    pub expires_in: i64,
    pub token_type: String,
    pub user: UserView,
    /// Communities the user administers; `null` = every community (platform
    /// admin); empty for non-admins.
    pub admin_community_ids: Option<Vec<i64>>,
    /// Shops the user owns, suspended ones included.
    pub merchants: Vec<OwnedShop>,
}

/// A shop the user works at: as its owner (every merchant page) or as a
/// clerk (店员: the order and pickup desk only).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OwnedShop {
    pub id: i64,
    pub name: String,
    pub status: entity::merchant::MerchantStatus,
    pub role: crate::merchants::access::ShopRole,
}

/// The user's communities (as admin) and shops (owned first, then those they clerk at).
async fn context(
    db: &impl ConnectionTrait,
    u: &UserView,
) -> ApiResult<(Option<Vec<i64>>, Vec<OwnedShop>)> {
    let admin_community_ids = if u.roles.contains(&Role::PlatformAdmin) {
        None
    } else if u.roles.contains(&Role::CommunityAdmin) {
        Some(
            admin_community::Entity::find()
                .select_only()
                .column(admin_community::Column::CommunityId)
                .filter(admin_community::Column::UserId.eq(u.id))
                .order_by_asc(admin_community::Column::CommunityId)
                .into_tuple::<i64>()
                .all(db)
                .await?,
        )
    } else {
        Some(Vec::new())
    };
    let owned = merchant::Entity::find()
        .filter(merchant::Column::OwnerUserId.eq(u.id))
        .order_by_asc(merchant::Column::Id)
        .all(db)
        .await?;
    let clerked = merchant::Entity::find()
        .filter(
            merchant::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(merchant_staff::Column::MerchantId)
                    .from(merchant_staff::Entity)
                    .and_where(
                        sea_orm::sea_query::Expr::col(merchant_staff::Column::UserId).eq(u.id),
                    )
                    .to_owned(),
            ),
        )
        .order_by_asc(merchant::Column::Id)
        .all(db)
        .await?;
    let shop = |m: merchant::Model, role| OwnedShop {
        id: m.id,
        name: m.name,
        status: m.status,
        role,
    };
    let merchants = owned
        .into_iter()
        .map(|m| shop(m, ShopRole::Owner))
        .chain(clerked.into_iter().map(|m| shop(m, ShopRole::Clerk)))
        .collect();
    Ok((admin_community_ids, merchants))
}

/// True when the user has a console page to see: a console role, or a
/// clerk's place at some shop's desk.
pub async fn may_use_console(db: &impl ConnectionTrait, u: &user::Model) -> ApiResult<bool> {
    let roles = parse_roles(&u.roles);
    if CONSOLE_ROLES.iter().any(|r| roles.contains(r)) {
        return Ok(true);
    }
    Ok(merchant_staff::Entity::find()
        .filter(merchant_staff::Column::UserId.eq(u.id))
        .one(db)
        .await?
        .is_some())
}

/// A pair the auth service issued, as the console receives it: the session
/// body, and the refresh token for the cookie.
pub async fn session_of(
    db: &impl ConnectionTrait,
    pair: TokenPair,
) -> ApiResult<(ConsoleSession, String)> {
    let (admin_community_ids, merchants) = context(db, &pair.user).await?;
    Ok((
        ConsoleSession {
            access_token: pair.access_token,
            expires_in: pair.expires_in,
            token_type: pair.token_type,
            user: pair.user,
            admin_community_ids,
            merchants,
        },
        pair.refresh_token,
    ))
}

/// The header that stores the refresh token in the browser.
pub fn set_cookie(refresh_token: &str, settings: &Settings) -> (header::HeaderName, String) {
    let max_age = settings.auth.refresh_ttl_days.saturating_mul(86_400);
    (
        header::SET_COOKIE,
        cookie(refresh_token, max_age, settings.console.secure_cookie),
    )
}

/// The header that drops it.
pub fn clear_cookie(settings: &Settings) -> (header::HeaderName, String) {
    (
        header::SET_COOKIE,
        cleared_cookie(settings.console.secure_cookie),
    )
}

/// Session answers are never cached.
pub const NO_STORE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "no-store");

/// The `Set-Cookie` value carrying a refresh token.
pub fn cookie(refresh_token: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{REFRESH_COOKIE}={refresh_token}; Path={COOKIE_PATH}; Max-Age={max_age_secs}; HttpOnly;{} SameSite=Strict",
        if secure { " Secure;" } else { "" }
    )
}

/// The `Set-Cookie` value that deletes the cookie.
pub fn cleared_cookie(secure: bool) -> String {
    cookie("", 0, secure)
}

/// The refresh token the browser sent, if any.
pub fn presented(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == REFRESH_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// An error answer that also drops the cookie (a refresh that failed for good).
pub fn failed(err: ApiError, settings: &Settings) -> HttpResponse {
    let mut response = actix_web::ResponseError::error_response(&err);
    let (name, value) = clear_cookie(settings);
    if let Ok(value) = header::HeaderValue::from_str(&value) {
        response.headers_mut().append(name, value);
    }
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_cookie_is_http_only_strict_and_scoped_to_the_session_path() {
        let c = super::cookie("tok", 60, true);
        assert_eq!(
            c,
            "yz_console_refresh=tok; Path=/api/v1/console/session; Max-Age=60; HttpOnly; Secure; SameSite=Strict"
        );
        assert!(!super::cookie("tok", 60, false).contains("Secure"));
        assert!(super::cleared_cookie(true).contains("Max-Age=0"));
    }
}
