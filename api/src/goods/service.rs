//! Goods queries and writes. Public reads only ever show goods that are on
//! the shelf, not deleted, and of an active merchant.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{goods, goods_category, merchant};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::{self, FieldErrors, HttpsUrl};
use crate::merchants::service::{self as merchants};
use crate::money::Money;
use crate::pagination::{Page, Paged};
use crate::time;

/// Units goods are sold by.
pub const UNITS: &[&str] = &[
    "斤", "公斤", "克", "个", "只", "份", "盒", "袋", "瓶", "罐", "桶", "箱", "包", "提", "把",
    "束", "枝", "盆", "株", "件", "套", "双", "条", "块", "张", "支", "次", "小时",
];
pub const MAX_IMAGES: usize = 9;
pub const MAX_STOCK: i64 = 999_999;
/// 99999.99 CNY.
pub const MAX_PRICE_FEN: i64 = 9_999_999;

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
    pub images: Vec<String>,
    pub on_shelf: bool,
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
            images: serde_json::from_str(&g.images).unwrap_or_default(),
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

fn default_true() -> bool {
    true
}

#[derive(Deserialize, ToSchema)]
pub struct NewGoods {
    /// A leaf category (a child in `GET /goods-categories`).
    pub category_id: i64,
    /// 1-60 characters.
    pub name: String,
    /// Up to 2000 characters.
    #[serde(default)]
    pub description: String,
    /// Above 0, at most 99999.99, at most two decimals: `"12.50"`.
    #[schema(value_type = String, example = "12.50")]
    pub price: Value,
    /// One of 斤 公斤 克 个 只 份 盒 袋 瓶 罐 桶 箱 包 提 把 束 枝 盆 株 件 套 双 条 块 张 支 次 小时.
    pub unit: String,
    /// 0-999999.
    pub stock: i64,
    /// Up to 9 https URLs.
    #[serde(default)]
    pub images: Vec<String>,
    /// Listed at once (default true).
    #[serde(default = "default_true")]
    pub on_shelf: bool,
}

/// Any subset of the goods' fields; the same rules as creation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoodsPatch {
    pub category_id: Option<i64>,
    pub name: Option<String>,
    pub description: Option<String>,
    #[schema(value_type = Option<String>, example = "12.50")]
    pub price: Option<Value>,
    pub unit: Option<String>,
    pub stock: Option<i64>,
    pub images: Option<Vec<String>>,
}

#[derive(Deserialize, ToSchema)]
pub struct ShelfRequest {
    pub on_shelf: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GoodsSort {
    #[default]
    Newest,
    PriceAsc,
    PriceDesc,
    Sales,
}

impl GoodsSort {
    pub fn as_str(self) -> &'static str {
        match self {
            GoodsSort::Newest => "newest",
            GoodsSort::PriceAsc => "price_asc",
            GoodsSort::PriceDesc => "price_desc",
            GoodsSort::Sales => "sales",
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GoodsQuery {
    /// Goods of merchants serving this community.
    pub community_id: Option<i64>,
    pub merchant_id: Option<i64>,
    /// A leaf, or a top-level category (includes its children).
    pub category_id: Option<i64>,
    /// Substring of the name or description (`%` and `_` match literally).
    pub q: Option<String>,
    /// Lowest price, e.g. `5.00`.
    pub min_price: Option<String>,
    /// Highest price, e.g. `20.00`.
    pub max_price: Option<String>,
    /// `newest` (default), `price_asc`, `price_desc` or `sales`.
    pub sort: Option<GoodsSort>,
}

/// A validated, normalised public goods query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoodsFilter {
    pub community_id: Option<i64>,
    pub merchant_id: Option<i64>,
    pub category_id: Option<i64>,
    pub q: Option<String>,
    pub min_fen: Option<i64>,
    pub max_fen: Option<i64>,
    pub sort: GoodsSort,
}

impl GoodsFilter {
    /// 400 `INVALID_QUERY` naming each bad parameter.
    pub fn parse(q: GoodsQuery) -> ApiResult<Self> {
        let mut errors = FieldErrors::default();
        let mut price = |field: &str, raw: Option<&str>| -> Option<i64> {
            let raw = raw?.trim();
            if raw.is_empty() {
                return None;
            }
            match raw.parse::<Money>() {
                Ok(m) => Some(m.fen()),
                Err(e) => {
                    errors.push(field, e.to_string());
                    None
                }
            }
        };
        let min_fen = price("min_price", q.min_price.as_deref());
        let max_fen = price("max_price", q.max_price.as_deref());
        if let (Some(min), Some(max)) = (min_fen, max_fen)
            && min > max
        {
            errors.push("max_price", "最高价不能低于最低价");
        }
        errors.finish_query()?;
        Ok(Self {
            community_id: q.community_id,
            merchant_id: q.merchant_id,
            category_id: q.category_id,
            q: fields::keyword(q.q.as_deref()),
            min_fen,
            max_fen,
            sort: q.sort.unwrap_or_default(),
        })
    }

    /// Every parameter in a fixed order; the keyword hex-encoded.
    pub fn cache_key(&self) -> String {
        let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".to_owned());
        format!(
            "c{}:m{}:cat{}:min{}:max{}:s{}:q{}",
            opt(self.community_id),
            opt(self.merchant_id),
            opt(self.category_id),
            opt(self.min_fen),
            opt(self.max_fen),
            self.sort.as_str(),
            self.q.as_deref().map(hex::encode).unwrap_or_default(),
        )
    }
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
    pub status: Option<OwnerGoodsStatus>,
}

pub async fn categories(db: &impl ConnectionTrait) -> ApiResult<Vec<CategoryView>> {
    let rows = goods_category::Entity::find()
        .order_by_asc(goods_category::Column::SortOrder)
        .order_by_asc(goods_category::Column::Id)
        .all(db)
        .await?;
    let mut children: HashMap<i64, Vec<SubcategoryView>> = HashMap::new();
    for c in &rows {
        if let Some(parent) = c.parent_id {
            children.entry(parent).or_default().push(SubcategoryView {
                id: c.id,
                name: c.name.clone(),
            });
        }
    }
    Ok(rows
        .into_iter()
        .filter(|c| c.parent_id.is_none())
        .map(|c| CategoryView {
            children: children.remove(&c.id).unwrap_or_default(),
            id: c.id,
            name: c.name,
        })
        .collect())
}

/// On shelf, not deleted, of an active merchant (serving `community_id`).
fn public_select(community_id: Option<i64>) -> Select<goods::Entity> {
    let mut select = goods::Entity::find()
        .filter(goods::Column::OnShelf.eq(true))
        .filter(goods::Column::DeletedAt.is_null());
    merchants::join_active(
        QueryTrait::query(&mut select),
        (goods::Entity, goods::Column::MerchantId),
        community_id,
    );
    select
}

/// The column the page's rows carry the number of matching goods in.
const TOTAL: &str = "total_matching";

pub async fn list_public(
    db: &impl ConnectionTrait,
    f: &GoodsFilter,
    page: Page,
) -> ApiResult<Paged<GoodsView>> {
    let mut select = public_select(f.community_id);
    if let Some(mid) = f.merchant_id {
        select = select.filter(goods::Column::MerchantId.eq(mid));
    }
    if let Some(cat) = f.category_id {
        let children = Query::select()
            .column(goods_category::Column::Id)
            .from(goods_category::Entity)
            .and_where(goods_category::Column::ParentId.eq(cat))
            .to_owned();
        select = select.filter(
            Condition::any()
                .add(goods::Column::CategoryId.eq(cat))
                .add(goods::Column::CategoryId.in_subquery(children)),
        );
    }
    if let Some(q) = f.q.as_deref() {
        select = select.filter(
            Condition::any()
                .add(goods::Column::Name.like(fields::contains(q)))
                .add(goods::Column::Description.like(fields::contains(q))),
        );
    }
    if let Some(min) = f.min_fen {
        select = select.filter(goods::Column::PriceFen.gte(min));
    }
    if let Some(max) = f.max_fen {
        select = select.filter(goods::Column::PriceFen.lte(max));
    }
    let sorted = match f.sort {
        GoodsSort::Newest => select.clone().order_by_desc(goods::Column::CreatedAt),
        GoodsSort::PriceAsc => select.clone().order_by_asc(goods::Column::PriceFen),
        GoodsSort::PriceDesc => select.clone().order_by_desc(goods::Column::PriceFen),
        GoodsSort::Sales => select.clone().order_by_desc(goods::Column::Sales),
    };
    // The page and the number of matches in one query.
    let page_query = sorted
        .order_by_desc(goods::Column::Id)
        .column_as(Expr::cust("COUNT(*) OVER ()"), TOTAL)
        .offset(page.offset())
        .limit(page.page_size)
        .build(db.get_database_backend());
    let rows = db.query_all_raw(page_query).await?;
    let total = match rows.first() {
        Some(row) => u64::try_from(row.try_get::<i64>("", TOTAL)?).unwrap_or_default(),
        None if page.offset() == 0 => 0,
        // Past the last page: the count alone.
        None => select.count(db).await?,
    };
    let items = rows
        .iter()
        .map(|row| goods::Model::from_query_result(row, "").map(GoodsView::from))
        .collect::<Result<_, _>>()?;
    Ok(Paged::new(items, page, total))
}

pub async fn get_public(db: &impl ConnectionTrait, id: i64) -> ApiResult<GoodsView> {
    public_select(None)
        .filter(goods::Column::Id.eq(id))
        .one(db)
        .await?
        .map(GoodsView::from)
        .ok_or_else(|| ErrorCode::GoodsNotFound.into())
}

/// Any goods of a merchant the caller owns, deleted included; None otherwise.
pub async fn get_for_owner(
    db: &impl ConnectionTrait,
    id: i64,
    me: &AuthUser,
) -> ApiResult<Option<GoodsView>> {
    let Some(g) = goods::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let m = merchants::find(db, g.merchant_id).await?;
    Ok((m.owner_user_id == me.id()).then(|| g.into()))
}

pub async fn list_for_owner(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    status: Option<OwnerGoodsStatus>,
    page: Page,
) -> ApiResult<Paged<GoodsView>> {
    let mut select = goods::Entity::find().filter(goods::Column::MerchantId.eq(merchant_id));
    select = match status {
        None => select.filter(goods::Column::DeletedAt.is_null()),
        Some(OwnerGoodsStatus::OnShelf) => select
            .filter(goods::Column::DeletedAt.is_null())
            .filter(goods::Column::OnShelf.eq(true)),
        Some(OwnerGoodsStatus::OffShelf) => select
            .filter(goods::Column::DeletedAt.is_null())
            .filter(goods::Column::OnShelf.eq(false)),
        Some(OwnerGoodsStatus::Deleted) => select.filter(goods::Column::DeletedAt.is_not_null()),
    };
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_desc(goods::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok(Paged::new(
        rows.into_iter().map(GoodsView::from).collect(),
        page,
        total,
    ))
}

/// Goods the caller may change: not deleted, of a merchant they own. Someone
/// else's goods are 403 when the public can see them and 404 when not.
pub async fn owned_by(
    db: &impl ConnectionTrait,
    id: i64,
    me: &AuthUser,
) -> ApiResult<goods::Model> {
    let g = goods::Entity::find_by_id(id)
        .filter(goods::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::GoodsNotFound))?;
    let m: merchant::Model = merchants::find(db, g.merchant_id).await?;
    if m.owner_user_id == me.id() {
        Ok(g)
    } else if g.on_shelf && merchants::is_active(&m) {
        Err(ErrorCode::Forbidden.into())
    } else {
        Err(ErrorCode::GoodsNotFound.into())
    }
}

fn check_price(errors: &mut FieldErrors, raw: &Value) -> i64 {
    match serde_json::from_value::<Money>(raw.clone()) {
        Ok(m) if m.is_zero() => errors.push("price", "价格须大于 0"),
        Ok(m) if m.fen() > MAX_PRICE_FEN => errors.push("price", "价格不能超过 99999.99"),
        Ok(m) => return m.fen(),
        Err(e) => errors.push("price", e.to_string()),
    }
    0
}

fn check_stock(errors: &mut FieldErrors, stock: i64) -> i32 {
    if !(0..=MAX_STOCK).contains(&stock) {
        errors.push("stock", "库存须为 0-999999 的整数");
        return 0;
    }
    stock as i32
}

fn check_unit(errors: &mut FieldErrors, unit: &str) -> String {
    let unit = unit.trim();
    if !UNITS.contains(&unit) {
        errors.push("unit", "计量单位不在可选范围内");
    }
    unit.to_owned()
}

fn check_images(errors: &mut FieldErrors, images: &[String]) -> String {
    if images.len() > MAX_IMAGES {
        errors.push("images", "最多 9 张图片");
    }
    for (i, url) in images.iter().enumerate() {
        if HttpsUrl::parse(url).is_err() {
            errors.push(format!("images[{i}]"), "须为 https 链接，不超过 512 个字符");
        }
    }
    serde_json::to_string(images).unwrap_or_else(|_| "[]".to_owned())
}

/// A category goods may be filed under: exists and has no children.
async fn check_category(
    db: &impl ConnectionTrait,
    errors: &mut FieldErrors,
    id: i64,
) -> ApiResult<()> {
    let exists = goods_category::Entity::find_by_id(id)
        .one(db)
        .await?
        .is_some();
    let has_children = goods_category::Entity::find()
        .filter(goods_category::Column::ParentId.eq(id))
        .count(db)
        .await?
        > 0;
    if !exists {
        errors.push("category_id", "分类不存在");
    } else if has_children {
        errors.push("category_id", "须选择二级分类");
    }
    Ok(())
}

pub async fn create(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    new: NewGoods,
) -> ApiResult<GoodsView> {
    let mut errors = FieldErrors::default();
    check_category(db, &mut errors, new.category_id).await?;
    let name = errors.text("name", &new.name, 1, 60);
    let description = errors.text("description", &new.description, 0, 2000);
    let price_fen = check_price(&mut errors, &new.price);
    let unit = check_unit(&mut errors, &new.unit);
    let stock = check_stock(&mut errors, new.stock);
    let images = check_images(&mut errors, &new.images);
    errors.finish()?;
    let now = time::now();
    let saved = goods::ActiveModel {
        merchant_id: Set(merchant_id),
        category_id: Set(new.category_id),
        name: Set(name),
        description: Set(description),
        price_fen: Set(price_fen),
        unit: Set(unit),
        stock: Set(stock),
        sales: Set(0),
        images: Set(images),
        on_shelf: Set(new.on_shelf),
        deleted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(saved.into())
}

pub async fn update(
    db: &impl ConnectionTrait,
    g: goods::Model,
    patch: GoodsPatch,
) -> ApiResult<GoodsView> {
    let mut errors = FieldErrors::default();
    if let Some(cat) = patch.category_id {
        check_category(db, &mut errors, cat).await?;
    }
    let name = patch.name.as_deref().map(|v| errors.text("name", v, 1, 60));
    let description = patch
        .description
        .as_deref()
        .map(|v| errors.text("description", v, 0, 2000));
    let price = patch.price.as_ref().map(|v| check_price(&mut errors, v));
    let unit = patch.unit.as_deref().map(|v| check_unit(&mut errors, v));
    let stock = patch.stock.map(|v| check_stock(&mut errors, v));
    let images = patch
        .images
        .as_deref()
        .map(|v| check_images(&mut errors, v));
    errors.finish()?;
    let mut active = g.into_active_model();
    if let Some(v) = patch.category_id {
        active.category_id = Set(v);
    }
    if let Some(v) = name {
        active.name = Set(v);
    }
    if let Some(v) = description {
        active.description = Set(v);
    }
    if let Some(v) = price {
        active.price_fen = Set(v);
    }
    if let Some(v) = unit {
        active.unit = Set(v);
    }
    if let Some(v) = stock {
        active.stock = Set(v);
    }
    if let Some(v) = images {
        active.images = Set(v);
    }
    active.updated_at = Set(time::now());
    Ok(active.update(db).await?.into())
}

pub async fn set_shelf(
    db: &impl ConnectionTrait,
    g: goods::Model,
    on: bool,
) -> ApiResult<GoodsView> {
    let mut active = g.into_active_model();
    active.on_shelf = Set(on);
    active.updated_at = Set(time::now());
    Ok(active.update(db).await?.into())
}

/// Soft delete: the row stays (orders refer to it), the public never sees it again.
pub async fn soft_delete(db: &impl ConnectionTrait, g: goods::Model) -> ApiResult<()> {
    let now = time::now();
    let result = goods::Entity::update_many()
        .col_expr(goods::Column::DeletedAt, Some(now).into())
        .col_expr(goods::Column::UpdatedAt, now.into())
        .filter(goods::Column::Id.eq(g.id))
        .filter(goods::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(ErrorCode::GoodsNotFound.into());
    }
    Ok(())
}
