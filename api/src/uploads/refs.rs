//! Image fields of other resources (goods images, a logo, an avatar): each
//! holds either an upload id of this API or an https URL from elsewhere
//! (what clients sent before uploads existed). Stored as the JSON the
//! client sent (`12` or `"https://…"`), shown as URLs.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::upload;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::claims;
use super::service::{self, is_publicly_visible};
use super::{Purpose, Visibility};
use crate::error::ApiResult;
use crate::fields::{FieldErrors, HttpsUrl};
use crate::media::MediaStore;

/// An image: the id of one of the caller's uploads (`POST /uploads`) or an
/// https URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ImageRef {
    /// An upload id: claimed by the resource that saves it.
    Upload(i64),
    /// An https URL of at most 512 characters.
    Url(String),
}

/// Written by hand so the document carries the rules `check_urls` and the
/// claims apply: an id is positive, a URL is `https://` and at most 512
/// characters without whitespace.
impl utoipa::PartialSchema for ImageRef {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, SchemaFormat, Type};
        use utoipa::openapi::{ObjectBuilder, OneOfBuilder};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                    .minimum(Some(1))
                    .description(Some("An upload id: claimed by the resource that saves it.")),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(512))
                    .pattern(Some(r"^https://[!-~]+$"))
                    .description(Some("An https URL of at most 512 characters.")),
            )
            .description(Some(
                "An image: the id of one of the caller's uploads (`POST /uploads`) or an\nhttps URL.",
            ))
            .into()
    }
}

impl ToSchema for ImageRef {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("ImageRef")
    }
}

impl ImageRef {
    pub fn upload_id(&self) -> Option<i64> {
        match self {
            ImageRef::Upload(id) => Some(*id),
            ImageRef::Url(_) => None,
        }
    }
}

/// Checks the URLs among `refs` (`field[i]` names a bad one).
pub fn check_urls(errors: &mut FieldErrors, field: &str, refs: &[ImageRef]) {
    for (i, r) in refs.iter().enumerate() {
        if let ImageRef::Url(url) = r
            && let Err(problem) = HttpsUrl::parse(url)
        {
            errors.push(format!("{field}[{i}]"), problem);
        }
    }
}

/// Checks one image held in `field`.
pub fn check_url(errors: &mut FieldErrors, field: &str, r: &ImageRef) {
    if let ImageRef::Url(url) = r
        && let Err(problem) = HttpsUrl::parse(url)
    {
        errors.push(field, problem);
    }
}

/// Checks a list of at most `max` images held in `field` (its URLs too).
pub fn check_list(errors: &mut FieldErrors, field: &str, refs: &[ImageRef], max: usize) {
    if refs.len() > max {
        errors.push(field, format!("最多 {max} 张图片"));
    }
    check_urls(errors, field, refs);
}

/// Takes one reference on each upload among `refs` for `owner_id`, inside
/// the caller's transaction ([`claims::claim`]); a bad one is named by its
/// place in `refs` (`field[i]`).
pub async fn claim_all(
    conn: &impl ConnectionTrait,
    owner_id: i64,
    purpose: Purpose,
    field: &str,
    refs: &[ImageRef],
) -> ApiResult<()> {
    let places: Vec<usize> = refs
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.upload_id().map(|_| i))
        .collect();
    claims::claim_named(conn, owner_id, purpose, &upload_ids(refs), |i| {
        format!("{field}[{}]", places.get(i).copied().unwrap_or(i))
    })
    .await
    .map(drop)
}

/// Gives back the references `refs` held (see [`claims::release`]).
pub async fn release_all(conn: &impl ConnectionTrait, refs: &[ImageRef]) -> ApiResult<()> {
    claims::release(conn, &upload_ids(refs)).await
}

/// The upload ids among `refs`.
pub fn upload_ids<'a>(refs: impl IntoIterator<Item = &'a ImageRef>) -> Vec<i64> {
    refs.into_iter().filter_map(ImageRef::upload_id).collect()
}

/// The stored JSON of a list of images.
pub fn to_json(refs: &[ImageRef]) -> String {
    serde_json::to_string(refs).unwrap_or_else(|_| "[]".to_owned())
}

/// A stored list of images (old rows hold plain URL strings, which still parse).
pub fn from_json(raw: &str) -> Vec<ImageRef> {
    serde_json::from_str(raw).unwrap_or_default()
}

/// The stored JSON of one image (a logo, an avatar).
pub fn one_from_json(raw: &str) -> Option<ImageRef> {
    serde_json::from_str(raw)
        .ok()
        .or_else(|| (!raw.is_empty()).then(|| ImageRef::Url(raw.to_owned())))
}

/// Turns image references into URLs: the uploads among them are read in
/// one query. A flagged upload (WeChat's image check) resolves to nothing;
/// a private one to a signed URL.
pub struct Resolver {
    uploads: HashMap<i64, upload::Model>,
    media: MediaStore,
    now: DateTime<Utc>,
}

impl Resolver {
    pub async fn load<'a>(
        db: &impl ConnectionTrait,
        media: &MediaStore,
        refs: impl IntoIterator<Item = &'a ImageRef>,
    ) -> ApiResult<Self> {
        let ids = upload_ids(refs);
        let uploads = if ids.is_empty() {
            HashMap::new()
        } else {
            upload::Entity::find()
                .filter(upload::Column::Id.is_in(ids))
                .all(db)
                .await?
                .into_iter()
                .map(|u| (u.id, u))
                .collect()
        };
        Ok(Self {
            uploads,
            media: media.clone(),
            now: crate::time::now(),
        })
    }

    /// The URL to show for `r`; None for a flagged or vanished upload.
    pub fn url(&self, r: &ImageRef) -> Option<String> {
        match r {
            ImageRef::Url(url) => Some(url.clone()),
            ImageRef::Upload(id) => {
                let u = self.uploads.get(id).filter(|u| is_publicly_visible(u))?;
                let private = Purpose::parse(&u.purpose)
                    .is_none_or(|p| p.visibility() == Visibility::Private);
                Some(if private {
                    service::view(&self.media, u, self.now).url
                } else {
                    self.media.public_url(&u.storage_key)
                })
            }
        }
    }

    /// [`Resolver::load`] of every list in `lists` at once; answers the
    /// resolver and the lists parsed from their stored JSON.
    pub async fn load_lists<'a>(
        db: &impl ConnectionTrait,
        media: &MediaStore,
        lists: impl IntoIterator<Item = &'a str>,
    ) -> ApiResult<(Self, Vec<Vec<ImageRef>>)> {
        let parsed: Vec<Vec<ImageRef>> = lists.into_iter().map(from_json).collect();
        let resolver = Self::load(db, media, parsed.iter().flatten()).await?;
        Ok((resolver, parsed))
    }

    /// The references still shown (flagged uploads dropped) and their URLs.
    pub fn visible(&self, refs: &[ImageRef]) -> (Vec<ImageRef>, Vec<String>) {
        refs.iter()
            .filter_map(|r| self.url(r).map(|url| (r.clone(), url)))
            .unzip()
    }
}
