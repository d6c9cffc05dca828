//! Awards confirmed by people, reversals, and the expiry sweep.

use chrono::TimeDelta;
use entity::point_entry::{self, EntryKind, EntrySource};
use entity::{building, user};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::ledger::{self, Award, RuleRef};
use crate::auth::{AuthUser, Role};
use crate::db::begin_write;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::FieldErrors;
use crate::inbox::{self, Kind, Message};
use crate::uploads::{self, Purpose};

/// A volunteer's service, confirmed by an admin of the resident's community
/// or a grid worker of their grid.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct NewAward {
    pub user_id: i64,
    pub rule_id: i64,
    /// Volunteer hours the service took: 0-24, in steps of a quarter hour at most.
    #[serde(default)]
    pub hours: f64,
    /// An upload (`purpose = service_photo`) of the granter's showing the service.
    pub photo_upload_id: Option<i64>,
    /// Up to 200 characters.
    #[serde(default)]
    pub note: String,
}

/// The resident's community if the caller may award them: an admin of it,
/// or a grid worker of their grid. 404 `USER_NOT_FOUND` otherwise.
async fn awardable(conn: &impl ConnectionTrait, me: &AuthUser, user_id: i64) -> ApiResult<i64> {
    let not_found = || ApiError::new(ErrorCode::UserNotFound);
    let resident = user::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    let b = match resident.building_id {
        Some(b) => building::Entity::find_by_id(b).one(conn).await?,
        None => None,
    };
    let community = b
        .as_ref()
        .map(|b| b.community_id)
        .or(resident.community_id)
        .ok_or_else(not_found)?;
    if me.has(Role::PlatformAdmin) || me.has(Role::CommunityAdmin) {
        me.require_admin_of(conn, community)
            .await
            .map_err(|_| not_found())?;
        return Ok(community);
    }
    let works = match &b {
        Some(b) if me.has(Role::GridWorker) => {
            entity::grid_worker::Entity::find_by_id((me.id(), b.grid_id))
                .one(conn)
                .await?
                .is_some()
        }
        _ => false,
    };
    if works {
        Ok(community)
    } else {
        Err(not_found())
    }
}

/// Confirms a volunteer's service: the award by its rule, in one transaction.
pub async fn confirm_service(
    db: &DatabaseConnection,
    me: &AuthUser,
    new: NewAward,
) -> ApiResult<point_entry::Model> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin, Role::GridWorker])?;
    let mut errors = FieldErrors::default();
    let note = errors.text("note", &new.note, 0, 200);
    let minutes = new.hours * 60.0;
    if !(0.0..=24.0).contains(&new.hours) || !new.hours.is_finite() {
        errors.push("hours", "时长须在 0 到 24 小时之间");
    }
    errors.finish()?;
    let txn = begin_write(db).await?;
    let community_id = awardable(&*txn, me, new.user_id).await?;
    if let Some(photo) = new.photo_upload_id {
        uploads::claim_one(
            &*txn,
            me.id(),
            Purpose::ServicePhoto,
            "photo_upload_id",
            photo,
        )
        .await?;
    }
    let entry = ledger::award(
        &*txn,
        Award {
            user_id: new.user_id,
            community_id,
            rule: RuleRef::Id(new.rule_id),
            points: None,
            granted_by: Some(me.id()),
            source: EntrySource::Service,
            source_ref: None,
            minutes: minutes.round() as i32,
            photo_upload_id: new.photo_upload_id,
            note,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(entry)
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct Reversal {
    /// Why (1-200 characters).
    pub reason: String,
}

/// Reverses an earn (or a spend) once, by an admin of its community.
pub async fn reverse(
    db: &DatabaseConnection,
    me: &AuthUser,
    entry_id: i64,
    body: Reversal,
) -> ApiResult<point_entry::Model> {
    me.admin_communities(db).await?;
    let original = ledger::entry(db, entry_id).await?;
    me.require_admin_of(db, original.community_id)
        .await
        .map_err(|_| ApiError::new(ErrorCode::NotFound))?;
    let mut errors = FieldErrors::default();
    let reason = errors.text("reason", &body.reason, 1, 200);
    errors.finish()?;
    let txn = begin_write(db).await?;
    let entry = ledger::reverse(
        &*txn,
        &original,
        EntrySource::Admin,
        Some(me.id()),
        reason.clone(),
    )
    .await?;
    inbox::post(
        &*txn,
        original.user_id,
        Message::new(
            Kind::Points,
            format!("积分变动 {}", entry.points),
            format!("积分记录已冲正：{reason}"),
        )
        .target(json!({"type": "points_entry", "id": entry.id})),
    )
    .await?;
    txn.commit().await?;
    Ok(entry)
}

/// One round of the expiry sweep: earns older than `after` not yet reversed
/// or expired lapse, each by what is left of it in the balance (the points
/// spent already are not taken twice). Answers how many lapsed.
pub async fn expire_due(db: &DatabaseConnection, after: TimeDelta) -> ApiResult<usize> {
    let cutoff = crate::time::now() - after;
    let undone = Query::select()
        .column(point_entry::Column::UndoesId)
        .from(point_entry::Entity)
        .and_where(Expr::col(point_entry::Column::UndoesId).is_not_null())
        .to_owned();
    let due = point_entry::Entity::find()
        .filter(point_entry::Column::Kind.eq(EntryKind::Earn))
        .filter(point_entry::Column::CreatedAt.lte(cutoff))
        .filter(point_entry::Column::Id.not_in_subquery(undone))
        .order_by_asc(point_entry::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    let mut done = 0;
    for earn in due {
        let txn = begin_write(db).await?;
        let balance = entity::point_balance::Entity::find_by_id((earn.user_id, earn.community_id))
            .one(&*txn)
            .await?
            .map(|b| b.balance)
            .unwrap_or(0);
        let lapse = Ord::max(Ord::min(earn.points, balance), 0);
        match ledger::undo(
            &*txn,
            &earn,
            EntryKind::Expire,
            -lapse,
            EntrySource::Expiry,
            None,
            "积分过期".to_owned(),
        )
        .await
        {
            Ok(_) => {
                if lapse > 0 {
                    inbox::post(
                        &*txn,
                        earn.user_id,
                        Message::new(
                            Kind::Points,
                            format!("{lapse} 积分已过期"),
                            "积分已超过有效期",
                        ),
                    )
                    .await?;
                }
                txn.commit().await?;
                done += 1;
            }
            // Another instance expired it, or a spend moved the balance: next round.
            Err(e)
                if e.code == ErrorCode::AlreadyReversed
                    || e.code == ErrorCode::InsufficientPoints =>
            {
                txn.rollback().await?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
