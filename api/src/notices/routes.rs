//! `/notices` (the resident feed, cached per community) and `/admin/notices`.

use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::admin::{self, AdminNoticeQuery, AdminNoticeView};
use super::detail::{AdminNoticeDetail, detail as notice_detail};
use super::draft::{self, NoticeInput};
use super::feed::{FeedItem, FeedQuery, Reader, feed_page, published_in, read};
use super::publish::{publish_or_schedule, withdraw_notice};
use super::view::NoticeView;
use crate::auth::{AuthUser, MaybeAuthUser, Role};
use crate::cache::keys;
use crate::content::{self, Scene};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::media::MediaStore;
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
        .service(admin_list)
        .service(admin_detail);
}

/// The resident feed: pinned, outages in effect, upcoming outages (soonest
/// first), then the rest newest first; `affects_me` when logged in.
#[utoipa::path(
    tag = "notices",
    params(FeedQuery, PageParams),
    responses(
        (status = 200, body = Paged<FeedItem>),
        (status = 400, description = "INVALID_QUERY: unknown kind, or a malformed page", body = ErrorBody),
        (status = 401, description = "TOKEN_INVALID: a token was sent but is not valid", body = ErrorBody),
    )
)]
#[get("/notices")]
#[tracing::instrument(skip_all, level = "debug")]
async fn feed(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: MaybeAuthUser,
    query: web::Query<FeedQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<FeedItem>>> {
    let reader = Reader::of(me.0.as_ref());
    let Some(community_id) = reader.community(query.community_id) else {
        // No community known: no notice is theirs to see.
        return Ok(web::Json(feed_page(&[], query.kind, reader, page)));
    };
    let db = &state.db;
    let notices = state
        .cache
        .get_or_load_shared(&keys::notice_feed(community_id), state.cache_ttl(), || {
            published_in(db, &media, community_id)
        })
        .await?;
    Ok(web::Json(feed_page(&notices, query.kind, reader, page)))
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
#[tracing::instrument(skip_all, level = "debug", fields(notice_id = *id))]
async fn detail(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: MaybeAuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<NoticeView>> {
    let reader = me.0.as_ref().filter(|u| u.has(Role::Resident));
    Ok(web::Json(
        read(&state.db, &media, id.into_inner(), reader).await?,
    ))
}

/// WeChat's check of a notice's title (scene: forum), for an admin signed
/// in through WeChat: risky is refused. An admin account without an openid
/// cannot be checked (`msg_sec_check` v2 needs the author's openid); a title
/// WeChat sends for review is saved all the same: the author is one of the
/// admins who would approve it.
async fn check_title(state: &AppState, me: &AuthUser, body: &NoticeInput) -> ApiResult<()> {
    let Some(title) = body.title.as_deref() else {
        return Ok(());
    };
    content::moderate_texts(
        &state.wechat,
        &state.settings.content,
        me.user.openid.as_deref(),
        Scene::Forum,
        &[("title", title.trim())],
    )
    .await
    .map(drop)
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
        (status = 422, description = "VALIDATION_FAILED: kind, title, content, window, buildings or images (an id not the caller's `notice_image` upload); CONTENT_REJECTED: WeChat judged the title risky", body = ErrorBody),
    )
)]
#[post("/admin/notices")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn create(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    body: Json<NoticeInput>,
) -> ApiResult<HttpResponse> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    check_title(&state, &me, &body).await?;
    let created = draft::create(&state.db, &media, &me, body.0).await?;
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
        (status = 422, description = "VALIDATION_FAILED (images: an id not the caller's `notice_image` upload); CONTENT_REJECTED: WeChat judged the title risky", body = ErrorBody),
    )
)]
#[patch("/admin/notices/{id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), notice_id = *id))]
async fn update(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<NoticeInput>,
) -> ApiResult<web::Json<NoticeView>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    check_title(&state, &me, &body).await?;
    let updated = draft::update(&state.db, &media, &me, id.into_inner(), body.0).await?;
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
#[tracing::instrument(skip_all, fields(user_id = me.id(), notice_id = *id))]
async fn publish(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<NoticeView>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let published =
        publish_or_schedule(&state.db, &media, &me, id.into_inner(), time::now()).await?;
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
#[tracing::instrument(skip_all, fields(user_id = me.id(), notice_id = *id))]
async fn withdraw(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<NoticeView>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let withdrawn = withdraw_notice(&state.db, &media, &me, id.into_inner()).await?;
    keys::notices_changed(&state.cache).await;
    Ok(web::Json(withdrawn))
}

/// The admin's notices with read counts and push progress.
#[utoipa::path(
    tag = "notices",
    security(("bearer" = [])),
    params(AdminNoticeQuery, PageParams),
    responses(
        (status = 200, body = Paged<AdminNoticeView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN", body = ErrorBody),
    )
)]
#[get("/admin/notices")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn admin_list(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    query: web::Query<AdminNoticeQuery>,
    page: Page,
) -> ApiResult<web::Json<Paged<AdminNoticeView>>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    Ok(web::Json(
        admin::list_admin(&state.db, &media, &me, &query, page).await?,
    ))
}

/// One notice's follow-up: audience, reads by building, push progress, and
/// the residents who have not read it (paged by `page`, `page_size`).
#[utoipa::path(
    tag = "notices",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Notice id"), PageParams),
    responses(
        (status = 200, body = AdminNoticeDetail),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the notice's community", body = ErrorBody),
        (status = 404, description = "NOTICE_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/admin/notices/{id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), notice_id = *id))]
async fn admin_detail(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
    page: Page,
) -> ApiResult<web::Json<AdminNoticeDetail>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    Ok(web::Json(
        notice_detail(&state.db, &media, &me, id.into_inner(), page).await?,
    ))
}
