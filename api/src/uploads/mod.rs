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

pub mod image;
pub mod routes;
pub mod service;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use routes::configure;

use crate::content::Scene;
pub use service::{UploadView, claim, release};

/// What an upload is for: decides who may see it and its size limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    GoodsImage,
    MerchantLogo,
    MerchantLicense,
    HelperCertificate,
    Avatar,
    NoticeImage,
    ReviewPhoto,
    RequestPhoto,
}

/// Who may fetch the stored picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Anyone, at `/media/{key}` or the CDN, cached for a year.
    Public,
    /// The owner and the admins who review it, through short-lived signed URLs.
    Private,
}

impl Purpose {
    pub const ALL: [Purpose; 8] = [
        Purpose::GoodsImage,
        Purpose::MerchantLogo,
        Purpose::MerchantLicense,
        Purpose::HelperCertificate,
        Purpose::Avatar,
        Purpose::NoticeImage,
        Purpose::ReviewPhoto,
        Purpose::RequestPhoto,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::GoodsImage => "goods_image",
            Purpose::MerchantLogo => "merchant_logo",
            Purpose::MerchantLicense => "merchant_license",
            Purpose::HelperCertificate => "helper_certificate",
            Purpose::Avatar => "avatar",
            Purpose::NoticeImage => "notice_image",
            Purpose::ReviewPhoto => "review_photo",
            Purpose::RequestPhoto => "request_photo",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Licences, certificates and the photos of a resident's request show a
    /// person's papers or home: never public.
    pub fn visibility(self) -> Visibility {
        match self {
            Purpose::MerchantLicense | Purpose::HelperCertificate | Purpose::RequestPhoto => {
                Visibility::Private
            }
            _ => Visibility::Public,
        }
    }

    /// WeChat's content-check scene for a picture of this purpose.
    pub fn scene(self) -> Scene {
        match self {
            Purpose::Avatar | Purpose::MerchantLogo => Scene::Profile,
            Purpose::ReviewPhoto => Scene::Comment,
            _ => Scene::Forum,
        }
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
