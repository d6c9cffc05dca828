//! Catalog queries and a helper's writes to their own services.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::helper::HelperStatus;
use entity::{helper, helper_service, service_community};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::community_links::{self, linked_to};
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::helpers::rating_avg;
use crate::helpers::service::{HelperSummary, helper_communities, split_skills};
use crate::helpers::skills::is_category;
use crate::money::Money;
use crate::pagination::{Page, Paged};
use crate::time;

#[derive(Deserialize, ToSchema)]
pub struct NewService {
    /// One of the helper's approved skills (a service category).
    #[schema(schema_with = service_categories)]
    pub category: String,
    /// 1-64 characters.
    #[schema(max_length = 64, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub title: String,
    /// Up to 2000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    /// CNY, `"0.00"` for a volunteer (free) service.
    #[schema(value_type = String, example = "50.00", pattern = r"^[0-9]{1,8}\.[0-9]{2}$")]
    pub price: Money,
    /// 15-1440.
    #[schema(minimum = 15, maximum = 1440)]
    pub duration_minutes: i32,
    /// Communities served: a non-empty subset of the helper's communities.
    pub community_ids: Vec<i64>,
}
fn service_categories() -> utoipa::openapi::Object {
    crate::openapi::choices(crate::helpers::skills::CATEGORIES)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServicePatch {
    pub title: Option<String>,
    pub description: Option<String>,
    #[schema(value_type = Option<String>, example = "50.00", pattern = r"^[0-9]{1,8}\.[0-9]{2}$")]
    pub price: Option<Money>,
    pub duration_minutes: Option<i32>,
    pub community_ids: Option<Vec<i64>>,
    /// false takes the service off the catalog (its existing bookings go on).
    pub active: Option<bool>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceView {
    pub id: i64,
    pub helper_id: i64,
    pub helper: HelperSummary,
    pub category: String,
    pub title: String,
    pub description: String,
    #[schema(value_type = String, example = "50.00")]
    pub price: Money,
    pub duration_minutes: i32,
    pub community_ids: Vec<i64>,
    pub active: bool,
    /// Average rating 1-5 to two decimals; null before the first review.
    pub rating_avg: Option<f64>,
    pub rating_count: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogQuery {
    pub community_id: Option<i64>,
    pub category: Option<String>,
    pub helper_id: Option<i64>,
}

type Served = service_community::Entity;

pub async fn assemble(
    db: &impl ConnectionTrait,
    rows: Vec<helper_service::Model>,
) -> ApiResult<Vec<ServiceView>> {
    let ids: Vec<i64> = rows.iter().map(|s| s.id).collect();
    let mut communities = community_links::communities_of::<Served>(db, &ids).await?;
    let helper_ids: Vec<i64> = rows.iter().map(|s| s.helper_id).collect();
    let helpers: HashMap<i64, helper::Model> = helper::Entity::find()
        .filter(helper::Column::Id.is_in(helper_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, h))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        let Some(h) = helpers.get(&s.helper_id) else {
            continue;
        };
        out.push(ServiceView {
            helper: h.into(),
            community_ids: communities.remove(&s.id).unwrap_or_default(),
            rating_avg: rating_avg(s.rating_sum, s.rating_count),
            id: s.id,
            helper_id: s.helper_id,
            category: s.category,
            title: s.title,
            description: s.description,
            price: Money::from_fen(s.price_fen),
            duration_minutes: s.duration_minutes,
            active: s.active,
            rating_count: s.rating_count,
            created_at: s.created_at,
        });
    }
    Ok(out)
}

/// A service the public may see and book: active, of an active helper.
pub async fn find_public(
    db: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<(helper_service::Model, helper::Model)> {
    let found = helper_service::Entity::find_by_id(id)
        .filter(helper_service::Column::Active.eq(true))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::ServiceNotFound))?;
    let helper = helper::Entity::find_by_id(found.helper_id)
        .filter(helper::Column::Status.eq(HelperStatus::Active))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::ServiceNotFound))?;
    Ok((found, helper))
}

pub async fn communities_of_service(db: &impl ConnectionTrait, id: i64) -> ApiResult<Vec<i64>> {
    community_links::communities_of_one::<Served>(db, id).await
}

pub async fn get_public(db: &impl ConnectionTrait, id: i64) -> ApiResult<ServiceView> {
    let (found, _) = find_public(db, id).await?;
    assemble(db, vec![found])
        .await?
        .pop()
        .ok_or_else(|| ErrorCode::ServiceNotFound.into())
}

/// The public catalog: active services of active helpers, best rated first.
pub async fn list_public(
    db: &impl ConnectionTrait,
    q: &CatalogQuery,
    page: Page,
) -> ApiResult<Paged<ServiceView>> {
    let mut query = helper_service::Entity::find()
        .filter(helper_service::Column::Active.eq(true))
        .filter(
            helper_service::Column::HelperId.in_subquery(
                Query::select()
                    .column(helper::Column::Id)
                    .from(helper::Entity)
                    .and_where(helper::Column::Status.eq(HelperStatus::Active))
                    .to_owned(),
            ),
        );
    if let Some(community_id) = q.community_id {
        query = query
            .filter(helper_service::Column::Id.in_subquery(linked_to::<Served>([community_id])));
    }
    if let Some(category) = &q.category {
        query = query.filter(helper_service::Column::Category.eq(category.as_str()));
    }
    if let Some(helper_id) = q.helper_id {
        query = query.filter(helper_service::Column::HelperId.eq(helper_id));
    }
    let query = query
        .order_by_desc(helper_service::Column::RatingCount)
        .order_by_asc(helper_service::Column::Id);
    page.fetch(db, query)
        .await?
        .map_batch(|rows| assemble(db, rows))
        .await
}

/// Every service of one helper, inactive ones included.
pub async fn list_of_helper(
    db: &impl ConnectionTrait,
    helper_id: i64,
) -> ApiResult<Vec<ServiceView>> {
    let rows = helper_service::Entity::find()
        .filter(helper_service::Column::HelperId.eq(helper_id))
        .order_by_asc(helper_service::Column::Id)
        .all(db)
        .await?;
    assemble(db, rows).await
}

fn check_title(errors: &mut Vec<FieldError>, title: &str) {
    let n = title.trim().chars().count();
    if n == 0 || n > 64 {
        errors.push(FieldError::new("title", "须为 1-64 个字符"));
    }
}

fn check_description(errors: &mut Vec<FieldError>, description: &str) {
    if description.chars().count() > 2000 {
        errors.push(FieldError::new("description", "不超过 2000 个字符"));
    }
}

fn check_duration(errors: &mut Vec<FieldError>, minutes: i32) {
    if !(15..=1440).contains(&minutes) {
        errors.push(FieldError::new("duration_minutes", "须在 15-1440 分钟之间"));
    }
}

fn check_service_communities(
    errors: &mut Vec<FieldError>,
    ids: &[i64],
    allowed: &[i64],
) -> Vec<i64> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        errors.push(FieldError::new("community_ids", "至少指定一个社区"));
    } else if ids.iter().any(|c| !allowed.contains(c)) {
        errors.push(FieldError::new("community_ids", "只能选择您获批服务的社区"));
    }
    ids
}

async fn one_view(db: &impl ConnectionTrait, row: helper_service::Model) -> ApiResult<ServiceView> {
    assemble(db, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ErrorCode::ServiceNotFound.into())
}

pub async fn create(
    db: &DatabaseConnection,
    helper: &helper::Model,
    new: NewService,
) -> ApiResult<ServiceView> {
    let mut errors = Vec::new();
    let category = new.category.trim();
    if !is_category(category) {
        errors.push(FieldError::new("category", "未知的服务类别"));
    } else if !split_skills(&helper.skills).iter().any(|s| s == category) {
        errors.push(FieldError::new("category", "不在您获批的服务类别内"));
    }
    check_title(&mut errors, &new.title);
    check_description(&mut errors, &new.description);
    check_duration(&mut errors, new.duration_minutes);
    let allowed = helper_communities(db, helper.id).await?;
    let community_ids = check_service_communities(&mut errors, &new.community_ids, &allowed);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = time::now();
    let txn = crate::db::begin_write(db).await?;
    let saved = helper_service::ActiveModel {
        helper_id: Set(helper.id),
        category: Set(category.to_owned()),
        title: Set(new.title.trim().to_owned()),
        description: Set(new.description.trim().to_owned()),
        price_fen: Set(new.price.fen()),
        duration_minutes: Set(new.duration_minutes),
        active: Set(true),
        rating_sum: Set(0),
        rating_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    community_links::relink::<Served>(&txn, saved.id, &community_ids).await?;
    txn.commit().await?;
    one_view(db, saved).await
}

/// Edits one of the helper's own services; another helper's service is 404.
pub async fn update(
    db: &DatabaseConnection,
    helper: &helper::Model,
    id: i64,
    patch: ServicePatch,
) -> ApiResult<ServiceView> {
    let found = helper_service::Entity::find_by_id(id)
        .filter(helper_service::Column::HelperId.eq(helper.id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::ServiceNotFound))?;
    let mut errors = Vec::new();
    if let Some(title) = &patch.title {
        check_title(&mut errors, title);
    }
    if let Some(description) = &patch.description {
        check_description(&mut errors, description);
    }
    if let Some(minutes) = patch.duration_minutes {
        check_duration(&mut errors, minutes);
    }
    let community_ids = match &patch.community_ids {
        Some(ids) => {
            let allowed = helper_communities(db, helper.id).await?;
            Some(check_service_communities(&mut errors, ids, &allowed))
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let txn = crate::db::begin_write(db).await?;
    let mut active = found.into_active_model();
    if let Some(title) = patch.title {
        active.title = Set(title.trim().to_owned());
    }
    if let Some(description) = patch.description {
        active.description = Set(description.trim().to_owned());
    }
    if let Some(price) = patch.price {
        active.price_fen = Set(price.fen());
    }
    if let Some(minutes) = patch.duration_minutes {
        active.duration_minutes = Set(minutes);
    }
    if let Some(on) = patch.active {
        active.active = Set(on);
    }
    active.updated_at = Set(time::now());
    let saved = active.update(&txn).await?;
    if let Some(ids) = community_ids {
        community_links::relink::<Served>(&txn, saved.id, &ids).await?;
    }
    txn.commit().await?;
    one_view(db, saved).await
}
