//! Helper applications, their review, and helper profiles.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    community, helper, helper_application, helper_application_community, helper_community,
};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::skills::is_category;
use super::{rating_avg, valid_phone};
use crate::auth::{AuthUser, Role, grant_role};
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::me::mask_phone;
use crate::pagination::{Page, Paged};
use crate::time;

pub const PENDING: &str = "pending";
pub const APPROVED: &str = "approved";
pub const REJECTED: &str = "rejected";
pub const ACTIVE: &str = "active";

#[derive(Deserialize, Serialize, ToSchema)]
pub struct NewHelperApplication {
    /// Name shown to residents, 1-32 characters (a person or a company).
    pub display_name: String,
    /// Service categories (see `GET /service-categories`), 1-12 of them.
    pub skills: Vec<String>,
    /// Communities the helper wants to serve, 1-20.
    pub community_ids: Vec<i64>,
    /// Mainland mobile `13800138000` or landline `010-12345678`.
    pub phone: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HelperApplicationView {
    pub id: i64,
    pub user_id: i64,
    pub display_name: String,
    pub skills: Vec<String>,
    pub community_ids: Vec<i64>,
    /// Masked, e.g. `138****8000`.
    pub phone: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub reject_reason: Option<String>,
    /// Set once approved.
    pub helper_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Deserialize, ToSchema)]
pub struct RejectRequest {
    /// Why, shown to the applicant; 1-200 characters.
    pub reason: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// `pending`, `approved` or `rejected`; all when absent.
    pub status: Option<String>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

/// A helper's own profile.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HelperView {
    pub id: i64,
    pub user_id: i64,
    pub display_name: String,
    pub phone: String,
    pub skills: Vec<String>,
    pub community_ids: Vec<i64>,
    /// `active` or `suspended`.
    pub status: String,
    pub rating_avg: Option<f64>,
    pub rating_count: i64,
}

/// The helper as the catalog shows them; the phone masked.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HelperSummary {
    pub id: i64,
    pub display_name: String,
    /// Masked, e.g. `138****8000`.
    pub phone: String,
    pub rating_avg: Option<f64>,
    pub rating_count: i64,
}

impl From<&helper::Model> for HelperSummary {
    fn from(h: &helper::Model) -> Self {
        Self {
            id: h.id,
            display_name: h.display_name.clone(),
            phone: mask_phone(&h.phone),
            rating_avg: rating_avg(h.rating_sum, h.rating_count),
            rating_count: h.rating_count,
        }
    }
}

pub fn split_skills(raw: &str) -> Vec<String> {
    raw.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Checks a list of community ids: 1-`max`, all existing; answers them sorted, deduplicated.
pub async fn check_communities(
    db: &impl ConnectionTrait,
    errors: &mut Vec<FieldError>,
    ids: &[i64],
    max: usize,
) -> ApiResult<Vec<i64>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > max {
        errors.push(FieldError::new(
            "community_ids",
            format!("须指定 1-{max} 个社区"),
        ));
        return Ok(ids);
    }
    let found = community::Entity::find()
        .filter(community::Column::Id.is_in(ids.clone()))
        .count(db)
        .await?;
    if found != ids.len() as u64 {
        errors.push(FieldError::new("community_ids", "包含不存在的社区"));
    }
    Ok(ids)
}

fn check_len(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    let n = value.trim().chars().count();
    if n == 0 || n > max {
        errors.push(FieldError::new(field, format!("须为 1-{max} 个字符")));
    }
}

async fn application_communities(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> ApiResult<HashMap<i64, Vec<i64>>> {
    let rows = helper_application_community::Entity::find()
        .filter(helper_application_community::Column::ApplicationId.is_in(ids.to_vec()))
        .order_by_asc(helper_application_community::Column::CommunityId)
        .all(db)
        .await?;
    let mut map: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in rows {
        map.entry(r.application_id)
            .or_default()
            .push(r.community_id);
    }
    Ok(map)
}

async fn assemble(
    db: &impl ConnectionTrait,
    rows: Vec<helper_application::Model>,
) -> ApiResult<Vec<HelperApplicationView>> {
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    let mut communities = application_communities(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|a| HelperApplicationView {
            community_ids: communities.remove(&a.id).unwrap_or_default(),
            skills: split_skills(&a.skills),
            phone: mask_phone(&a.phone),
            id: a.id,
            user_id: a.user_id,
            display_name: a.display_name,
            status: a.status,
            reject_reason: a.reject_reason,
            helper_id: a.helper_id,
            created_at: a.created_at,
            updated_at: a.updated_at,
        })
        .collect())
}

async fn view(
    db: &impl ConnectionTrait,
    row: helper_application::Model,
) -> ApiResult<HelperApplicationView> {
    assemble(db, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ErrorCode::HelperApplicationNotFound.into())
}

/// A resident applies to become a helper.
pub async fn apply(
    db: &DatabaseConnection,
    me: &AuthUser,
    new: NewHelperApplication,
) -> ApiResult<HelperApplicationView> {
    me.require(Role::Resident)?;
    let mut errors = Vec::new();
    check_len(&mut errors, "display_name", &new.display_name, 32);
    let mut skills: Vec<String> = new.skills.iter().map(|s| s.trim().to_owned()).collect();
    skills.sort_unstable();
    skills.dedup();
    if skills.is_empty() || skills.len() > 12 {
        errors.push(FieldError::new("skills", "须选择 1-12 个服务类别"));
    } else if let Some(bad) = skills.iter().find(|s| !is_category(s)) {
        errors.push(FieldError::new("skills", format!("未知的服务类别：{bad}")));
    }
    let community_ids = check_communities(db, &mut errors, &new.community_ids, 20).await?;
    let phone = new.phone.trim().to_owned();
    if !valid_phone(&phone) {
        errors.push(FieldError::new("phone", "请填写正确的手机号或固定电话"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if find_by_user(db, me.id()).await?.is_some() {
        return Err(ErrorCode::AlreadyHelper.into());
    }
    let now = time::now();
    let txn = crate::db::begin_write(db).await?;
    let inserted = helper_application::ActiveModel {
        user_id: Set(me.id()),
        pending_user_id: Set(Some(me.id())),
        display_name: Set(new.display_name.trim().to_owned()),
        skills: Set(skills.join(",")),
        phone: Set(phone),
        status: Set(PENDING.to_owned()),
        reject_reason: Set(None),
        helper_id: Set(None),
        reviewed_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let saved = crate::db::or_conflict(inserted, ErrorCode::HelperApplicationPending)?;
    for community_id in &community_ids {
        helper_application_community::ActiveModel {
            application_id: Set(saved.id),
            community_id: Set(*community_id),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    view(db, saved).await
}

fn check_status_filter(status: Option<&str>) -> ApiResult<()> {
    match status {
        None | Some(PENDING | APPROVED | REJECTED) => Ok(()),
        Some(_) => Err(
            ApiError::new(ErrorCode::InvalidQuery).details(serde_json::json!({
                "fields": [FieldError::new("status", "须为 pending、approved 或 rejected")]
            })),
        ),
    }
}

/// The caller's own applications, newest first.
pub async fn list_mine(
    db: &impl ConnectionTrait,
    user_id: i64,
    status: Option<&str>,
    page: Page,
) -> ApiResult<Paged<HelperApplicationView>> {
    check_status_filter(status)?;
    let mut query =
        helper_application::Entity::find().filter(helper_application::Column::UserId.eq(user_id));
    if let Some(status) = status {
        query = query.filter(helper_application::Column::Status.eq(status));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(helper_application::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok(Paged::new(assemble(db, rows).await?, page, total))
}

/// The review queue: applications touching the admin's communities, oldest first.
pub async fn list_for_admin(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    status: Option<&str>,
    page: Page,
) -> ApiResult<Paged<HelperApplicationView>> {
    check_status_filter(status)?;
    let scope = me.admin_communities(db).await?;
    let mut query = helper_application::Entity::find();
    if let Some(ids) = scope {
        query = query.filter(
            helper_application::Column::Id.in_subquery(
                Query::select()
                    .column(helper_application_community::Column::ApplicationId)
                    .from(helper_application_community::Entity)
                    .and_where(helper_application_community::Column::CommunityId.is_in(ids))
                    .to_owned(),
            ),
        );
    }
    if let Some(status) = status {
        query = query.filter(helper_application::Column::Status.eq(status));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(helper_application::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok(Paged::new(assemble(db, rows).await?, page, total))
}

/// Loads an application the admin may review: one of its communities is theirs.
async fn reviewable(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<helper_application::Model> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let found = helper_application::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::HelperApplicationNotFound))?;
    if let Some(mine) = me.admin_communities(db).await? {
        let theirs = application_communities(db, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        if !theirs.iter().any(|c| mine.contains(c)) {
            return Err(ErrorCode::Forbidden.into());
        }
    }
    Ok(found)
}

/// Moves a pending application to `status`; 409 when it was already reviewed.
async fn close_application(
    db: &impl ConnectionTrait,
    id: i64,
    reviewer: i64,
    status: &str,
    reason: Option<String>,
) -> ApiResult<()> {
    let done = helper_application::Entity::update_many()
        .col_expr(helper_application::Column::Status, Expr::value(status))
        .col_expr(
            helper_application::Column::PendingUserId,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(
            helper_application::Column::RejectReason,
            Expr::value(reason),
        )
        .col_expr(
            helper_application::Column::ReviewedBy,
            Expr::value(reviewer),
        )
        .col_expr(
            helper_application::Column::UpdatedAt,
            Expr::value(time::now()),
        )
        .filter(helper_application::Column::Id.eq(id))
        .filter(helper_application::Column::Status.eq(PENDING))
        .exec(db)
        .await?;
    if done.rows_affected == 0 {
        return Err(ErrorCode::ApplicationAlreadyReviewed.into());
    }
    Ok(())
}

/// Approves: the applicant becomes a helper of the application's communities.
pub async fn approve(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
) -> ApiResult<HelperApplicationView> {
    let app = reviewable(db, me, id).await?;
    let txn = crate::db::begin_write(db).await?;
    close_application(&txn, id, me.id(), APPROVED, None).await?;
    let now = time::now();
    let inserted = helper::ActiveModel {
        user_id: Set(app.user_id),
        display_name: Set(app.display_name.clone()),
        phone: Set(app.phone.clone()),
        skills: Set(app.skills.clone()),
        status: Set(ACTIVE.to_owned()),
        rating_sum: Set(0),
        rating_count: Set(0),
        slots_version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let helper = crate::db::or_conflict(inserted, ErrorCode::AlreadyHelper)?;
    let communities = application_communities(&txn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    for community_id in communities {
        helper_community::ActiveModel {
            helper_id: Set(helper.id),
            community_id: Set(community_id),
        }
        .insert(&txn)
        .await?;
    }
    helper_application::Entity::update_many()
        .col_expr(helper_application::Column::HelperId, Expr::value(helper.id))
        .filter(helper_application::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    grant_role(&txn, app.user_id, Role::Helper).await?;
    txn.commit().await?;
    let saved = helper_application::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::HelperApplicationNotFound))?;
    view(db, saved).await
}

pub async fn reject(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    body: RejectRequest,
) -> ApiResult<HelperApplicationView> {
    let mut errors = Vec::new();
    check_len(&mut errors, "reason", &body.reason, 200);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    reviewable(db, me, id).await?;
    close_application(
        db,
        id,
        me.id(),
        REJECTED,
        Some(body.reason.trim().to_owned()),
    )
    .await?;
    let saved = helper_application::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::HelperApplicationNotFound))?;
    view(db, saved).await
}

pub async fn find_by_user(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> ApiResult<Option<helper::Model>> {
    Ok(helper::Entity::find()
        .filter(helper::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// The caller as an active helper; 403 for anyone else.
pub async fn current_helper(db: &impl ConnectionTrait, me: &AuthUser) -> ApiResult<helper::Model> {
    me.require(Role::Helper)?;
    find_by_user(db, me.id())
        .await?
        .filter(|h| h.status == ACTIVE)
        .ok_or_else(|| ErrorCode::Forbidden.into())
}

pub async fn helper_communities(db: &impl ConnectionTrait, helper_id: i64) -> ApiResult<Vec<i64>> {
    Ok(helper_community::Entity::find()
        .select_only()
        .column(helper_community::Column::CommunityId)
        .filter(helper_community::Column::HelperId.eq(helper_id))
        .order_by_asc(helper_community::Column::CommunityId)
        .into_tuple::<i64>()
        .all(db)
        .await?)
}

pub async fn profile(db: &impl ConnectionTrait, h: helper::Model) -> ApiResult<HelperView> {
    Ok(HelperView {
        community_ids: helper_communities(db, h.id).await?,
        skills: split_skills(&h.skills),
        rating_avg: rating_avg(h.rating_sum, h.rating_count),
        id: h.id,
        user_id: h.user_id,
        display_name: h.display_name,
        phone: h.phone,
        status: h.status,
        rating_count: h.rating_count,
    })
}
