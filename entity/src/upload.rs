use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An uploaded image: the re-encoded picture and its thumbnail, stored under
/// their content hashes (several uploads may share one stored object).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "uploads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_id: i64,
    /// `goods_image`, `merchant_logo`, `merchant_license`, ... (see `uploads::Purpose`).
    pub purpose: String,
    /// Object name of the picture: `{sha256}.{jpg|png}`.
    pub storage_key: String,
    /// Object name of the 400 px thumbnail.
    pub thumb_key: String,
    pub width: i32,
    pub height: i32,
    /// Size of the stored picture.
    pub bytes: i64,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// sha256 (hex) of the stored picture.
    pub hash: String,
    /// How many things (goods, merchants, reviews ...) use it; 0 = orphan.
    pub ref_count: i32,
    /// When `ref_count` last fell to 0.
    pub released_at: Option<DateTimeUtc>,
    /// `unchecked`, `pending`, `pass` or `flagged`.
    pub moderation: String,
    /// WeChat's trace id of the asynchronous image check.
    pub trace_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

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
    /// A photo of a lending point's tool.
    ToolPhoto,
    /// A wish's photos and its fulfilment's (public on the wall).
    WishPhoto,
    /// The photo proving a volunteer's service (private).
    ServicePhoto,
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
    pub const ALL: [Purpose; 11] = [
        Purpose::GoodsImage,
        Purpose::MerchantLogo,
        Purpose::MerchantLicense,
        Purpose::HelperCertificate,
        Purpose::Avatar,
        Purpose::NoticeImage,
        Purpose::ReviewPhoto,
        Purpose::RequestPhoto,
        Purpose::ToolPhoto,
        Purpose::WishPhoto,
        Purpose::ServicePhoto,
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
            Purpose::ToolPhoto => "tool_photo",
            Purpose::WishPhoto => "wish_photo",
            Purpose::ServicePhoto => "service_photo",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Licences, certificates and the photos of a resident's request show a
    /// person's papers or home: never public.
    pub fn visibility(self) -> Visibility {
        match self {
            Purpose::MerchantLicense
            | Purpose::HelperCertificate
            | Purpose::RequestPhoto
            | Purpose::ServicePhoto => Visibility::Private,
            _ => Visibility::Public,
        }
    }
}
