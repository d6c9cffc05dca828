//! `/notices` (the resident feed, cached per community) and `/admin/notices`.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{self, AdminNoticeQuery, AdminNoticeView, FeedItem, NoticeInput, NoticeView};
use crate::auth::{AuthUser, MaybeAuthUser, Role};
use crate::cache::keys;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode, FieldError};
use crate::extract::Json;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;
use crate::time;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(feed)
        .service(detail)
        .service(create)
        .service(update)
        .service(publish)
        .service(withdraw)
        .service(admin_list);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Required for anonymous callers; defaults to the resident's community.
    pub community_id: Option<i64>,
    /// One kind only.
    pub kind: Option<String>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

/// The resident feed: pinned, outages in effect, upcoming outages (soonest
/// first), then the rest newest first; `affects_me` when logged in.
#[utoipa::path(
    tag = "notices",
    params(FeedQuery),
    responses(
        (status = 200, body = Paged<FeedItem>),
        (status = 400, description = "INVALID_QUERY: unknown kind, or no community_id for an anonymous caller without a bound building", body = ErrorBody),
        (status = 401, description = "TOKEN_INVALID: a token was sent but is not valid", body = ErrorBody),
    )
)]
#[get("/notices")]
async fn feed(
    state: web::Data<AppState>,
    me: MaybeAuthUser,
    query: web::Query<FeedQuery>,
) -> ApiResult<web::Json<Paged<FeedItem>>> {
    let page = Page::try_from(PageParams {
        page: query.page,
        page_size: query.page_size,
    })?;
    let invalid = |field: &str, msg: &str| {
        ApiError::new(ErrorCode::InvalidQuery)
            .details(serde_json::json!({ "fields": [FieldError::new(field, msg)] }))
    };
    if let Some(k) = &query.kind
        && !service::KINDS.contains(&k.as_str())
    {
        return Err(invalid("kind", "未知的通知类型"));
    }
    let user = me.0.as_ref();
    let Some(community_id) = query
        .community_id
        .or(user.and_then(|u| u.user.community_id))
    else {
        return Err(invalid("community_id", "请指定社区"));
    };
    let db = &state.db;
    let notices = state
        .cache
        .get_or_load(&keys::notice_feed(community_id), state.cache_ttl(), || {
            service::published_in(db, community_id)
        })
        .await?;
    // Someone else's community: the notices are public, but none is "mine".
    let building = user
        .filter(|u| u.user.community_id == Some(community_id))
        .and_then(|u| u.user.building_id);
    let at_home = user.is_some_and(|u| u.user.community_id == Some(community_id));
    let mut items = service::feed(
        notices,
        query.kind.as_deref(),
        building,
        user.is_some(),
        time::now(),
    );
    if user.is_some() && !at_home {
        for i in &mut items {
            i.affects_me = Some(false);
        }
    }
    let total = items.len() as u64;
    let items = items
        .into_iter()
        .skip(page.offset() as usize)
        .take(page.page_size as usize)
        .collect();
    Ok(web::Json(Paged::new(items, page, total)))
}

/// A published notice; a logged-in resident's first read is counted.
#[utoipa::path(
    tag = "notices",
    params(("id" = i64, Path, description = "Notice id")),
    responses(
        (status = 200, body = NoticeView),
        (status = 404, description = "NOTICE_NOT_FOUND (drafts, scheduled and withdrawn notices included)", body = ErrorBody),
    )
)]
#[get("/notices/{id}")]
async fn detail(
    state: web::Data<AppState>,
    me: MaybeAuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<NoticeView>> {
    let reader = me.0.as_ref().filter(|u| u.has(Role::Resident));
    Ok(web::Json(
        service::read(&state.db, id.into_inner(), reader).await?,
    ))
}

/// Write a notice (a draft) in a community the admin manages.
#[utoipa::path(
    tag = "notices",
    security(("bearer" = [])),
    request_body = NoticeInput,
    responses(
        (status = 201, body = NoticeView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of that community", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: kind, title, content, window or buildings", body = ErrorBody),
    )
)]
#[post("/admin/notices")]
async fn create(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<NoticeInput>,
) -> ApiResult<HttpResponse> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let created = service::create(&state.db, &me, body.0).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Edit a draft or scheduled notice.
#[utoipa::path(
    tag = "notices",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Notice id")),
    request_body = NoticeInput,
    responses(
        (status = 200, body = NoticeView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "NOTICE_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: already published or withdrawn", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[patch("/admin/notices/{id}")]
async fn update(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<NoticeInput>,
) -> ApiResult<web::Json<NoticeView>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let updated = service::update(&state.db, &me, id.into_inner(), body.0).await?;
    keys::notices_changed(&state.cache).await;
    Ok(web::Json(updated))
}

/// Publish now, or schedule for `publish_at` when that is in the future.
/// Publishing an outage with `push` messages every affected resident with an `outage` grant.
#[utoipa::path(
    tag = "notices",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Notice id")),
    responses(
        (status = 200, body = NoticeView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "NOTICE_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: already published or withdrawn", body = ErrorBody),
    )
)]
#[post("/admin/notices/{id}/publish")]
async fn publish(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<NoticeView>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let published = service::publish(&state.db, &me, id.into_inner(), time::now()).await?;
    keys::notices_changed(&state.cache).await;
    Ok(web::Json(published))
}

/// Withdraw a published or scheduled notice: residents no longer see it, unsent messages are dropped.
#[utoipa::path(
    tag = "notices",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Notice id")),
    responses(
        (status = 200, body = NoticeView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
        (status = 404, description = "NOTICE_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_TRANSITION: not published or scheduled", body = ErrorBody),
    )
)]
#[post("/admin/notices/{id}/withdraw")]
async fn withdraw(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<NoticeView>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let withdrawn = service::withdraw(&state.db, &me, id.into_inner()).await?;
    keys::notices_changed(&state.cache).await;
    Ok(web::Json(withdrawn))
}

/// The admin's notices with read counts and push progress.
#[utoipa::path(
    tag = "notices",
    security(("bearer" = [])),
    params(AdminNoticeQuery),
    responses(
        (status = 200, body = Paged<AdminNoticeView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
    )
)]
#[get("/admin/notices")]
async fn admin_list(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<AdminNoticeQuery>,
) -> ApiResult<web::Json<Paged<AdminNoticeView>>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let page = Page::try_from(PageParams {
        page: query.page,
        page_size: query.page_size,
    })?;
    Ok(web::Json(
        service::list_admin(&state.db, &me, &query, page).await?,
    ))
}
