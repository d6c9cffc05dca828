//! Stored media behind one interface (Apache OpenDAL): a directory by
//! default, S3, Tencent COS or Aliyun OSS by config alone. Objects are named
//! by content hash under three prefixes: `public/` (served to anyone at
//! `/media/{key}` or by a CDN), `private/` (only through signed URLs) and
//! `flagged/` (public pictures WeChat flagged, kept out of reach).

pub mod image;
pub mod routes;
pub mod signing;

use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use opendal::layers::{RetryLayer, TimeoutLayer};
use opendal::{ErrorKind, HttpTransporter, OperationContext, Operator, services};
use opendal_http_transport_reqwest::ReqwestTransport;
use secrecy::ExposeSecret;
use tokio::sync::Semaphore;

use self::image::{IntakeError, Processed, StoredFormat};
use crate::settings::{MediaBackend, MediaSettings};
use entity::upload::{Purpose, Visibility};

/// Where an object lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shelf {
    Public,
    Private,
    /// Public pictures taken down after WeChat flagged them.
    Flagged,
}

impl Shelf {
    fn prefix(self) -> &'static str {
        match self {
            Shelf::Public => "public/",
            Shelf::Private => "private/",
            Shelf::Flagged => "flagged/",
        }
    }
}

impl From<Visibility> for Shelf {
    fn from(v: Visibility) -> Self {
        match v {
            Visibility::Public => Shelf::Public,
            Visibility::Private => Shelf::Private,
        }
    }
}

/// A storage key is `{sha256 hex}.{jpg|png}` and nothing else, so a key from
/// a URL can never name another path. Answers the hash and the format.
pub fn parse_key(key: &str) -> Option<(&str, StoredFormat)> {
    let (hash, ext) = key.split_once('.')?;
    let format = StoredFormat::from_extension(ext)?;
    let hex = hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    hex.then_some((hash, format))
}

/// The store, its URL rules and the limits of intake; cheap to clone.
#[derive(Clone)]
pub struct MediaStore {
    inner: Arc<Inner>,
}

struct Inner {
    op: Operator,
    settings: MediaSettings,
    /// Public objects recently served: immutable by name, so only their
    /// removal (a flagged picture) needs forgetting; the TTL bounds how long
    /// another instance keeps serving one it had cached.
    hot: moka::future::Cache<String, Bytes>,
    /// Decoding is CPU and memory heavy: at most one per core at a time.
    intake: Semaphore,
    signer: signing::UrlSigner,
}

/// How long an instance serves a public object from memory.
const HOT_TTL: Duration = Duration::from_secs(60);

impl MediaStore {
    pub fn new(settings: &MediaSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        let transport = HttpTransporter::new(ReqwestTransport::new(http));
        let op = operator(settings)?
            .with_context(OperationContext::new().with_http_transport(transport))
            .layer(TimeoutLayer::new().with_timeout(Duration::from_secs(30)))
            .layer(RetryLayer::new().with_max_times(2));
        let hot = moka::future::Cache::builder()
            .max_capacity(settings.serve_cache_bytes)
            .weigher(|_: &String, v: &Bytes| u32::try_from(v.len()).unwrap_or(u32::MAX))
            .time_to_live(HOT_TTL)
            .build();
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Self {
            inner: Arc::new(Inner {
                op,
                settings: settings.clone(),
                hot,
                intake: Semaphore::new(cores),
                signer: signing::UrlSigner::new(settings.signing_key.expose_secret().as_bytes())?,
            }),
        })
    }

    pub fn settings(&self) -> &MediaSettings {
        &self.inner.settings
    }

    /// The size limit of an upload for `purpose`, in bytes.
    pub fn limit_for(&self, purpose: Purpose) -> usize {
        let s = &self.inner.settings;
        s.limits
            .get(&purpose)
            .copied()
            .unwrap_or(s.default_limit_bytes)
    }

    /// The largest limit of any purpose: what a body may be before its
    /// purpose is known.
    pub fn largest_limit(&self) -> usize {
        Purpose::ALL
            .into_iter()
            .map(|p| self.limit_for(p))
            .max()
            .unwrap_or(self.inner.settings.default_limit_bytes)
    }

    /// Checks and re-encodes an image on a blocking thread, one per core at
    /// a time.
    pub async fn intake(&self, bytes: Vec<u8>) -> Result<Processed, IntakeError> {
        let _permit = self
            .inner
            .intake
            .acquire()
            .await
            .map_err(|_| IntakeError::Unsupported)?;
        let max_pixels = self.inner.settings.max_pixels;
        tokio::task::spawn_blocking(move || image::process(&bytes, max_pixels))
            .await
            .unwrap_or(Err(IntakeError::Unsupported))
    }

    fn path(shelf: Shelf, key: &str) -> String {
        format!("{}{key}", shelf.prefix())
    }

    /// Writes an object (the same name always holds the same bytes, so
    /// writing it again is harmless).
    pub async fn put(
        &self,
        shelf: Shelf,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> opendal::Result<()> {
        self.inner
            .op
            .write_with(&Self::path(shelf, key), bytes)
            .content_type(content_type)
            .cache_control(match shelf {
                Shelf::Public => "public, max-age=31536000, immutable",
                _ => "private, no-store",
            })
            .await
            .map(drop)
    }

    /// An object's bytes; None when there is none. Public objects come from
    /// memory when this instance served them lately.
    pub async fn get(&self, shelf: Shelf, key: &str) -> opendal::Result<Option<Bytes>> {
        if shelf == Shelf::Public
            && let Some(hit) = self.inner.hot.get(key).await
        {
            return Ok(Some(hit));
        }
        let bytes = match self.inner.op.read(&Self::path(shelf, key)).await {
            Ok(buffer) => buffer.to_bytes(),
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err),
        };
        if shelf == Shelf::Public {
            self.inner.hot.insert(key.to_owned(), bytes.clone()).await;
        }
        Ok(Some(bytes))
    }

    /// Deletes an object; deleting one that is not there is fine.
    pub async fn delete(&self, shelf: Shelf, key: &str) -> opendal::Result<()> {
        if shelf == Shelf::Public {
            self.inner.hot.invalidate(key).await;
        }
        self.inner.op.delete(&Self::path(shelf, key)).await
    }

    /// Takes a public object down: moved to `flagged/`, out of every public
    /// path (this instance forgets it at once, others within a minute).
    pub async fn take_down(&self, key: &str) -> opendal::Result<()> {
        let from = Self::path(Shelf::Public, key);
        match self
            .inner
            .op
            .copy(&from, &Self::path(Shelf::Flagged, key))
            .await
        {
            Ok(_) => {}
            Err(err) if err.kind() == ErrorKind::NotFound => {}
            // A service without server-side copy: read and write instead.
            Err(err) if err.kind() == ErrorKind::Unsupported => {
                if let Some(bytes) = self.get(Shelf::Public, key).await? {
                    self.inner
                        .op
                        .write(&Self::path(Shelf::Flagged, key), bytes)
                        .await?;
                }
            }
            Err(err) => return Err(err),
        }
        self.delete(Shelf::Public, key).await
    }

    /// The URL of a public object: under `public_base_url` when a CDN (or
    /// this server's public address) is configured, else `/media/{key}`.
    pub fn public_url(&self, key: &str) -> String {
        let base = self.inner.settings.public_base_url.trim_end_matches('/');
        if base.is_empty() {
            format!("/media/{key}")
        } else {
            format!("{base}/{key}")
        }
    }

    /// True when public URLs are absolute (what WeChat's image check needs).
    pub fn has_absolute_public_urls(&self) -> bool {
        let base = &self.inner.settings.public_base_url;
        base.starts_with("https://") || base.starts_with("http://")
    }

    /// A short-lived URL of a private object and when it expires.
    pub fn signed_url(&self, key: &str, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
        let ttl = i64::try_from(self.inner.settings.signed_url_ttl_secs).unwrap_or(600);
        let expires = now.timestamp().saturating_add(ttl);
        let sig = self.inner.signer.sign(key, expires);
        (
            format!("/media/private/{key}?expires={expires}&sig={sig}"),
            DateTime::from_timestamp(expires, 0).unwrap_or(now),
        )
    }

    pub fn signer(&self) -> &signing::UrlSigner {
        &self.inner.signer
    }
}

/// The OpenDAL operator `media.backend` names.
fn operator(s: &MediaSettings) -> anyhow::Result<Operator> {
    let secret = s.secret_access_key.expose_secret();
    Ok(match s.backend {
        MediaBackend::Fs => {
            std::fs::create_dir_all(&s.fs_root)
                .map_err(|e| anyhow::anyhow!("cannot create media.fs_root {:?}: {e}", s.fs_root))?;
            let root = std::path::absolute(&s.fs_root)?;
            // Written beside, then renamed into place: a reader never sees
            // half an object, and two writers of one name never mix.
            let staging = root.join(".tmp");
            std::fs::create_dir_all(&staging)?;
            Operator::new(
                services::Fs::default()
                    .root(&root.to_string_lossy())
                    .atomic_write_dir(&staging.to_string_lossy()),
            )?
        }
        MediaBackend::S3 => {
            let mut b = services::S3::default()
                .bucket(&s.bucket)
                .region(if s.region.is_empty() {
                    "us-east-1"
                } else {
                    &s.region
                })
                .root(&s.root)
                .access_key_id(&s.access_key_id)
                .secret_access_key(secret)
                // Credentials come from this config only: never from the
                // environment, profile files or an instance metadata service.
                .disable_config_load()
                .disable_ec2_metadata();
            if !s.endpoint.is_empty() {
                b = b.endpoint(&s.endpoint);
            }
            Operator::new(b)?
        }
        MediaBackend::Cos => Operator::new(
            services::Cos::default()
                .bucket(&s.bucket)
                .endpoint(&s.endpoint)
                .root(&s.root)
                .secret_id(&s.access_key_id)
                .secret_key(secret)
                .disable_config_load(),
        )?,
        MediaBackend::Oss => Operator::new(
            services::Oss::default()
                .bucket(&s.bucket)
                .endpoint(&s.endpoint)
                .root(&s.root)
                .access_key_id(&s.access_key_id)
                .access_key_secret(secret),
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_a_hash_and_a_known_extension_only() {
        let hash = "a".repeat(64);
        assert!(parse_key(&format!("{hash}.jpg")).is_some());
        assert!(parse_key(&format!("{hash}.png")).is_some());
        assert!(parse_key(&format!("{hash}.gif")).is_none());
        assert!(parse_key(&format!("{}.jpg", "A".repeat(64))).is_none());
        assert!(parse_key(&format!("{}.jpg", "a".repeat(63))).is_none());
        assert!(parse_key("../../etc/passwd").is_none());
        assert!(parse_key(&format!("../{hash}.jpg")).is_none());
        assert!(parse_key(&format!("{hash}.jpg.png")).is_none());
    }
}
