//! Merchant applications: a resident applies, an admin of one of the
//! communities it would serve approves (creating the merchant) or rejects.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    community, merchant, merchant_application as application,
    merchant_application_community as app_community, merchant_community,
};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::fields;
use super::service::{self, MerchantStatus, require_admin_of_any};
use crate::auth::{AuthUser, Role, grant_role};
use crate::error::{ApiResult, ErrorCode, FieldError};
use crate::pagination::{Page, Paged};
use crate::time;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    Pending,
    Approved,
    Rejected,
}

impl ApplicationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Pending => "pending",
            ApplicationStatus::Approved => "approved",
            ApplicationStatus::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "approved" => ApplicationStatus::Approved,
            "rejected" => ApplicationStatus::Rejected,
            _ => ApplicationStatus::Pending,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewApplication {
    /// Shop name, 1-40 characters.
    pub name: String,
    /// A top-level goods category name (see `GET /goods-categories`), e.g. `果蔬生鲜`.
    pub category: String,
    /// Business licence number, 1-64 letters, digits or `-`.
    pub license_no: String,
    /// 1-32 characters.
    pub contact_name: String,
    /// Mobile or landline; becomes the merchant's public business phone.
    pub contact_phone: String,
    /// 1-200 characters.
    pub address: String,
    pub lat: f64,
    pub lng: f64,
    /// Communities the shop would serve: 1-20 existing ones.
    pub community_ids: Vec<i64>,
}

/// An application, shown only to its applicant and the reviewing admins.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ApplicationView {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub category: String,
    pub license_no: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub address: String,
    pub lat: f64,
    pub lng: f64,
    pub community_ids: Vec<i64>,
    pub status: ApplicationStatus,
    /// Why it was rejected; null unless rejected.
    pub reject_reason: Option<String>,
    /// The merchant an approval created.
    pub merchant_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub reviewed_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, ToSchema)]
pub struct RejectRequest {
    /// Shown to the applicant, 1-200 characters.
    pub reason: String,
}

#[derive(Clone, Copy, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// Only applications in this state.
    pub status: Option<ApplicationStatus>,
}

async fn communities_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> ApiResult<HashMap<i64, Vec<i64>>> {
    let rows = app_community::Entity::find()
        .filter(app_community::Column::ApplicationId.is_in(ids.iter().copied()))
        .order_by_asc(app_community::Column::CommunityId)
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

fn to_view(a: application::Model, community_ids: Vec<i64>) -> ApplicationView {
    ApplicationView {
        status: ApplicationStatus::parse(&a.status),
        id: a.id,
        user_id: a.user_id,
        name: a.name,
        category: a.category,
        license_no: a.license_no,
        contact_name: a.contact_name,
        contact_phone: a.contact_phone,
        address: a.address,
        lat: a.lat,
        lng: a.lng,
        community_ids,
        reject_reason: a.reject_reason,
        merchant_id: a.merchant_id,
        created_at: a.created_at,
        reviewed_at: a.reviewed_at,
    }
}

async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<application::Model>,
) -> ApiResult<Vec<ApplicationView>> {
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    let mut map = communities_of(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|a| {
            let c = map.remove(&a.id).unwrap_or_default();
            to_view(a, c)
        })
        .collect())
}

async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<application::Model> {
    application::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ErrorCode::ApplicationNotFound.into())
}

fn valid_license(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Files an application; 409 `APPLICATION_PENDING` while another is pending.
pub async fn submit(
    db: &DatabaseConnection,
    me: &AuthUser,
    new: NewApplication,
) -> ApiResult<ApplicationView> {
    let mut errors = Vec::new();
    let name = fields::text(&mut errors, "name", &new.name, 1, 40);
    let category = new.category.trim().to_owned();
    if !service::is_merchant_category(db, &category).await? {
        errors.push(FieldError::new("category", "须为商品一级分类名称之一"));
    }
    let license_no = new.license_no.trim().to_owned();
    if !valid_license(&license_no) {
        errors.push(FieldError::new(
            "license_no",
            "营业执照号须为 1-64 位字母、数字或 -",
        ));
    }
    let contact_name = fields::text(&mut errors, "contact_name", &new.contact_name, 1, 32);
    let contact_phone = fields::phone(&mut errors, "contact_phone", &new.contact_phone);
    let address = fields::text(&mut errors, "address", &new.address, 1, 200);
    fields::lat_lng(&mut errors, new.lat, new.lng);
    let mut community_ids = new.community_ids;
    community_ids.sort_unstable();
    community_ids.dedup();
    if community_ids.is_empty() || community_ids.len() > 20 {
        errors.push(FieldError::new("community_ids", "须指定 1-20 个服务社区"));
    } else {
        let found = community::Entity::find()
            .filter(community::Column::Id.is_in(community_ids.clone()))
            .count(db)
            .await?;
        if found != community_ids.len() as u64 {
            errors.push(FieldError::new("community_ids", "包含不存在的社区"));
        }
    }
    fields::finish(errors)?;

    let txn = crate::db::begin_write(db).await?;
    let inserted = application::ActiveModel {
        user_id: Set(me.id()),
        pending_user_id: Set(Some(me.id())),
        name: Set(name),
        category: Set(category),
        license_no: Set(license_no),
        contact_name: Set(contact_name),
        contact_phone: Set(contact_phone),
        address: Set(address),
        lat: Set(new.lat),
        lng: Set(new.lng),
        status: Set(ApplicationStatus::Pending.as_str().to_owned()),
        reject_reason: Set(None),
        merchant_id: Set(None),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        created_at: Set(time::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let saved = crate::db::or_conflict(inserted, ErrorCode::ApplicationPending)?;
    for community_id in &community_ids {
        app_community::ActiveModel {
            application_id: Set(saved.id),
            community_id: Set(*community_id),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(to_view(saved, community_ids))
}

/// The caller's own applications, newest first.
pub async fn list_mine(
    db: &impl ConnectionTrait,
    user_id: i64,
    page: Page,
) -> ApiResult<Paged<ApplicationView>> {
    let select = application::Entity::find().filter(application::Column::UserId.eq(user_id));
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_desc(application::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok(Paged::new(views(db, rows).await?, page, total))
}

/// The review queue: applications touching any of the admin's communities
/// (all for a platform admin), oldest first.
pub async fn list_for_admin(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    status: Option<ApplicationStatus>,
    page: Page,
) -> ApiResult<Paged<ApplicationView>> {
    let scope = me.admin_communities(db).await?;
    let mut select = application::Entity::find();
    if let Some(own) = scope {
        select = select.filter(
            application::Column::Id.in_subquery(
                Query::select()
                    .column(app_community::Column::ApplicationId)
                    .from(app_community::Entity)
                    .and_where(app_community::Column::CommunityId.is_in(own))
                    .to_owned(),
            ),
        );
    }
    if let Some(status) = status {
        select = select.filter(application::Column::Status.eq(status.as_str()));
    }
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_asc(application::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok(Paged::new(views(db, rows).await?, page, total))
}

/// The application `id` when the caller may review it (403 otherwise).
async fn reviewable(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<(application::Model, Vec<i64>)> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let app = find(db, id).await?;
    let communities = communities_of(db, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    require_admin_of_any(db, me, &communities).await?;
    Ok((app, communities))
}

/// Marks a pending application reviewed in one conditional update; 409 when
/// another review got there first.
async fn close(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
    status: ApplicationStatus,
    reason: Option<String>,
) -> ApiResult<()> {
    let result = application::Entity::update_many()
        .col_expr(application::Column::Status, status.as_str().into())
        .col_expr(
            application::Column::PendingUserId,
            Option::<i64>::None.into(),
        )
        .col_expr(application::Column::RejectReason, reason.into())
        .col_expr(application::Column::ReviewedBy, Some(me.id()).into())
        .col_expr(application::Column::ReviewedAt, Some(time::now()).into())
        .filter(
            Condition::all()
                .add(application::Column::Id.eq(id))
                .add(application::Column::Status.eq(ApplicationStatus::Pending.as_str())),
        )
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(ErrorCode::ApplicationNotPending.into());
    }
    Ok(())
}

/// Approves: creates the merchant serving the application's communities and
/// gives the applicant the merchant role, all in one transaction.
pub async fn approve(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
) -> ApiResult<ApplicationView> {
    let (app, communities) = reviewable(db, me, id).await?;
    let txn = crate::db::begin_write(db).await?;
    close(&txn, me, id, ApplicationStatus::Approved, None).await?;
    let now = time::now();
    let created = merchant::ActiveModel {
        owner_user_id: Set(app.user_id),
        application_id: Set(Some(app.id)),
        name: Set(app.name.clone()),
        category: Set(app.category.clone()),
        license_no: Set(app.license_no.clone()),
        address: Set(app.address.clone()),
        lat: Set(app.lat),
        lng: Set(app.lng),
        business_hours: Set(String::new()),
        announcement: Set(String::new()),
        logo_url: Set(None),
        contact_phone: Set(app.contact_phone.clone()),
        status: Set(MerchantStatus::Active.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for community_id in &communities {
        merchant_community::ActiveModel {
            merchant_id: Set(created.id),
            community_id: Set(*community_id),
        }
        .insert(&txn)
        .await?;
    }
    application::Entity::update_many()
        .col_expr(application::Column::MerchantId, Some(created.id).into())
        .filter(application::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    grant_role(&txn, app.user_id, Role::Merchant).await?;
    let saved = find(&txn, id).await?;
    txn.commit().await?;
    Ok(to_view(saved, communities))
}

/// Rejects with a reason the applicant can read.
pub async fn reject(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
    body: RejectRequest,
) -> ApiResult<ApplicationView> {
    let (_, communities) = reviewable(db, me, id).await?;
    let mut errors = Vec::new();
    let reason = fields::text(&mut errors, "reason", &body.reason, 1, 200);
    fields::finish(errors)?;
    close(db, me, id, ApplicationStatus::Rejected, Some(reason)).await?;
    Ok(to_view(find(db, id).await?, communities))
}
