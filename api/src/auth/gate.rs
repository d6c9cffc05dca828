//! The gate in front of `/api/v1/admin/`: only a platform or community admin
//! gets past it, before any handler reads a body or a query. Authorization
//! comes before validation, so a resident learns nothing of an admin
//! operation's schema from its 422s (and nothing of what exists from its
//! 404s); each handler still checks the communities the admin may touch.

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use super::{AuthUser, Role, app_state, authenticate, bearer};
use crate::error::{ApiError, ErrorCode};

const ADMIN_PREFIX: &str = "/api/v1/admin/";

/// Middleware: `/api/v1/admin/...` without a token is 401, with a token of
/// anyone but an admin 403. The authenticated caller is kept in the request's
/// extensions, where the [`AuthUser`] extractor finds it without a second
/// lookup.
pub async fn admins_only(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !req.path().starts_with(ADMIN_PREFIX) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    match admin(&req).await {
        Ok(me) => {
            req.extensions_mut().insert(me);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(err) => Ok(req.error_response(err).map_into_right_body()),
    }
}

async fn admin(req: &ServiceRequest) -> Result<AuthUser, ApiError> {
    let token = bearer(req.request()).ok_or_else(|| ApiError::new(ErrorCode::Unauthorized))??;
    let me = authenticate(app_state(req.request())?, token).await?;
    me.require_any(&[Role::PlatformAdmin, Role::CommunityAdmin])?;
    Ok(me)
}
