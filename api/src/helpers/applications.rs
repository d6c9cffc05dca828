//! Helper applications, on the shared review workflow (`crate::review`):
//! a resident applies with skills, communities and a phone; an admin of
//! one of those communities approves (the applicant becomes a helper with
//! role `helper`) or rejects with a reason.

use chrono::{DateTime, Utc};
use entity::application_status::ApplicationStatus;
use entity::helper::HelperStatus;
use entity::{helper, helper_application, helper_application_community, helper_community};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::service::{find_by_user, split_skills};
use super::skills::is_category;
use crate::auth::{AuthUser, Role, grant_role};
use crate::community_links::{self, check_community_ids};
use crate::error::{ApiResult, ErrorCode, FieldError};
use crate::fields::{FieldErrors, PhoneNumber, mask_phone};
use crate::media::MediaStore;
use crate::pagination::{Page, Paged};
use crate::review::{self, Decision};
use crate::time;
use crate::uploads::Purpose;
use crate::uploads::refs::{self, ImageRef, Resolver};

/// Most certificate photos one application holds.
const MAX_PHOTOS: usize = 6;

type Applications = helper_application::Entity;

#[derive(Deserialize, Serialize, ToSchema)]
pub struct NewHelperApplication {
    /// Name shown to residents, 1-32 characters (a person or a company).
    #[schema(max_length = 32, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub display_name: String,
    /// Service categories (see `GET /service-categories`), 1-12 of them.
    #[schema(schema_with = skill_lists)]
    pub skills: Vec<String>,
    /// Communities the helper wants to serve, 1-20.
    #[schema(min_items = 1, max_items = 20)]
    pub community_ids: Vec<i64>,
    /// Mainland mobile `13800138000` or landline `010-12345678`.
    #[schema(pattern = r"^(1[0-9]{10}|0[0-9]{2,3}-[0-9]{7,8})$")]
    pub phone: String,
    /// Up to 6 photos of qualification certificates: ids of the caller's
    /// `helper_certificate` uploads (private) or https URLs.
    #[serde(default)]
    #[schema(max_items = 6)]
    pub certificate_photos: Vec<ImageRef>,
}
/// 1-12 distinct service categories.
fn skill_lists() -> utoipa::openapi::Array {
    utoipa::openapi::ArrayBuilder::new()
        .items(crate::openapi::choices(super::skills::CATEGORIES))
        .min_items(Some(1))
        .max_items(Some(12))
        .unique_items(true)
        .build()
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
    /// The certificate photos: short-lived signed URLs for uploads, or the
    /// https URLs sent.
    pub certificate_photos: Vec<String>,
    /// The photos as sent (upload ids or URLs), in the order of `certificate_photos`.
    pub certificate_photo_refs: Vec<ImageRef>,
    pub status: ApplicationStatus,
    pub reject_reason: Option<String>,
    /// Set once approved.
    pub helper_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Deserialize, ToSchema)]
pub struct RejectRequest {
    /// Why, shown to the applicant; 1-200 characters.
    #[schema(max_length = 200, pattern = r"\S")]
    pub reason: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// Only applications in this state; all when absent.
    pub status: Option<ApplicationStatus>,
}

/// An application as it will be stored: every field checked.
struct HelperDraft {
    display_name: String,
    skills: Vec<String>,
    community_ids: Vec<i64>,
    phone: PhoneNumber,
    certificate_photos: Vec<ImageRef>,
}

impl HelperDraft {
    async fn parse(
        db: &impl ConnectionTrait,
        new: NewHelperApplication,
    ) -> ApiResult<Result<Self, Vec<FieldError>>> {
        let mut errors = FieldErrors::default();
        let display_name = errors.text("display_name", &new.display_name, 1, 32);
        let mut skills: Vec<String> = new.skills.iter().map(|s| s.trim().to_owned()).collect();
        skills.sort_unstable();
        skills.dedup();
        if skills.is_empty() || skills.len() > 12 {
            errors.push("skills", "须选择 1-12 个服务类别");
        } else if let Some(bad) = skills.iter().find(|s| !is_category(s)) {
            errors.push("skills", format!("未知的服务类别：{bad}"));
        }
        let community_ids = check_community_ids(db, &mut errors, &new.community_ids, 20).await?;
        let phone = errors.check("phone", PhoneNumber::parse(&new.phone));
        refs::check_list(
            &mut errors,
            "certificate_photos",
            &new.certificate_photos,
            MAX_PHOTOS,
        );
        Ok(match phone {
            Some(phone) if errors.is_empty() => Ok(Self {
                display_name,
                skills,
                community_ids,
                phone,
                certificate_photos: new.certificate_photos,
            }),
            _ => Err(errors.into()),
        })
    }
}

/// The views of `rows` (only ever answered to the applicant and the
/// reviewing admins): their communities and certificate photos, signed.
async fn views(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    rows: Vec<helper_application::Model>,
) -> ApiResult<Vec<HelperApplicationView>> {
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    let mut communities =
        community_links::communities_of::<helper_application_community::Entity>(db, &ids).await?;
    let (photos, lists) = Resolver::load_lists(
        db,
        media,
        rows.iter().map(|a| a.certificate_photos.as_str()),
    )
    .await?;
    Ok(rows
        .into_iter()
        .zip(lists)
        .map(|(a, list)| (a, photos.visible(&list)))
        .map(
            |(a, (certificate_photo_refs, certificate_photos))| HelperApplicationView {
                certificate_photos,
                certificate_photo_refs,
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
            },
        )
        .collect())
}

async fn view(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    id: i64,
) -> ApiResult<HelperApplicationView> {
    let row = review::find::<Applications>(db, id).await?;
    views(db, media, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ErrorCode::HelperApplicationNotFound.into())
}

/// A resident applies to become a helper; one pending application at a time.
pub async fn apply(
    db: &DatabaseConnection,
    media: &MediaStore,
    me: &AuthUser,
    new: NewHelperApplication,
) -> ApiResult<HelperApplicationView> {
    me.require(Role::Resident)?;
    let draft = HelperDraft::parse(db, new).await??;
    if find_by_user(db, me.id()).await?.is_some() {
        return Err(ErrorCode::AlreadyHelper.into());
    }
    let now = time::now();
    let txn = crate::db::begin_write(db).await?;
    // Held by the application for good: the reviewers may look again.
    refs::claim_all(
        &*txn,
        me.id(),
        Purpose::HelperCertificate,
        "certificate_photos",
        &draft.certificate_photos,
    )
    .await?;
    let inserted = helper_application::ActiveModel {
        user_id: Set(me.id()),
        pending_user_id: Set(Some(me.id())),
        display_name: Set(draft.display_name),
        skills: Set(draft.skills.join(",")),
        phone: Set(draft.phone.into_string()),
        certificate_photos: Set(refs::to_json(&draft.certificate_photos)),
        status: Set(ApplicationStatus::Pending),
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
    community_links::link::<helper_application_community::Entity>(
        &txn,
        saved.id,
        &draft.community_ids,
    )
    .await?;
    txn.commit().await?;
    view(db, media, saved.id).await
}

/// The caller's own applications, newest first.
pub async fn list_mine(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    user_id: i64,
    status: Option<ApplicationStatus>,
    page: Page,
) -> ApiResult<Paged<HelperApplicationView>> {
    review::mine::<Applications>(db, user_id, status, page)
        .await?
        .map_batch(|rows| views(db, media, rows))
        .await
}

/// The review queue: applications naming the admin's communities, oldest first.
pub async fn list_for_admin(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    me: &AuthUser,
    status: Option<ApplicationStatus>,
    page: Page,
) -> ApiResult<Paged<HelperApplicationView>> {
    review::queue::<Applications>(db, me, status, page)
        .await?
        .map_batch(|rows| views(db, media, rows))
        .await
}

/// Approves: the applicant becomes a helper of the application's communities.
pub async fn approve(
    db: &DatabaseConnection,
    media: &MediaStore,
    me: &AuthUser,
    id: i64,
) -> ApiResult<HelperApplicationView> {
    let (app, named) = review::reviewable::<Applications>(db, me, id).await?;
    // Only the reviewer's own communities are granted (finding 3).
    let communities = me.own_part_of(db, &named).await?;
    let txn = crate::db::begin_write(db).await?;
    review::close::<Applications>(&txn, me.id(), id, Decision::Approve).await?;
    let now = time::now();
    let inserted = helper::ActiveModel {
        user_id: Set(app.user_id),
        display_name: Set(app.display_name.clone()),
        phone: Set(app.phone.clone()),
        skills: Set(app.skills.clone()),
        status: Set(HelperStatus::Active),
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
    community_links::link::<helper_community::Entity>(&txn, helper.id, &communities).await?;
    helper_application::Entity::update_many()
        .col_expr(helper_application::Column::HelperId, Expr::value(helper.id))
        .filter(helper_application::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    grant_role(&txn, app.user_id, Role::Helper).await?;
    txn.commit().await?;
    view(db, media, id).await
}

/// Rejects with a reason the applicant reads; they may apply again.
pub async fn reject(
    db: &DatabaseConnection,
    media: &MediaStore,
    me: &AuthUser,
    id: i64,
    body: RejectRequest,
) -> ApiResult<HelperApplicationView> {
    review::reviewable::<Applications>(db, me, id).await?;
    let reason = review::reject_reason(&body.reason)?;
    review::close::<Applications>(db, me.id(), id, Decision::Reject(reason)).await?;
    view(db, media, id).await
}
