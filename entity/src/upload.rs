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
    pub purpose: Purpose,
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
    pub moderation: Moderation,
    /// WeChat's trace id of the asynchronous image check.
    pub trace_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What an upload is for: decides who may see it and its size limit.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    #[sea_orm(string_value = "goods_image")]
    GoodsImage,
    #[sea_orm(string_value = "merchant_logo")]
    MerchantLogo,
    #[sea_orm(string_value = "merchant_license")]
    MerchantLicense,
    #[sea_orm(string_value = "helper_certificate")]
    HelperCertificate,
    #[sea_orm(string_value = "avatar")]
    Avatar,
    #[sea_orm(string_value = "notice_image")]
    NoticeImage,
    #[sea_orm(string_value = "review_photo")]
    ReviewPhoto,
    #[sea_orm(string_value = "request_photo")]
    RequestPhoto,
}

/// Who may fetch an upload's stored picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Anyone, at `/media/{key}` or the CDN, cached for a year.
    Public,
    /// The owner and the admins who review it, through short-lived signed URLs.
    Private,
}

impl Purpose {
    /// The purpose named `name` (`goods_image` ...), if any.
    pub fn parse(name: &str) -> Option<Purpose> {
        Purpose::iter().find(|p| p.to_value() == name)
    }

    /// Licences, certificates and the photos of a resident's request show a
    /// person's papers or home: never public.
    pub fn visibility(self) -> Visibility {
        match self {
            Purpose::MerchantLicense | Purpose::HelperCertificate | Purpose::RequestPhoto => {
                Visibility::Private
            }
            Purpose::GoodsImage
            | Purpose::MerchantLogo
            | Purpose::Avatar
            | Purpose::NoticeImage
            | Purpose::ReviewPhoto => Visibility::Public,
        }
    }

    /// The purposes whose pictures are on `visibility`'s side.
    pub fn all_with(visibility: Visibility) -> Vec<Purpose> {
        Purpose::iter()
            .filter(|p| p.visibility() == visibility)
            .collect()
    }
}

/// How far WeChat's image check of an upload got.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Moderation {
    /// Not sent to WeChat: checks are off, the purpose is private, or there
    /// is no openid or absolute public URL to send.
    #[sea_orm(string_value = "unchecked")]
    Unchecked,
    /// Sent (or to be sent) to `media_check_async`; no answer yet.
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "pass")]
    Pass,
    /// WeChat judged it risky (or to be reviewed): hidden from the public.
    #[sea_orm(string_value = "flagged")]
    Flagged,
}
