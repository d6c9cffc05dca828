use sea_orm::entity::prelude::*;

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
