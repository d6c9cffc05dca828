use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "merchants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_user_id: i64,
    pub application_id: Option<i64>,
    pub name: String,
    pub category: String,
    pub license_no: String,
    pub address: String,
    pub lat: f64,
    pub lng: f64,
    pub business_hours: String,
    pub announcement: String,
    /// What the shop says about itself, up to 1000 characters.
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// WeChat's check of the name, description and announcement: `pass`,
    /// `review` (waits for an admin) or `pending` (waits for WeChat).
    pub moderation: String,
    /// JSON of the last approved name, description and announcement, shown
    /// to the public while `moderation` is not `pass`; None when the current
    /// text is the approved one.
    #[sea_orm(column_type = "Text", nullable)]
    pub approved_text: Option<String>,
    pub logo_url: Option<String>,
    /// The upload `logo_url` points at (None: a URL from elsewhere, or none).
    pub logo_upload_id: Option<i64>,
    /// The business phone, shown publicly.
    pub contact_phone: String,
    pub status: MerchantStatus,
    /// Delivers shop orders to residents' doors (else pickup only).
    pub delivery_enabled: bool,
    /// The least a delivery order's goods must come to.
    pub min_order_fen: i64,
    pub delivery_fee_fen: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Whether a merchant is public: a suspended merchant, its goods, promotions
/// and campaigns are absent from every public read.
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
pub enum MerchantStatus {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "suspended")]
    Suspended,
}
