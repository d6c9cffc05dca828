use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A resident's order in a group-buy. Status: pending_payment, placed,
/// awaiting_pickup, picked_up, cancelled, refunded, expired.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub order_no: String,
    pub group_buy_id: i64,
    pub merchant_id: i64,
    pub user_id: i64,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub amount_fen: i64,
    pub status: String,
    pub payment_provider: PaymentProvider,
    /// The provider's reference (WeChat Pay prepay id / transaction id).
    pub payment_ref: Option<String>,
    pub paid_at: Option<DateTimeUtc>,
    #[sea_orm(unique)]
    pub pickup_code: Option<String>,
    pub picked_up_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub refunded_at: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Who collects an order's money: the deployment's `payments.provider` for
/// new orders, and stored on each order.
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
pub enum PaymentProvider {
    /// Pay the merchant at pickup.
    #[sea_orm(string_value = "offline")]
    Offline,
    /// WeChat Pay API v3 JSAPI.
    #[sea_orm(string_value = "wechat")]
    Wechat,
}
