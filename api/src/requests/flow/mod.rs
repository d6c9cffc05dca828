//! The transitions of a request after it is filed: who may make each, from
//! which statuses, what it writes, and the timeline entries it leaves.
//!
//! Each is checked in order: the caller must see the request (else 404) and
//! be the one who makes that move (403), the body must be valid (422), the
//! request must be in a state that allows it (409, or 429 for a second urge
//! the same day). It is then one conditional `UPDATE` guarded by the state
//! it was planned from, plus its events, in one transaction: of two racing
//! moves one wins and the other is answered as if it came second.

mod commands;
mod plan;
mod timeline;

use chrono::{DateTime, TimeDelta, Utc};
use entity::{request, request_photo};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;

use super::access::{Relation, visible};
use super::{ActorRole, Ctx, ExtensionState, PhotoStage, REOPEN_WITHIN, Status};
use crate::auth::AuthUser;
use crate::calendar::{local_date, start_of};
use crate::error::{ApiError, ApiResult, ErrorCode};

use commands::Mover;
pub use commands::{
    AssignInput, Command, DecisionInput, ExtensionInput, NoteInput, RateInput, ReasonInput,
    TransferInput,
};
use plan::{level_of, plan, status_of};
pub use timeline::{Actor, record, save_photos};

/// 409 (or 429) when the request's state does not allow the move now.
fn check_state(cmd: &Command, r: &request::Model, now: DateTime<Utc>) -> ApiResult<()> {
    let status = status_of(r);
    if matches!(cmd, Command::Rate(_)) && status == Status::Closed {
        return Err(ErrorCode::AlreadyRated.into());
    }
    if !cmd.from().contains(&status) {
        return Err(
            ApiError::new(ErrorCode::InvalidTransition).details(json!({ "status": status }))
        );
    }
    let extension = r.extension_state;
    match cmd {
        Command::Urge => {
            let today = local_date(now);
            if r.last_urged_on.as_deref() == Some(today.to_string().as_str()) {
                let tomorrow = start_of(today) + TimeDelta::days(1);
                return Err(
                    ApiError::new(ErrorCode::UrgedToday)
                        .retry_after(std::cmp::max((tomorrow - now).num_seconds(), 1) as u64),
                );
            }
        }
        Command::Reopen(_) => {
            let in_time = r.resolved_at.is_some_and(|t| now <= t + REOPEN_WITHIN);
            if r.reopen_count > 0 || !in_time {
                return Err(ErrorCode::ReopenNotAllowed.into());
            }
        }
        Command::AskExtension(_)
            if matches!(
                extension,
                ExtensionState::Pending | ExtensionState::Approved
            ) =>
        {
            return Err(ErrorCode::ExtensionNotAllowed.into());
        }
        Command::DecideExtension(_) if extension != ExtensionState::Pending => {
            return Err(ApiError::new(ErrorCode::InvalidTransition)
                .message("没有待审批的延期申请")
                .details(json!({ "status": status, "extension": extension })));
        }
        _ => {}
    }
    Ok(())
}

/// Makes the move; answers the request as it is afterwards and the caller's relation to it.
#[tracing::instrument(skip_all, fields(user_id = me.id(), request_id = id, action = cmd.name()))]
pub async fn act(
    db: &DatabaseConnection,
    ctx: Ctx<'_>,
    me: &AuthUser,
    id: i64,
    cmd: Command,
) -> ApiResult<(request::Model, Relation)> {
    let (r, rel) = visible(db, me, id).await?;
    let level = level_of(&r);
    let allowed = match cmd.mover() {
        Mover::Reporter => rel.reporter,
        Mover::Handler => rel.handles(level),
        Mover::Admin => rel.admin,
    };
    if !allowed {
        return Err(ErrorCode::Forbidden.into());
    }
    let plan = plan(db, ctx, me, &r, &cmd).await?;
    check_state(&cmd, &r, ctx.now)?;
    let actor = Actor::user(
        me.id(),
        match cmd.mover() {
            Mover::Reporter if r.reporter_id == me.id() => ActorRole::Reporter,
            Mover::Reporter => ActorRole::GridWorker,
            Mover::Handler => Relation::handler_role(level),
            Mover::Admin => ActorRole::Admin,
        },
    );
    let txn = crate::db::begin_write(db).await?;
    let mut update =
        request::Entity::update_many().col_expr(request::Column::UpdatedAt, Expr::value(ctx.now));
    for (col, value) in plan.sets {
        update = update.col_expr(col, value);
    }
    let done = update
        .filter(request::Column::Id.eq(r.id))
        .filter(request::Column::Status.is_in(cmd.from().iter().copied()))
        .filter(plan.guard)
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        drop(txn);
        // Someone moved it first: answer as the later move.
        let current = request::Entity::find_by_id(r.id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::RequestNotFound))?;
        check_state(&cmd, &current, ctx.now)?;
        return Err(ApiError::new(ErrorCode::InvalidTransition)
            .details(json!({ "status": status_of(&current) })));
    }
    let updated = request::Entity::find_by_id(r.id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::RequestNotFound))?;
    if plan.clear_resolution_photos {
        request_photo::Entity::delete_many()
            .filter(request_photo::Column::RequestId.eq(r.id))
            .filter(request_photo::Column::Stage.eq(PhotoStage::Resolution.as_str()))
            .exec(&txn)
            .await?;
    }
    if let Some((stage, ids, first)) = &plan.photos {
        save_photos(&txn, r.id, *stage, ids, *first).await?;
    }
    for (kind, note, data) in plan.events {
        record(&txn, &updated, kind, actor, &note, data, ctx.now).await?;
    }
    txn.commit().await?;
    Ok((updated, rel))
}
