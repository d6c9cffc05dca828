//! The owning merchant's goods: its list, and create, edit, shelve and
//! soft-delete with every bad field answered at once.

use entity::{goods, goods_category, merchant};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde_json::Value;

use super::views::{GoodsPatch, GoodsView, NewGoods, OwnerGoodsStatus};
use crate::auth::AuthUser;
use crate::content::{self, Scene};
use crate::db;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::FieldErrors;
use crate::merchants::service::{self as merchants};
use crate::money::Money;
use crate::pagination::{Page, Paged};
use crate::state::AppState;
use crate::time;
use crate::uploads::refs::{self, ImageRef};
use crate::uploads::{self, Purpose};

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

fn check_images(errors: &mut FieldErrors, images: &[ImageRef]) {
    if images.len() > MAX_IMAGES {
        errors.push("images", "最多 9 张图片");
    }
    refs::check_urls(errors, "images", images);
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

/// Who writes goods text, for WeChat's check (scene: forum).
pub struct Author<'a> {
    pub state: &'a AppState,
    pub user: &'a AuthUser,
}

impl Author<'_> {
    async fn moderate(&self, name: &str, description: &str) -> ApiResult<&'static str> {
        content::moderate_texts(
            &self.state.wechat,
            &self.state.settings.content,
            self.user.user.openid.as_deref(),
            Scene::Forum,
            &[("name", name), ("description", description)],
        )
        .await
    }
}

pub async fn create(
    author: &Author<'_>,
    merchant_id: i64,
    new: NewGoods,
) -> ApiResult<goods::Model> {
    let db = &author.state.db;
    let mut errors = FieldErrors::default();
    check_category(db, &mut errors, new.category_id).await?;
    let name = errors.text("name", &new.name, 1, 60);
    let description = errors.text("description", &new.description, 0, 2000);
    let price_fen = check_price(&mut errors, &new.price);
    let unit = check_unit(&mut errors, &new.unit);
    let stock = check_stock(&mut errors, new.stock);
    check_images(&mut errors, &new.images);
    errors.finish()?;
    let moderation = author.moderate(&name, &description).await?;
    let now = time::now();
    let txn = db::begin_write(db).await?;
    uploads::claim(
        &*txn,
        author.user.id(),
        Purpose::GoodsImage,
        "images",
        &refs::upload_ids(&new.images),
    )
    .await?;
    let saved = goods::ActiveModel {
        merchant_id: Set(merchant_id),
        category_id: Set(new.category_id),
        name: Set(name),
        description: Set(description),
        price_fen: Set(price_fen),
        unit: Set(unit),
        stock: Set(stock),
        sales: Set(0),
        images: Set(refs::to_json(&new.images)),
        on_shelf: Set(new.on_shelf),
        moderation: Set(moderation.to_owned()),
        deleted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// The goods row again inside a write transaction (locked on PostgreSQL;
/// SQLite has one writer), so two edits never release the same images twice.
async fn reread(txn: &DatabaseTransaction, id: i64) -> ApiResult<goods::Model> {
    let mut select = goods::Entity::find_by_id(id).filter(goods::Column::DeletedAt.is_null());
    if txn.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    select
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::GoodsNotFound))
}

pub async fn update(
    author: &Author<'_>,
    g: goods::Model,
    patch: GoodsPatch,
) -> ApiResult<goods::Model> {
    let db = &author.state.db;
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
    if let Some(images) = &patch.images {
        check_images(&mut errors, images);
    }
    errors.finish()?;
    // The text as it will read, checked again when any of it changes.
    let moderation = if name.is_some() || description.is_some() {
        let n = name.as_deref().unwrap_or(&g.name);
        let d = description.as_deref().unwrap_or(&g.description);
        Some(author.moderate(n, d).await?)
    } else {
        None
    };
    let txn = db::begin_write(db).await?;
    let g = reread(&txn, g.id).await?;
    if let Some(images) = &patch.images {
        uploads::claim(
            &*txn,
            author.user.id(),
            Purpose::GoodsImage,
            "images",
            &refs::upload_ids(images),
        )
        .await?;
        uploads::release(&*txn, &refs::upload_ids(&refs::from_json(&g.images))).await?;
    }
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
    if let Some(images) = &patch.images {
        active.images = Set(refs::to_json(images));
    }
    if let Some(v) = moderation {
        active.moderation = Set(v.to_owned());
    }
    active.updated_at = Set(time::now());
    let saved = active.update(&*txn).await?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn set_shelf(
    db: &impl ConnectionTrait,
    g: goods::Model,
    on: bool,
) -> ApiResult<goods::Model> {
    let mut active = g.into_active_model();
    active.on_shelf = Set(on);
    active.updated_at = Set(time::now());
    Ok(active.update(db).await?)
}

/// Soft delete: the row stays (orders refer to it), the public never sees
/// it again, and its uploaded images are released.
pub async fn soft_delete(db: &DatabaseConnection, g: goods::Model) -> ApiResult<()> {
    let now = time::now();
    let txn = db::begin_write(db).await?;
    let g = reread(&txn, g.id).await?;
    goods::Entity::update_many()
        .col_expr(goods::Column::DeletedAt, Some(now).into())
        .col_expr(goods::Column::UpdatedAt, now.into())
        .filter(goods::Column::Id.eq(g.id))
        .filter(goods::Column::DeletedAt.is_null())
        .exec(&*txn)
        .await?;
    uploads::release(&*txn, &refs::upload_ids(&refs::from_json(&g.images))).await?;
    txn.commit().await?;
    Ok(())
}
