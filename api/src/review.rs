//! The application-review workflow merchants and helpers share: a resident
//! applies to serve some communities; an admin of any of them approves
//! (which makes the merchant or the helper, serving only the communities the
//! reviewer administers) or rejects with a reason the
//! applicant reads. One pending application per applicant (a unique index
//! on `pending_user_id`, cleared by the review), and one review per
//! application (a conditional `UPDATE … WHERE status = 'pending'`).
//!
//! What differs between the two is said once, by implementing
//! [`Application`] for the table; the rest is here:
//!
//! ```ignore
//! let (app, communities) = review::reviewable::<helper_application::Entity>(db, &me, id).await?;
//! let txn = crate::db::begin_write(db).await?;
//! review::close::<helper_application::Entity>(&txn, me.id(), id, Decision::Approve).await?;
//! // ... create what the approval makes, in the same transaction
//! ```

use entity::application_status::ApplicationStatus;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::auth::{AuthUser, Role};
use crate::community_links::{self, CommunityLink};
use crate::error::{ApiResult, ErrorCode};
use crate::fields::FieldErrors;
use crate::inbox::{self, Kind as InboxKind, Message};
use crate::pagination::{Page, Paged};
use crate::time;

/// A table of applications an admin reviews.
pub trait Application: EntityTrait<Model: Sync> {
    /// The join table of the communities the applicant would serve.
    type Communities: CommunityLink;
    const ID: Self::Column;
    /// Who applied.
    const APPLICANT: Self::Column;
    const STATUS: Self::Column;
    /// The applicant while pending, NULL once reviewed (unique: one pending each).
    const PENDING_APPLICANT: Self::Column;
    const REJECT_REASON: Self::Column;
    const REVIEWED_BY: Self::Column;
    /// Where the time of the review is written.
    const REVIEWED_AT: Self::Column;
    /// Answered for an id that does not exist.
    const NOT_FOUND: ErrorCode;
    /// Answered to a second review.
    const NOT_PENDING: ErrorCode;
    /// What was applied for, as the applicant's inbox names it.
    const WHAT: &'static str;
    /// The `type` of the inbox item's target.
    const TARGET: &'static str;
}

impl Application for entity::merchant_application::Entity {
    type Communities = entity::merchant_application_community::Entity;
    const ID: Self::Column = entity::merchant_application::Column::Id;
    const APPLICANT: Self::Column = entity::merchant_application::Column::UserId;
    const STATUS: Self::Column = entity::merchant_application::Column::Status;
    const PENDING_APPLICANT: Self::Column = entity::merchant_application::Column::PendingUserId;
    const REJECT_REASON: Self::Column = entity::merchant_application::Column::RejectReason;
    const REVIEWED_BY: Self::Column = entity::merchant_application::Column::ReviewedBy;
    const REVIEWED_AT: Self::Column = entity::merchant_application::Column::ReviewedAt;
    const NOT_FOUND: ErrorCode = ErrorCode::ApplicationNotFound;
    const NOT_PENDING: ErrorCode = ErrorCode::ApplicationNotPending;
    const WHAT: &'static str = "商户入驻申请";
    const TARGET: &'static str = "merchant_application";
}

impl Application for entity::helper_application::Entity {
    type Communities = entity::helper_application_community::Entity;
    const ID: Self::Column = entity::helper_application::Column::Id;
    const APPLICANT: Self::Column = entity::helper_application::Column::UserId;
    const STATUS: Self::Column = entity::helper_application::Column::Status;
    const PENDING_APPLICANT: Self::Column = entity::helper_application::Column::PendingUserId;
    const REJECT_REASON: Self::Column = entity::helper_application::Column::RejectReason;
    const REVIEWED_BY: Self::Column = entity::helper_application::Column::ReviewedBy;
    const REVIEWED_AT: Self::Column = entity::helper_application::Column::UpdatedAt;
    const NOT_FOUND: ErrorCode = ErrorCode::HelperApplicationNotFound;
    const NOT_PENDING: ErrorCode = ErrorCode::ApplicationAlreadyReviewed;
    const WHAT: &'static str = "服务人员申请";
    const TARGET: &'static str = "helper_application";
}

/// What a review decides.
pub enum Decision {
    Approve,
    /// With the reason shown to the applicant.
    Reject(String),
}

/// A reject reason as the applicant will read it: 1-200 characters.
pub fn reject_reason(raw: &str) -> ApiResult<String> {
    let mut errors = FieldErrors::default();
    let reason = errors.text("reason", raw, 1, 200);
    errors.finish()?;
    Ok(reason)
}

pub async fn find<A: Application>(db: &impl ConnectionTrait, id: i64) -> ApiResult<A::Model> {
    A::find()
        .filter(A::ID.eq(id))
        .one(db)
        .await?
        .ok_or_else(|| A::NOT_FOUND.into())
}

/// The caller's own applications, newest first.
pub async fn mine<A: Application>(
    db: &impl ConnectionTrait,
    applicant: i64,
    status: Option<ApplicationStatus>,
    page: Page,
) -> ApiResult<Paged<A::Model>> {
    let select = with_status::<A>(A::find().filter(A::APPLICANT.eq(applicant)), status);
    Ok(page.fetch(db, select.order_by_desc(A::ID)).await?)
}

/// The review queue: applications naming any of the admin's communities
/// (every one for a platform admin), oldest first.
pub async fn queue<A: Application>(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    status: Option<ApplicationStatus>,
    page: Page,
) -> ApiResult<Paged<A::Model>> {
    let mut select = A::find();
    if let Some(own) = me.admin_communities(db).await? {
        select =
            select.filter(A::ID.in_subquery(community_links::linked_to::<A::Communities>(own)));
    }
    let select = with_status::<A>(select, status);
    Ok(page.fetch(db, select.order_by_asc(A::ID)).await?)
}

fn with_status<A: Application>(select: Select<A>, status: Option<ApplicationStatus>) -> Select<A> {
    match status {
        Some(status) => select.filter(A::STATUS.eq(status)),
        None => select,
    }
}

/// The application `id` and its communities, when the caller administers
/// one of them: 403 for anyone else, whatever the application's state.
pub async fn reviewable<A: Application>(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<(A::Model, Vec<i64>)> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let found = find::<A>(db, id).await?;
    let communities = community_links::communities_of_one::<A::Communities>(db, id).await?;
    me.require_admin_of_any(db, &communities).await?;
    Ok((found, communities))
}

/// Records the decision on a pending application, once: a second review
/// (or a concurrent one that lost) is 409. Runs in the caller's transaction,
/// with whatever the approval makes.
#[tracing::instrument(skip_all, fields(reviewer, application_id = id))]
pub async fn close<A: Application>(
    db: &impl ConnectionTrait,
    reviewer: i64,
    id: i64,
    decision: Decision,
) -> ApiResult<()> {
    let (status, reason) = match decision {
        Decision::Approve => (ApplicationStatus::Approved, None),
        Decision::Reject(reason) => (ApplicationStatus::Rejected, Some(reason)),
    };
    let body = match &reason {
        None => format!("您的{}已通过审核", A::WHAT),
        Some(r) => format!("您的{}未通过审核：{r}", A::WHAT),
    };
    let closed = A::update_many()
        .col_expr(A::STATUS, Expr::value(status))
        .col_expr(A::PENDING_APPLICANT, Expr::value(Option::<i64>::None))
        .col_expr(A::REJECT_REASON, Expr::value(reason))
        .col_expr(A::REVIEWED_BY, Expr::value(Some(reviewer)))
        .col_expr(A::REVIEWED_AT, Expr::value(time::now()))
        .filter(A::ID.eq(id))
        .filter(A::STATUS.eq(ApplicationStatus::Pending))
        .exec(db)
        .await?;
    if closed.rows_affected == 0 {
        return Err(A::NOT_PENDING.into());
    }
    let applicant: Option<i64> = A::find()
        .select_only()
        .column(A::APPLICANT)
        .filter(A::ID.eq(id))
        .into_tuple()
        .one(db)
        .await?;
    if let Some(user) = applicant {
        let message = Message::new(InboxKind::ApplicationReviewed, "申请审核结果", body)
            .target(serde_json::json!({ "type": A::TARGET, "id": id, "status": status }));
        inbox::post(db, user, message).await?;
    }
    Ok(())
}
