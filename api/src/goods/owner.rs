//! The owning merchant's goods: its list, and create, edit, shelve and
//! soft-delete with every bad field answered at once.

use entity::{goods, goods_category, merchant};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::Value;

use super::views::{GoodsPatch, GoodsView, NewGoods, OwnerGoodsStatus};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::{FieldErrors, HttpsUrl};
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

/// Any goods of a merchant the caller owns, deleted included; None otherwise.
pub async fn get_for_owner(
    db: &impl ConnectionTrait,
    id: i64,
    me: Option<&AuthUser>,
) -> ApiResult<Option<GoodsView>> {
    let Some(me) = me else {
        return Ok(None);
    };
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
    let select = select.order_by_desc(goods::Column::Id);
    Ok(page.fetch(db, select).await?.map(GoodsView::from))
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
