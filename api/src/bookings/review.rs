//! A resident's review of a completed booking: a rating, a comment WeChat
//! checks (scene: comment) and up to 6 photos (`review_photo` uploads).
//! Until the comment is `pass`, only the resident who wrote it sees the
//! comment and photos; an admin approves what WeChat sent for review, and
//! the sweep of [`recheck`] asks WeChat again about what it could not judge.

use entity::{booking, helper, helper_service};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter,
    QuerySelect,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::BookingStatus;
use super::service::{BookingView, Party, visible};
use super::views::one_view;
use crate::auth::{AuthUser, Role};
use crate::cache::{Cache, keys};
use crate::catalog::service::communities_of_service;
use crate::content::recheck::{self, Moderated, Waiting};
use crate::content::{Scene, text_state};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::FieldErrors;
use crate::media::MediaStore;
use crate::time;
use crate::uploads::Purpose;
use crate::uploads::refs::{self, ImageRef, Resolver};

/// Most photos one review holds.
const MAX_PHOTOS: usize = 6;

#[derive(Deserialize, ToSchema)]
pub struct ReviewRequest {
    /// 1-5.
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i32,
    /// Up to 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub comment: String,
    /// Up to 6 photos: ids of the caller's `review_photo` uploads or https URLs.
    #[serde(default)]
    #[schema(max_items = 6)]
    pub photos: Vec<ImageRef>,
}

/// Checks a review's fields (before WeChat is asked about the comment).
pub fn check(body: &ReviewRequest) -> ApiResult<()> {
    let mut errors = FieldErrors::default();
    if !(1..=5).contains(&body.rating) {
        errors.push("rating", "评分须为 1-5");
    }
    if body.comment.chars().count() > 500 {
        errors.push("comment", "不超过 500 个字符");
    }
    refs::check_list(&mut errors, "photos", &body.photos, MAX_PHOTOS);
    errors.finish()
}

/// The resident rates a completed booking, once. `moderation`: the state
/// WeChat's check of the comment left ([`text_state`]).
pub async fn review(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    body: ReviewRequest,
    moderation: &'static str,
) -> ApiResult<BookingView> {
    let (found, party) = visible(db, me, id).await?;
    if party != Party::Resident {
        return Err(ErrorCode::Forbidden.into());
    }
    check(&body)?;
    let rating = body.rating as i16;
    let comment = body.comment.trim().to_owned();
    let now = time::now();
    let txn = crate::db::begin_write(db).await?;
    refs::claim_all(&*txn, me.id(), Purpose::ReviewPhoto, "photos", &body.photos).await?;
    let done = booking::Entity::update_many()
        .col_expr(booking::Column::Rating, Expr::value(rating))
        .col_expr(booking::Column::ReviewComment, Expr::value(comment))
        .col_expr(
            booking::Column::ReviewPhotos,
            Expr::value(refs::to_json(&body.photos)),
        )
        .col_expr(booking::Column::ReviewModeration, Expr::value(moderation))
        .col_expr(booking::Column::ReviewedAt, Expr::value(now))
        .col_expr(booking::Column::UpdatedAt, Expr::value(now))
        .filter(booking::Column::Id.eq(id))
        .filter(booking::Column::Status.eq(BookingStatus::Completed))
        .filter(booking::Column::Rating.is_null())
        .exec(&*txn)
        .await?;
    if done.rows_affected == 0 {
        drop(txn);
        return Err(if found.status != BookingStatus::Completed {
            ErrorCode::BookingNotCompleted.into()
        } else {
            ErrorCode::AlreadyReviewed.into()
        });
    }
    let r = i64::from(rating);
    helper_service::Entity::update_many()
        .col_expr(
            helper_service::Column::RatingSum,
            Expr::col(helper_service::Column::RatingSum).add(r),
        )
        .col_expr(
            helper_service::Column::RatingCount,
            Expr::col(helper_service::Column::RatingCount).add(1),
        )
        .filter(helper_service::Column::Id.eq(found.service_id))
        .exec(&*txn)
        .await?;
    helper::Entity::update_many()
        .col_expr(
            helper::Column::RatingSum,
            Expr::col(helper::Column::RatingSum).add(r),
        )
        .col_expr(
            helper::Column::RatingCount,
            Expr::col(helper::Column::RatingCount).add(1),
        )
        .filter(helper::Column::Id.eq(found.helper_id))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    let updated = booking::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::BookingNotFound))?;
    one_view(db, updated).await
}

/// The views as `viewer_id` may read them: review photos as URLs (flagged
/// ones left out); a comment and photos not yet `pass` only for the
/// resident who wrote them.
pub async fn shown(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    viewer_id: i64,
    mut views: Vec<BookingView>,
) -> ApiResult<Vec<BookingView>> {
    let resolver = Resolver::load(
        db,
        media,
        views.iter().flat_map(|v| v.review_photo_refs.iter()),
    )
    .await?;
    for v in &mut views {
        if v.resident_id != viewer_id && v.review_moderation != text_state::PASS {
            v.review_comment = None;
            v.review_photo_refs.clear();
        }
        (v.review_photo_refs, v.review_photos) = resolver.visible(&v.review_photo_refs);
    }
    Ok(views)
}

/// [`shown`] of one.
pub async fn shown_one(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    viewer_id: i64,
    view: BookingView,
) -> ApiResult<BookingView> {
    shown(db, media, viewer_id, vec![view])
        .await?
        .pop()
        .ok_or_else(|| ErrorCode::BookingNotFound.into())
}

/// An admin of a community the service is offered in (or a platform
/// admin) publishes a review waiting for review; approving a published one
/// changes nothing.
pub async fn approve(db: &impl ConnectionTrait, me: &AuthUser, id: i64) -> ApiResult<BookingView> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let found = booking::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|b| b.rating.is_some())
        .ok_or(ErrorCode::BookingNotFound)?;
    let communities = communities_of_service(db, found.service_id).await?;
    me.require_admin_of_any(db, &communities).await?;
    booking::Entity::update_many()
        .col_expr(
            booking::Column::ReviewModeration,
            Expr::value(text_state::PASS),
        )
        .col_expr(booking::Column::UpdatedAt, Expr::value(time::now()))
        .filter(booking::Column::Id.eq(id))
        .filter(booking::Column::ReviewModeration.ne(text_state::PASS))
        .exec(db)
        .await?;
    let updated = booking::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ErrorCode::BookingNotFound)?;
    one_view(db, updated).await
}

/// Review comments, for the sweep of [`recheck`].
pub struct ReviewText;

impl Moderated for ReviewText {
    const SCENE: Scene = Scene::Comment;

    async fn waiting(db: &DatabaseConnection) -> ApiResult<Vec<Waiting>> {
        let rows = booking::Entity::find()
            .filter(booking::Column::ReviewModeration.eq(text_state::PENDING))
            .limit(recheck::BATCH)
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|b| Waiting {
                id: b.id,
                author_id: b.resident_id,
                texts: b.review_comment.into_iter().collect(),
                updated_at: b.updated_at,
            })
            .collect())
    }

    async fn settle(db: &DatabaseConnection, row: &Waiting, to: &'static str) -> ApiResult<u64> {
        let done = booking::Entity::update_many()
            .col_expr(booking::Column::ReviewModeration, Expr::value(to))
            .filter(booking::Column::Id.eq(row.id))
            .filter(booking::Column::ReviewModeration.eq(text_state::PENDING))
            .filter(booking::Column::UpdatedAt.eq(row.updated_at))
            .exec(db)
            .await?;
        Ok(done.rows_affected)
    }

    async fn changed(cache: &Cache) {
        keys::catalog_changed(cache).await;
    }
}
