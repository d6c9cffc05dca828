//! Goods as clients send and read them.

use chrono::{DateTime, Utc};
use entity::goods;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::money::Money;
use crate::uploads::refs::{self, ImageRef};

/// A top-level category with its children; goods belong to a child.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryView {
    pub id: i64,
    pub name: String,
    pub children: Vec<SubcategoryView>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SubcategoryView {
    pub id: i64,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct GoodsView {
    pub id: i64,
    pub merchant_id: i64,
    pub category_id: i64,
    pub name: String,
    pub description: String,
    pub price: Money,
    pub unit: String,
    pub stock: i32,
    /// URLs of the images (an upload's public URL, or the https URL sent);
    /// an image WeChat flagged is left out.
    pub images: Vec<String>,
    /// The images as sent (upload ids or URLs), in the order of `images`:
    /// what to send back to keep them.
    pub image_refs: Vec<ImageRef>,
    pub on_shelf: bool,
    /// `pass` (public), `review` (the name or description waits for an
    /// admin) or `pending` (waits for WeChat's check); only `pass` is public.
    pub moderation: String,
    pub sales: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Only the owner sees deleted goods; set when deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl From<goods::Model> for GoodsView {
    fn from(g: goods::Model) -> Self {
        Self {
            images: Vec::new(),
            image_refs: refs::from_json(&g.images),
            moderation: g.moderation,
            id: g.id,
            merchant_id: g.merchant_id,
            category_id: g.category_id,
            name: g.name,
            description: g.description,
            price: Money::from_fen(g.price_fen),
            unit: g.unit,
            stock: g.stock,
            on_shelf: g.on_shelf,
            sales: g.sales,
            created_at: g.created_at,
            updated_at: g.updated_at,
            deleted_at: g.deleted_at,
        }
    }
}

/// Fills in the image URLs of `views` (one query for all their uploads).
pub async fn with_images(
    db: &impl sea_orm::ConnectionTrait,
    media: &crate::media::MediaStore,
    mut views: Vec<GoodsView>,
) -> crate::error::ApiResult<Vec<GoodsView>> {
    let resolver =
        refs::Resolver::load(db, media, views.iter().flat_map(|v| v.image_refs.iter())).await?;
    for v in &mut views {
        (v.image_refs, v.images) = resolver.visible(&v.image_refs);
    }
    Ok(views)
}

/// [`with_images`] of one.
pub async fn with_images_one(
    db: &impl sea_orm::ConnectionTrait,
    media: &crate::media::MediaStore,
    view: GoodsView,
) -> crate::error::ApiResult<GoodsView> {
    let mut views = with_images(db, media, vec![view]).await?;
    views
        .pop()
        .ok_or_else(|| crate::error::ApiError::internal(anyhow::anyhow!("no goods view")))
}

fn default_true() -> bool {
    true
}

#[derive(Deserialize, ToSchema)]
pub struct NewGoods {
    /// A leaf category (a child in `GET /goods-categories`).
    pub category_id: i64,
    /// 1-60 characters.
    #[schema(max_length = 60, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: String,
    /// Up to 2000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    /// Above 0, at most 99999.99, at most two decimals: `"12.50"`.
    #[schema(value_type = String, example = "12.50", pattern = r"^(0\.(0[1-9]|[1-9][0-9])|[1-9][0-9]{0,4}\.[0-9]{2})$")]
    pub price: Value,
    /// One of 斤 公斤 克 个 只 份 盒 袋 瓶 罐 桶 箱 包 提 把 束 枝 盆 株 件 套 双 条 块 张 支 次 小时.
    #[schema(schema_with = units)]
    pub unit: String,
    /// 0-999999.
    #[schema(minimum = 0, maximum = 999999)]
    pub stock: i64,
    /// Up to 9 images: ids of the caller's `goods_image` uploads or https URLs.
    #[serde(default)]
    #[schema(max_items = 9)]
    pub images: Vec<ImageRef>,
    /// Listed at once (default true).
    #[serde(default = "default_true")]
    pub on_shelf: bool,
}

fn units() -> utoipa::openapi::Object {
    crate::openapi::choices(super::owner::UNITS)
}

/// Any subset of the goods' fields; the same rules as creation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoodsPatch {
    pub category_id: Option<i64>,
    pub name: Option<String>,
    pub description: Option<String>,
    #[schema(value_type = Option<String>, example = "12.50", pattern = r"^(0\.(0[1-9]|[1-9][0-9])|[1-9][0-9]{0,4}\.[0-9]{2})$")]
    pub price: Option<Value>,
    #[schema(schema_with = units)]
    pub unit: Option<String>,
    #[schema(minimum = 0, maximum = 999999)]
    pub stock: Option<i64>,
    /// Replaces all images (uploads no longer listed are released).
    pub images: Option<Vec<ImageRef>>,
}

#[derive(Deserialize, ToSchema)]
pub struct ShelfRequest {
    pub on_shelf: bool,
}

/// The owner's list filter.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OwnerGoodsStatus {
    OnShelf,
    OffShelf,
    Deleted,
}

#[derive(Clone, Copy, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OwnerGoodsQuery {
    /// `on_shelf`, `off_shelf` or `deleted`; absent: all but deleted.
    #[param(inline)]
    pub status: Option<OwnerGoodsStatus>,
}
