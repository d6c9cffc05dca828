//! The OpenAPI document, generated from the handlers' annotations.
//! `openapi.yaml` at the repository root is this document, committed; a test
//! fails when they differ (`UPDATE_OPENAPI=1 cargo test` rewrites it).

pub mod conventions;

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorBody, ErrorCode, ErrorDetail, FieldError};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "驿站 (yizhan) API",
        description = "Backend of the 便民服务驿站 WeChat mini-program. JSON under /api/v1; \
errors are `{\"error\": {\"code\", \"message\", \"details\"}, \"request_id\"}` with the stable codes of the \
ErrorCode schema; lists are `{items, page, page_size, total}`; money is a string with two decimals; \
times are RFC 3339. Every response carries X-Request-Id.",
        license(name = "MIT", identifier = "MIT")
    ),
    components(schemas(ErrorBody, ErrorDetail, ErrorCode, FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Login, token refresh and logout"),
        (name = "me", description = "The caller's own profile"),
        (name = "inbox", description = "The caller's inbox (站内信): messages, unread count, marking read"),
        (name = "communities", description = "Communities, grids and buildings"),
        (name = "merchants", description = "Merchant applications and profiles"),
        (name = "goods", description = "Goods categories and goods"),
        (name = "promotions", description = "Merchants' time-boxed offers"),
        (name = "admin", description = "Platform and community administration"),
        (name = "helpers", description = "Helper applications and profiles"),
        (name = "services", description = "Service catalog and time slots"),
        (name = "bookings", description = "Bookings of helpers' slots, their lifecycle and reviews"),
        (name = "notices", description = "Community notices, the resident feed and outage push"),
        (name = "uploads", description = "Picture uploads, public media and signed URLs of private ones"),
        (name = "content", description = "WeChat content safety: the message-push callback"),
        (name = "console", description = "The web console's sessions (refresh token in a cookie) and scan-to-log-in tickets"),
        (name = "points", description = "Volunteer points (积分制): rule books, awards, the ledger, balances, ranks and totals"),
        (name = "shelf", description = "The 爱心超市: items priced in points, redemptions and the pickup counter"),
        (name = "wishes", description = "The wish wall (微心愿): posting, approval, claim, fulfilment and confirmation"),
        (name = "ops", description = "Health, readiness, metrics and this document"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    Http::builder()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
        }
    }
}

/// The schema of a text parameter that takes one of `values` (for a
/// parameter read as text and matched by hand: `#[param(schema_with = ...)]`).
pub fn choices(values: &[&str]) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values.iter().copied()))
        .build()
}

/// The document as YAML.
pub fn to_yaml(spec: &utoipa::openapi::OpenApi) -> String {
    spec.to_yaml()
        .unwrap_or_else(|e| format!("# could not render the document: {e}\n"))
}
