//! The public goods list and search (cached) and the category tree. Public
//! reads only ever show goods that are on the shelf, not deleted, and of an
//! active merchant.

use std::collections::HashMap;

use entity::{goods, goods_category};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::views::{CategoryView, GoodsView, SubcategoryView, with_images, with_images_one};
use crate::content::text_state;
use crate::error::{ApiResult, ErrorCode};
use crate::fields::{self, FieldErrors};
use crate::media::MediaStore;
use crate::merchants::service::{self as merchants};
use crate::money::Money;
use crate::pagination::{Page, Paged};

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
    #[param(pattern = r"^\s*([0-9]{1,8}(\.[0-9]{1,2})?)?\s*$")]
    pub min_price: Option<String>,
    /// Highest price, e.g. `20.00`; below `min_price` nothing matches (an empty list).
    #[param(pattern = r"^\s*([0-9]{1,8}(\.[0-9]{1,2})?)?\s*$")]
    pub max_price: Option<String>,
    /// `newest` (default), `price_asc`, `price_desc` or `sales`.
    #[param(inline)]
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
        // A range whose highest price is below its lowest holds no goods: it
        // lists nothing (the query runs as asked, `price BETWEEN min AND max`).
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

/// On shelf, not deleted, its text passed WeChat's check (or an admin),
/// of an active merchant (serving `community_id`).
fn public_select(community_id: Option<i64>) -> Select<goods::Entity> {
    let mut select = goods::Entity::find()
        .filter(goods::Column::OnShelf.eq(true))
        .filter(goods::Column::DeletedAt.is_null())
        .filter(goods::Column::Moderation.eq(text_state::PASS));
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
    media: &MediaStore,
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
    let items = with_images(db, media, items).await?;
    Ok(Paged::new(items, page, total))
}

pub async fn get_public(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    id: i64,
) -> ApiResult<GoodsView> {
    let g = public_select(None)
        .filter(goods::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ErrorCode::GoodsNotFound)?;
    with_images_one(db, media, g.into()).await
}
