//! Merchant applications: a resident applies, an admin of one of the
//! communities it would serve approves (creating the merchant) or rejects.

use chrono::{DateTime, Utc};
use entity::{
    merchant, merchant_application as application, merchant_application_community as app_community,
    merchant_community,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::service::{self, MerchantStatus};
use crate::auth::{AuthUser, Role, grant_role};
use crate::community_links::{self, check_community_ids};
use crate::error::{ApiResult, ErrorCode, FieldError};
use crate::fields::{FieldErrors, PhoneNumber};
use crate::media::MediaStore;
use crate::pagination::{Page, Paged};
use crate::review::{self, Decision};
use crate::time;
use crate::uploads::Purpose;
use crate::uploads::refs::{self, ImageRef, Resolver};

/// Most licence photos one application holds.
const MAX_PHOTOS: usize = 6;

type Applications = application::Entity;

pub use entity::application_status::ApplicationStatus;

#[derive(Deserialize, ToSchema)]
pub struct NewApplication {
    /// Shop name, 1-40 characters.
    #[schema(max_length = 40, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: String,
    /// A top-level goods category name (see `GET /goods-categories`), e.g. `果蔬生鲜`.
    pub category: String,
    /// Business licence number, 1-64 letters, digits or `-`.
    #[schema(pattern = r"^[A-Za-z0-9-]{1,64}$")]
    pub license_no: String,
    /// 1-32 characters.
    #[schema(max_length = 32, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub contact_name: String,
    /// Mobile or landline; becomes the merchant's public business phone.
    #[schema(pattern = r"^(1[0-9]{10}|0[0-9]{2,3}-[0-9]{7,8})$")]
    pub contact_phone: String,
    /// 1-200 characters.
    #[schema(max_length = 200, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub address: String,
    pub lat: f64,
    pub lng: f64,
    /// Communities the shop would serve: 1-20 existing ones.
    pub community_ids: Vec<i64>,
    /// Up to 6 photos of the business licence: ids of the caller's
    /// `merchant_license` uploads (private) or https URLs.
    #[serde(default)]
    #[schema(max_items = 6)]
    pub license_photos: Vec<ImageRef>,
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
    /// The licence photos: short-lived signed URLs for uploads (see
    /// `license_photo_urls_expire_at`), or the https URLs sent.
    pub license_photos: Vec<String>,
    /// The photos as sent (upload ids or URLs), in the order of `license_photos`.
    pub license_photo_refs: Vec<ImageRef>,
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
    #[schema(max_length = 200, pattern = r"\S")]
    pub reason: String,
}

#[derive(Clone, Copy, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// Only applications in this state.
    pub status: Option<ApplicationStatus>,
}

fn to_view(
    a: application::Model,
    community_ids: Vec<i64>,
    (license_photo_refs, license_photos): (Vec<ImageRef>, Vec<String>),
) -> ApplicationView {
    ApplicationView {
        license_photos,
        license_photo_refs,
        status: a.status,
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

/// The views of `rows` (only ever answered to the applicant and the
/// reviewing admins): their communities and licence photos, signed.
async fn views(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    rows: Vec<application::Model>,
) -> ApiResult<Vec<ApplicationView>> {
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    let mut map = community_links::communities_of::<app_community::Entity>(db, &ids).await?;
    let (photos, lists) =
        Resolver::load_lists(db, media, rows.iter().map(|a| a.license_photos.as_str())).await?;
    Ok(rows
        .into_iter()
        .zip(lists)
        .map(|(a, list)| {
            let c = map.remove(&a.id).unwrap_or_default();
            to_view(a, c, photos.visible(&list))
        })
        .collect())
}

async fn one_view(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    a: application::Model,
) -> ApiResult<ApplicationView> {
    views(db, media, vec![a])
        .await?
        .pop()
        .ok_or_else(|| ErrorCode::ApplicationNotFound.into())
}

fn valid_license(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// An application as it will be stored: every field checked.
struct ApplicationDraft {
    name: String,
    category: String,
    license_no: String,
    contact_name: String,
    contact_phone: PhoneNumber,
    address: String,
    lat: f64,
    lng: f64,
    community_ids: Vec<i64>,
    license_photos: Vec<ImageRef>,
}

impl ApplicationDraft {
    async fn parse(
        db: &impl ConnectionTrait,
        new: NewApplication,
    ) -> ApiResult<Result<Self, Vec<FieldError>>> {
        let mut errors = FieldErrors::default();
        let name = errors.text("name", &new.name, 1, 40);
        let category = new.category.trim().to_owned();
        if !service::is_merchant_category(db, &category).await? {
            errors.push("category", "须为商品一级分类名称之一");
        }
        let license_no = new.license_no.trim().to_owned();
        if !valid_license(&license_no) {
            errors.push("license_no", "营业执照号须为 1-64 位字母、数字或 -");
        }
        let contact_name = errors.text("contact_name", &new.contact_name, 1, 32);
        let contact_phone = errors.check("contact_phone", PhoneNumber::parse(&new.contact_phone));
        let address = errors.text("address", &new.address, 1, 200);
        errors.lat_lng(new.lat, new.lng);
        let community_ids = check_community_ids(db, &mut errors, &new.community_ids, 20).await?;
        refs::check_list(
            &mut errors,
            "license_photos",
            &new.license_photos,
            MAX_PHOTOS,
        );
        Ok(match contact_phone {
            Some(contact_phone) if errors.is_empty() => Ok(Self {
                name,
                category,
                license_no,
                contact_name,
                contact_phone,
                address,
                lat: new.lat,
                lng: new.lng,
                community_ids,
                license_photos: new.license_photos,
            }),
            _ => Err(errors.into()),
        })
    }
}

/// Files an application; 409 `APPLICATION_PENDING` while another is pending.
pub async fn submit(
    db: &DatabaseConnection,
    media: &MediaStore,
    me: &AuthUser,
    new: NewApplication,
) -> ApiResult<ApplicationView> {
    let draft = ApplicationDraft::parse(db, new).await??;
    let txn = crate::db::begin_write(db).await?;
    // Held by the application for good: the reviewers may look again.
    refs::claim_all(
        &*txn,
        me.id(),
        Purpose::MerchantLicense,
        "license_photos",
        &draft.license_photos,
    )
    .await?;
    let inserted = application::ActiveModel {
        user_id: Set(me.id()),
        pending_user_id: Set(Some(me.id())),
        name: Set(draft.name),
        category: Set(draft.category),
        license_no: Set(draft.license_no),
        contact_name: Set(draft.contact_name),
        contact_phone: Set(draft.contact_phone.into_string()),
        address: Set(draft.address),
        lat: Set(draft.lat),
        lng: Set(draft.lng),
        license_photos: Set(refs::to_json(&draft.license_photos)),
        status: Set(ApplicationStatus::Pending),
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
    community_links::link::<app_community::Entity>(&txn, saved.id, &draft.community_ids).await?;
    txn.commit().await?;
    one_view(db, media, saved).await
}

/// The caller's own applications, newest first.
pub async fn list_mine(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    user_id: i64,
    page: Page,
) -> ApiResult<Paged<ApplicationView>> {
    review::mine::<Applications>(db, user_id, None, page)
        .await?
        .map_batch(|rows| views(db, media, rows))
        .await
}

/// The review queue: applications touching any of the admin's communities
/// (all for a platform admin), oldest first.
pub async fn list_for_admin(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    me: &AuthUser,
    status: Option<ApplicationStatus>,
    page: Page,
) -> ApiResult<Paged<ApplicationView>> {
    review::queue::<Applications>(db, me, status, page)
        .await?
        .map_batch(|rows| views(db, media, rows))
        .await
}

/// Approves: creates the merchant serving the application's communities and
/// gives the applicant the merchant role, all in one transaction.
pub async fn approve(
    db: &DatabaseConnection,
    media: &MediaStore,
    me: &AuthUser,
    id: i64,
) -> ApiResult<ApplicationView> {
    let (app, named) = review::reviewable::<Applications>(db, me, id).await?;
    // Only the reviewer's own communities are granted (finding 3).
    let communities = me.own_part_of(db, &named).await?;
    let txn = crate::db::begin_write(db).await?;
    review::close::<Applications>(&txn, me.id(), id, Decision::Approve).await?;
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
        status: Set(MerchantStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    community_links::link::<merchant_community::Entity>(&txn, created.id, &communities).await?;
    application::Entity::update_many()
        .col_expr(
            application::Column::MerchantId,
            Expr::value(Some(created.id)),
        )
        .filter(application::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    grant_role(&txn, app.user_id, Role::Merchant).await?;
    txn.commit().await?;
    one_view(db, media, review::find::<Applications>(db, id).await?).await
}

/// Rejects with a reason the applicant can read.
pub async fn reject(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    me: &AuthUser,
    id: i64,
    body: RejectRequest,
) -> ApiResult<ApplicationView> {
    review::reviewable::<Applications>(db, me, id).await?;
    let reason = review::reject_reason(&body.reason)?;
    review::close::<Applications>(db, me.id(), id, Decision::Reject(reason)).await?;
    one_view(db, media, review::find::<Applications>(db, id).await?).await
}
