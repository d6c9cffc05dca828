//! WeChat's asynchronous image checks of public uploads: sending, resending
//! and applying the verdict.

use chrono::{DateTime, Duration, Utc};
use entity::{merchant, upload, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::service::{purpose_of, purposes_seen};
use super::{Visibility, moderation};
use crate::error::{ApiError, ApiResult};
use crate::media::MediaStore;
use crate::time;
use crate::wechat::WechatClient;
use crate::wechat::security::Suggest;

/// A check WeChat never got (it was down) is sent again after this long.
const RESUBMIT_AFTER: Duration = Duration::minutes(1);

/// Sends a `pending` upload to WeChat's asynchronous image check and keeps
/// the trace id its verdict will carry. An owner without an openid (an
/// admin account) or no absolute public URL for WeChat to fetch: the
/// upload is left `unchecked`. WeChat down: it stays `pending` without a
/// trace id, and [`resubmit_media_checks`] tries again.
pub async fn submit_media_check(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    wechat: &WechatClient,
    upload_id: i64,
) -> ApiResult<()> {
    let Some(u) = upload::Entity::find_by_id(upload_id).one(db).await? else {
        return Ok(());
    };
    if u.moderation != moderation::PENDING || u.trace_id.is_some() {
        return Ok(());
    }
    let openid = user::Entity::find_by_id(u.owner_id)
        .one(db)
        .await?
        .and_then(|owner| owner.openid);
    let purpose = purpose_of(&u);
    let (Some(openid), Some(purpose), true) = (openid, purpose, media.has_absolute_public_urls())
    else {
        set_moderation(db, u.id, moderation::UNCHECKED).await?;
        return Ok(());
    };
    let url = media.public_url(&u.storage_key);
    match wechat
        .media_check_async(&openid, super::scene_of(purpose), &url)
        .await
    {
        Ok(trace_id) => {
            upload::Entity::update_many()
                .col_expr(upload::Column::TraceId, Expr::value(trace_id))
                .col_expr(upload::Column::UpdatedAt, Expr::value(time::now()))
                .filter(upload::Column::Id.eq(u.id))
                .filter(upload::Column::TraceId.is_null())
                .exec(db)
                .await?;
        }
        Err(err) => {
            tracing::warn!(upload_id = u.id, error = %err, "media_check_async failed; will retry");
        }
    }
    Ok(())
}

async fn set_moderation(db: &impl ConnectionTrait, id: i64, state: &str) -> ApiResult<()> {
    upload::Entity::update_many()
        .col_expr(upload::Column::Moderation, Expr::value(state))
        .col_expr(upload::Column::UpdatedAt, Expr::value(time::now()))
        .filter(upload::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Sends again the checks WeChat never received (it was down when the
/// picture came in).
pub async fn resubmit_media_checks(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    wechat: &WechatClient,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let waiting: Vec<i64> = upload::Entity::find()
        .select_only()
        .column(upload::Column::Id)
        .filter(upload::Column::Moderation.eq(moderation::PENDING))
        .filter(upload::Column::TraceId.is_null())
        .filter(upload::Column::CreatedAt.lt(now - RESUBMIT_AFTER))
        .limit(100)
        .into_tuple()
        .all(db)
        .await?;
    for id in waiting {
        submit_media_check(db, media, wechat, id).await?;
    }
    Ok(())
}

/// Applies WeChat's verdict on the image check `trace_id`: `pass` passes
/// it; `risky` or `review` flags every public upload of the same picture
/// and takes the picture and its thumbnail down. Answers false for an
/// unknown trace id.
pub async fn apply_media_verdict(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    trace_id: &str,
    suggest: Suggest,
) -> ApiResult<bool> {
    let Some(u) = upload::Entity::find()
        .filter(upload::Column::TraceId.eq(trace_id))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    let now = time::now();
    if suggest == Suggest::Pass {
        upload::Entity::update_many()
            .col_expr(upload::Column::Moderation, Expr::value(moderation::PASS))
            .col_expr(upload::Column::UpdatedAt, Expr::value(now))
            .filter(upload::Column::Id.eq(u.id))
            .filter(upload::Column::Moderation.eq(moderation::PENDING))
            .exec(db)
            .await?;
        return Ok(true);
    }
    let same_picture: Vec<i64> = upload::Entity::find()
        .select_only()
        .column(upload::Column::Id)
        .filter(upload::Column::StorageKey.eq(u.storage_key.as_str()))
        .filter(upload::Column::Purpose.is_in(purposes_seen(Visibility::Public)))
        .into_tuple()
        .all(db)
        .await?;
    upload::Entity::update_many()
        .col_expr(upload::Column::Moderation, Expr::value(moderation::FLAGGED))
        .col_expr(upload::Column::UpdatedAt, Expr::value(now))
        .filter(upload::Column::Id.is_in(same_picture.clone()))
        .exec(db)
        .await?;
    clear_profile_pictures(db, &same_picture).await?;
    for key in [&u.storage_key, &u.thumb_key] {
        media.take_down(key).await.map_err(ApiError::unavailable)?;
    }
    Ok(true)
}

/// Avatars and logos that are one of the flagged uploads `ids` are cleared
/// (their URL is stored beside the upload id) and their references given
/// back; goods, notice and review images resolve through the upload at
/// read time and drop it there.
async fn clear_profile_pictures(db: &impl ConnectionTrait, ids: &[i64]) -> ApiResult<()> {
    let now = time::now();
    let avatars: Vec<i64> = user::Entity::find()
        .select_only()
        .column(user::Column::AvatarUploadId)
        .filter(user::Column::AvatarUploadId.is_in(ids.iter().copied()))
        .into_tuple::<Option<i64>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    user::Entity::update_many()
        .col_expr(user::Column::AvatarUrl, Expr::value(None::<String>))
        .col_expr(user::Column::AvatarUploadId, Expr::value(None::<i64>))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::AvatarUploadId.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    let logos: Vec<i64> = merchant::Entity::find()
        .select_only()
        .column(merchant::Column::LogoUploadId)
        .filter(merchant::Column::LogoUploadId.is_in(ids.iter().copied()))
        .into_tuple::<Option<i64>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    merchant::Entity::update_many()
        .col_expr(merchant::Column::LogoUrl, Expr::value(None::<String>))
        .col_expr(merchant::Column::LogoUploadId, Expr::value(None::<i64>))
        .col_expr(merchant::Column::UpdatedAt, Expr::value(now))
        .filter(merchant::Column::LogoUploadId.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    // One reference per avatar or logo that held it.
    for id in avatars.into_iter().chain(logos) {
        super::claims::release(db, &[id]).await?;
    }
    Ok(())
}
