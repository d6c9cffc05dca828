//! Uploads: images residents, merchants and helpers send (`POST /uploads`),
//! checked by their bytes, re-encoded without metadata, stored once per
//! content hash, and claimed by the things that use them.
//!
//! For the resources that take upload ids in their bodies:
//! - [`service::claim`] inside the resource's write transaction checks that
//!   every id is the caller's and of the expected [`Purpose`] (422 naming the
//!   field otherwise) and counts the reference;
//! - [`service::release`] gives references back when an image is replaced or
//!   its owner deleted; an upload nothing references is deleted by the orphan
//!   sweep 24 hours after its upload (or its release, if later);
//! - [`service::view`] shapes one for an answer (URLs, signed when private);
//! - [`service::is_publicly_visible`] says whether a public read may show it
//!   (a flagged image is hidden).

pub mod checks;
pub mod claims;
pub mod refs;
pub mod routes;
pub mod service;

pub use routes::configure;

use crate::wechat::security::Scene;
pub use entity::upload::{Purpose, Visibility};
pub use service::{UploadView, claim, claim_one, release};

/// WeChat's content-check scene for a picture of this purpose.
pub fn scene_of(purpose: Purpose) -> Scene {
    match purpose {
        Purpose::Avatar | Purpose::MerchantLogo => Scene::Profile,
        Purpose::ReviewPhoto => Scene::Comment,
        _ => Scene::Forum,
    }
}

/// Moderation states of an upload (`uploads.moderation`).
pub mod moderation {
    /// Not sent to WeChat: checks are off, or the purpose is private.
    pub const UNCHECKED: &str = "unchecked";
    /// Sent (or to be sent) to `media_check_async`; no answer yet.
    pub const PENDING: &str = "pending";
    pub const PASS: &str = "pass";
    /// WeChat judged it risky (or to be reviewed): hidden from the public.
    pub const FLAGGED: &str = "flagged";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_round_trip_and_papers_are_private() {
        for p in Purpose::ALL {
            assert_eq!(Purpose::parse(p.as_str()), Some(p));
            assert_eq!(
                serde_json::to_value(p).unwrap(),
                serde_json::Value::String(p.as_str().into())
            );
        }
        assert_eq!(Purpose::parse("GOODS_IMAGE"), None);
        assert_eq!(Purpose::MerchantLicense.visibility(), Visibility::Private);
        assert_eq!(Purpose::RequestPhoto.visibility(), Visibility::Private);
        assert_eq!(Purpose::Avatar.visibility(), Visibility::Public);
    }
}
