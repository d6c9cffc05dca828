//! Upload rows: saving a processed picture once per owner, purpose and hash;
//! who may see one; references from other resources; the orphan sweep; the
//! asynchronous WeChat image check and its verdict.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use entity::{
    helper_application, helper_application_community, merchant_application,
    merchant_application_community, upload, user,
};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

pub use super::checks::{apply_media_verdict, resubmit_media_checks, submit_media_check};
pub use super::claims::{claim, claim_one, release};
use super::{Purpose, Visibility, moderation};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::media::image::IntakeError;
use crate::media::{MediaStore, Shelf};
use crate::time;
use crate::wechat::WechatClient;

/// An upload nothing references is deleted this long after its upload (or
/// its last release, if later).
pub const ORPHAN_AFTER: Duration = Duration::hours(24);
const SWEEP_BATCH: u64 = 500;

/// An upload as its owner (or a reviewing admin) sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UploadView {
    pub id: i64,
    pub purpose: Purpose,
    /// Public purposes: a permanent URL (`/media/{key}`, or under the CDN
    /// base). Private purposes: a signed URL valid until `url_expires_at`.
    pub url: String,
    /// The 400 px thumbnail, like `url`.
    pub thumb_url: String,
    /// When the signed URLs of a private upload stop working; absent for public ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_expires_at: Option<DateTime<Utc>>,
    pub width: i32,
    pub height: i32,
    /// Size of the stored picture in bytes.
    pub bytes: i64,
    /// `image/jpeg` or `image/png`: what is stored, whatever was sent.
    pub content_type: String,
    /// `unchecked`, `pending`, `pass` or `flagged` (WeChat's image check).
    pub moderation: String,
    pub created_at: DateTime<Utc>,
}

pub(super) fn purpose_of(u: &upload::Model) -> Option<Purpose> {
    Purpose::parse(&u.purpose)
}

/// Shapes an upload for an answer: public URLs, or signed ones for private
/// purposes.
pub fn view(media: &MediaStore, u: &upload::Model, now: DateTime<Utc>) -> UploadView {
    // A purpose this build does not know is treated as private: signed URLs only.
    let purpose = purpose_of(u).unwrap_or(Purpose::RequestPhoto);
    let (url, thumb_url, url_expires_at) = match purpose.visibility() {
        Visibility::Public => (
            media.public_url(&u.storage_key),
            media.public_url(&u.thumb_key),
            None,
        ),
        Visibility::Private => {
            let (url, expires) = media.signed_url(&u.storage_key, now);
            let (thumb_url, _) = media.signed_url(&u.thumb_key, now);
            (url, thumb_url, Some(expires))
        }
    };
    UploadView {
        id: u.id,
        purpose,
        url,
        thumb_url,
        url_expires_at,
        width: u.width,
        height: u.height,
        bytes: u.bytes,
        content_type: u.content_type.clone(),
        moderation: u.moderation.clone(),
        created_at: u.created_at,
    }
}

/// Whether a public read may show this upload: not once WeChat flagged it.
pub fn is_publicly_visible(u: &upload::Model) -> bool {
    u.moderation != moderation::FLAGGED
}

/// Which of `ids` WeChat flagged: pictures every public read leaves out
/// (an avatar, a logo stored by URL beside its upload id).
pub async fn flagged_among(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> ApiResult<HashSet<i64>> {
    let ids: Vec<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(upload::Entity::find()
        .select_only()
        .column(upload::Column::Id)
        .filter(upload::Column::Id.is_in(ids))
        .filter(upload::Column::Moderation.eq(moderation::FLAGGED))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn intake_error(err: IntakeError) -> ApiError {
    match err {
        IntakeError::Unsupported => ApiError::new(ErrorCode::UnsupportedMedia),
        IntakeError::TooManyPixels {
            width,
            height,
            max_pixels,
        } => ApiError::new(ErrorCode::ImageTooLarge).details(serde_json::json!({
            "width": width, "height": height, "max_pixels": max_pixels,
        })),
        IntakeError::Encode(e) => ApiError::internal(e),
    }
}

/// The purposes whose objects live on `shelf`'s side (public or private).
pub(super) fn purposes_seen(visibility: Visibility) -> Vec<&'static str> {
    Purpose::ALL
        .into_iter()
        .filter(|p| p.visibility() == visibility)
        .map(Purpose::as_str)
        .collect()
}

/// What [`create`] did.
pub struct Created {
    pub upload: upload::Model,
    /// False when the owner had uploaded the same picture for the same
    /// purpose before: that upload is answered again.
    pub created: bool,
}

/// Checks and re-encodes `bytes`, stores the picture and its thumbnail under
/// their hashes, and records the upload (or finds the owner's earlier one of
/// the same picture). A public picture starts `pending` when WeChat checks
/// are on; the caller sends it with [`submit_media_check`].
pub async fn create(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    owner_id: i64,
    purpose: Purpose,
    bytes: Vec<u8>,
    checks_enabled: bool,
) -> ApiResult<Created> {
    let processed = media.intake(bytes).await.map_err(intake_error)?;
    let hash = sha256_hex(&processed.picture.bytes);
    let ext = processed.format.extension();
    let key = format!("{hash}.{ext}");
    let thumb_key = format!("{}.{ext}", sha256_hex(&processed.thumb.bytes));
    let visibility = purpose.visibility();
    if visibility == Visibility::Public && is_flagged_picture(db, &key).await? {
        return Err(ErrorCode::ContentRejected.into());
    }
    let content_type = processed.format.content_type();
    let shelf = Shelf::from(visibility);
    let (width, height) = (processed.picture.width, processed.picture.height);
    let stored_bytes = processed.picture.bytes.len();
    // Objects first, written again on a repeat upload (same name, same
    // bytes): a row never names an object that is not there.
    media
        .put(shelf, &key, processed.picture.bytes, content_type)
        .await
        .map_err(ApiError::unavailable)?;
    media
        .put(shelf, &thumb_key, processed.thumb.bytes, content_type)
        .await
        .map_err(ApiError::unavailable)?;
    if let Some(existing) = find_same(db, owner_id, purpose, &hash).await? {
        return Ok(Created {
            upload: existing,
            created: false,
        });
    }
    let now = time::now();
    let moderation = if checks_enabled && visibility == Visibility::Public {
        moderation::PENDING
    } else {
        moderation::UNCHECKED
    };
    let inserted = upload::ActiveModel {
        owner_id: Set(owner_id),
        purpose: Set(purpose.as_str().to_owned()),
        storage_key: Set(key),
        thumb_key: Set(thumb_key),
        width: Set(i32::try_from(width).unwrap_or(i32::MAX)),
        height: Set(i32::try_from(height).unwrap_or(i32::MAX)),
        bytes: Set(i64::try_from(stored_bytes).unwrap_or(i64::MAX)),
        content_type: Set(content_type.to_owned()),
        hash: Set(hash.clone()),
        ref_count: Set(0),
        released_at: Set(None),
        moderation: Set(moderation.to_owned()),
        trace_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(upload) => Ok(Created {
            upload,
            created: true,
        }),
        // The same picture sent twice at once: the first one wins.
        Err(err) if crate::db::is_duplicate(&err) => Ok(Created {
            upload: find_same(db, owner_id, purpose, &hash)
                .await?
                .ok_or_else(|| ApiError::internal(err))?,
            created: false,
        }),
        Err(err) => Err(err.into()),
    }
}

async fn find_same(
    db: &impl ConnectionTrait,
    owner_id: i64,
    purpose: Purpose,
    hash: &str,
) -> ApiResult<Option<upload::Model>> {
    Ok(upload::Entity::find()
        .filter(upload::Column::OwnerId.eq(owner_id))
        .filter(upload::Column::Purpose.eq(purpose.as_str()))
        .filter(upload::Column::Hash.eq(hash))
        .one(db)
        .await?)
}

/// True when a public upload of this picture was flagged by WeChat: the
/// same bytes are not taken again.
async fn is_flagged_picture(db: &impl ConnectionTrait, key: &str) -> ApiResult<bool> {
    Ok(upload::Entity::find()
        .filter(upload::Column::StorageKey.eq(key))
        .filter(upload::Column::Moderation.eq(moderation::FLAGGED))
        .filter(upload::Column::Purpose.is_in(purposes_seen(Visibility::Public)))
        .one(db)
        .await?
        .is_some())
}

/// The upload `id` if `viewer` may see it, else 404 (`UPLOAD_NOT_FOUND`,
/// as for one that does not exist).
pub async fn find_for(
    db: &impl ConnectionTrait,
    viewer: &AuthUser,
    id: i64,
) -> ApiResult<upload::Model> {
    let found = upload::Entity::find_by_id(id).one(db).await?;
    match found {
        Some(u) if may_view(db, viewer, &u).await? => Ok(u),
        _ => Err(ErrorCode::UploadNotFound.into()),
    }
}

/// Who may see an upload (and get the signed URLs of a private one): its
/// owner, platform admins, and community admins of a community the owner
/// applied to serve (as merchant or helper) or lives in.
pub async fn may_view(
    db: &impl ConnectionTrait,
    viewer: &AuthUser,
    u: &upload::Model,
) -> ApiResult<bool> {
    if viewer.id() == u.owner_id || viewer.has(Role::PlatformAdmin) {
        return Ok(true);
    }
    if !viewer.has(Role::CommunityAdmin) {
        return Ok(false);
    }
    let administered: HashSet<i64> = viewer
        .admin_communities(db)
        .await?
        .unwrap_or_default()
        .into_iter()
        .collect();
    if administered.is_empty() {
        return Ok(false);
    }
    Ok(owner_communities(db, u.owner_id)
        .await?
        .iter()
        .any(|c| administered.contains(c)))
}

/// The communities an owner's merchant and helper applications name, and
/// the one they live in.
async fn owner_communities(db: &impl ConnectionTrait, owner_id: i64) -> ApiResult<Vec<i64>> {
    let mut ids: Vec<i64> = merchant_application_community::Entity::find()
        .select_only()
        .column(merchant_application_community::Column::CommunityId)
        .filter(
            merchant_application_community::Column::ApplicationId.in_subquery(
                Query::select()
                    .column(merchant_application::Column::Id)
                    .from(merchant_application::Entity)
                    .and_where(merchant_application::Column::UserId.eq(owner_id))
                    .to_owned(),
            ),
        )
        .into_tuple::<i64>()
        .all(db)
        .await?;
    ids.extend(
        helper_application_community::Entity::find()
            .select_only()
            .column(helper_application_community::Column::CommunityId)
            .filter(
                helper_application_community::Column::ApplicationId.in_subquery(
                    Query::select()
                        .column(helper_application::Column::Id)
                        .from(helper_application::Entity)
                        .and_where(helper_application::Column::UserId.eq(owner_id))
                        .to_owned(),
                ),
            )
            .into_tuple::<i64>()
            .all(db)
            .await?,
    );
    if let Some(owner) = user::Entity::find_by_id(owner_id).one(db).await?
        && let Some(community) = owner.community_id
    {
        ids.push(community);
    }
    Ok(ids)
}

/// Deletes uploads nothing references, [`ORPHAN_AFTER`] after their upload
/// and last release, and then every stored object no remaining upload names
/// (an object shared with a live upload stays). Answers how many uploads
/// went.
pub async fn sweep_orphans(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let cutoff = now - ORPHAN_AFTER;
    let orphans = upload::Entity::find()
        .filter(upload::Column::RefCount.eq(0))
        .filter(upload::Column::CreatedAt.lt(cutoff))
        .filter(
            Condition::any()
                .add(upload::Column::ReleasedAt.is_null())
                .add(upload::Column::ReleasedAt.lt(cutoff)),
        )
        .limit(SWEEP_BATCH)
        .all(db)
        .await?;
    let mut deleted = 0;
    for orphan in orphans {
        // Conditional: a claim that came first keeps the row.
        let gone = upload::Entity::delete_many()
            .filter(upload::Column::Id.eq(orphan.id))
            .filter(upload::Column::RefCount.eq(0))
            .exec(db)
            .await?;
        if gone.rows_affected == 0 {
            continue;
        }
        deleted += 1;
        let visibility = purpose_of(&orphan).map_or(Visibility::Private, Purpose::visibility);
        for key in [&orphan.storage_key, &orphan.thumb_key] {
            if object_in_use(db, visibility, key).await? {
                continue;
            }
            let removed = async {
                media.delete(Shelf::from(visibility), key).await?;
                if visibility == Visibility::Public {
                    media.delete(Shelf::Flagged, key).await?;
                }
                Ok::<_, opendal::Error>(())
            };
            if let Err(err) = removed.await {
                tracing::warn!(key = %key, error = %err, "could not delete an orphan object");
            }
        }
    }
    Ok(deleted)
}

/// True when some upload on `visibility`'s side names `key` (as its
/// picture or its thumbnail).
async fn object_in_use(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    key: &str,
) -> ApiResult<bool> {
    Ok(upload::Entity::find()
        .filter(
            Condition::any()
                .add(upload::Column::StorageKey.eq(key))
                .add(upload::Column::ThumbKey.eq(key)),
        )
        .filter(upload::Column::Purpose.is_in(purposes_seen(visibility)))
        .one(db)
        .await?
        .is_some())
}

/// How often each instance sweeps orphans and resends lost image checks.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs the orphan sweep (and, with checks on, the resending of image
/// checks WeChat never got) on every instance; both are conditional
/// updates, safe on several instances at once.
pub fn spawn_sweeps(
    db: sea_orm::DatabaseConnection,
    media: MediaStore,
    wechat: WechatClient,
    checks_enabled: bool,
) {
    crate::jobs::repeat("uploads", SWEEP_EVERY, move || {
        let (db, media, wechat) = (db.clone(), media.clone(), wechat.clone());
        async move {
            let now = time::now();
            sweep_orphans(&db, &media, now).await?;
            if checks_enabled {
                resubmit_media_checks(&db, &media, &wechat, now).await?;
            }
            Ok::<_, ApiError>(())
        }
    });
}
