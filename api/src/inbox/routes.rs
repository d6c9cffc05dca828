//! `/me/messages`: the caller's inbox.

use actix_web::{get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{self, MarkedRead, MessagePage, MessageView, MessagesQuery, UnreadCount};
use super::tracking;
use crate::auth::AuthUser;
use crate::cache::keys;
use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(unread_count)
        .service(read_all)
        .service(list)
        .service(read_one);
}

/// The caller's messages, newest first; `next_cursor` pages to older ones.
#[utoipa::path(
    tag = "inbox",
    security(("bearer" = [])),
    params(MessagesQuery),
    responses(
        (status = 200, body = MessagePage),
        (status = 400, description = "INVALID_QUERY: a cursor not from `next_cursor`, page_size outside 1-100", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/me/messages")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn list(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<MessagesQuery>,
) -> ApiResult<web::Json<MessagePage>> {
    Ok(web::Json(service::list(&state.db, me.id(), &query).await?))
}

/// How many of the caller's messages are unread (served from the cache,
/// dropped by every write to the inbox).
#[utoipa::path(
    tag = "inbox",
    security(("bearer" = [])),
    responses(
        (status = 200, body = UnreadCount),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[get("/me/messages/unread-count")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn unread_count(
    state: web::Data<AppState>,
    me: AuthUser,
) -> ApiResult<web::Json<UnreadCount>> {
    let user = me.id();
    let db = &state.db;
    let notices = state
        .cache
        .generation(keys::Namespace::Notices.prefix())
        .await;
    let count = match notices {
        Some(generation) => {
            state
                .cache
                .get_or_load(
                    &keys::inbox_unread(user, generation),
                    state.cache_ttl(),
                    || service::count_unread(db, user),
                )
                .await?
        }
        None => service::count_unread(db, user).await?,
    };
    Ok(web::Json(count))
}

/// Mark one of the caller's messages read; another user's message is 404.
#[utoipa::path(
    tag = "inbox",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Message id")),
    responses(
        (status = 200, body = MessageView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "MESSAGE_NOT_FOUND (another user's message included)", body = ErrorBody),
    )
)]
#[post("/me/messages/{id}/read")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), message_id = *id))]
async fn read_one(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<MessageView>> {
    let view = service::mark_read(&state.db, me.id(), id.into_inner(), state.clock.now()).await?;
    tracking::note(&[me.id()]);
    Ok(web::Json(view))
}

/// Mark every message of the caller read.
#[utoipa::path(
    tag = "inbox",
    security(("bearer" = [])),
    responses(
        (status = 200, body = MarkedRead),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
    )
)]
#[post("/me/messages/read-all")]
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
async fn read_all(state: web::Data<AppState>, me: AuthUser) -> ApiResult<web::Json<MarkedRead>> {
    let marked = service::mark_all_read(&state.db, me.id(), state.clock.now()).await?;
    tracking::note(&[me.id()]);
    Ok(web::Json(marked))
}
