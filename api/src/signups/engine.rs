//! Taking a place, cancelling, promoting from the waiting list.

use chrono::{DateTime, Utc};
use entity::{activity_session, canteen_meal, signup};
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::SignupStatus;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// Who takes the place: the resident, or a family member they registered.
#[derive(Clone, Debug)]
pub struct Participant {
    /// The resident signing up (the guardian of a family member).
    pub user_id: i64,
    pub family_member_id: Option<i64>,
    pub name: String,
}

impl Participant {
    /// The key that is unique per person and session while a sign-up is live.
    pub fn live_key(&self, session_id: i64) -> String {
        match self.family_member_id {
            Some(member) => format!("{session_id}:f{member}"),
            None => format!("{session_id}:u{}", self.user_id),
        }
    }
}

/// A participant's one-time check-in code: `S{session}-{12 digits}`
/// (looked up within its session; the digits are the secret).
pub fn new_checkin_code(session_id: i64) -> String {
    format!(
        "S{session_id}-{:012}",
        rand::rng().random_range(0..1_000_000_000_000u64)
    )
}

/// Locks the session's row for the rest of the transaction (PostgreSQL).
async fn lock_session(
    conn: &impl ConnectionTrait,
    session_id: i64,
) -> ApiResult<activity_session::Model> {
    activity_session::Entity::find_by_id(session_id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::SessionNotFound))
}

/// Signs `who` up for the session: a place when one is free, else a spot on
/// the waiting list when `waitlist`, else 409 `SESSION_FULL`. 409
/// `ALREADY_SIGNED_UP` when the person already holds a live sign-up.
pub async fn sign_up(
    conn: &impl ConnectionTrait,
    session_id: i64,
    activity_id: i64,
    waitlist: bool,
    who: &Participant,
    now: DateTime<Utc>,
) -> ApiResult<signup::Model> {
    let key = who.live_key(session_id);
    let held = signup::Entity::find()
        .filter(signup::Column::LiveKey.eq(key.clone()))
        .count(conn)
        .await?;
    if held > 0 {
        return Err(ErrorCode::AlreadySignedUp.into());
    }
    // A place: the conditional update locks the session's row until commit.
    let mut status = SignupStatus::Confirmed;
    if take_place(conn, Places::ActivitySession(session_id)).await? == 0 {
        // Full: with the row locked, so that no cancellation can free a
        // place unseen between the look and the spot on the list, look again.
        lock_session(conn, session_id).await?;
        if take_place(conn, Places::ActivitySession(session_id)).await? == 0 {
            if !waitlist {
                return Err(ErrorCode::SessionFull.into());
            }
            status = SignupStatus::Waiting;
        }
    }
    let inserted =
        signup::ActiveModel {
            session_id: Set(session_id),
            activity_id: Set(activity_id),
            user_id: Set(who.user_id),
            family_member_id: Set(who.family_member_id),
            participant_name: Set(who.name.clone()),
            status: Set(status),
            live_key: Set(Some(key)),
            checkin_code: Set(
                (status == SignupStatus::Confirmed).then(|| new_checkin_code(session_id))
            ),
            checked_in_at: Set(None),
            checkin_method: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await;
    // Two sign-ups of one person racing: the UNIQUE live key refuses the
    // second, whose place is rolled back with its transaction.
    crate::db::or_conflict(inserted, ErrorCode::AlreadySignedUp)
}

/// Whose places: an activity's session, or a canteen's meal (the engine's
/// session of the canteen kind). Both tables keep `capacity` and `taken`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Places {
    ActivitySession(i64),
    Meal(i64),
}

/// `taken + 1` when a place is free; rows changed (0 or 1). The conditional
/// update locks the row until commit.
async fn take_place(conn: &impl ConnectionTrait, places: Places) -> ApiResult<u64> {
    let done = match places {
        Places::ActivitySession(id) => {
            use activity_session::{Column, Entity};
            Entity::update_many()
                .col_expr(Column::Taken, Expr::col(Column::Taken).add(1))
                .filter(Column::Id.eq(id))
                .filter(Expr::col(Column::Taken).lt(Expr::col(Column::Capacity)))
                .exec(conn)
                .await?
        }
        Places::Meal(id) => {
            use canteen_meal::{Column, Entity};
            Entity::update_many()
                .col_expr(Column::Taken, Expr::col(Column::Taken).add(1))
                .filter(Column::Id.eq(id))
                .filter(Expr::col(Column::Taken).lt(Expr::col(Column::Capacity)))
                .exec(conn)
                .await?
        }
    };
    Ok(done.rows_affected)
}

/// `taken - 1` (never below 0).
async fn free_place(conn: &impl ConnectionTrait, places: Places) -> ApiResult<()> {
    match places {
        Places::ActivitySession(id) => {
            use activity_session::{Column, Entity};
            Entity::update_many()
                .col_expr(Column::Taken, Expr::col(Column::Taken).sub(1))
                .filter(Column::Id.eq(id))
                .filter(Column::Taken.gt(0))
                .exec(conn)
                .await?;
        }
        Places::Meal(id) => {
            use canteen_meal::{Column, Entity};
            Entity::update_many()
                .col_expr(Column::Taken, Expr::col(Column::Taken).sub(1))
                .filter(Column::Id.eq(id))
                .filter(Column::Taken.gt(0))
                .exec(conn)
                .await?;
        }
    }
    Ok(())
}

/// Takes one place without a waiting list (a canteen's meal): 409
/// `SESSION_FULL` when none is free. Runs in the caller's write transaction,
/// which holds the row's lock until commit.
pub async fn take_one(conn: &impl ConnectionTrait, places: Places) -> ApiResult<()> {
    if take_place(conn, places).await? == 0 {
        return Err(ErrorCode::SessionFull.into());
    }
    Ok(())
}

/// Gives back a place taken by [`take_one`] (a cancelled booking).
pub async fn give_back(conn: &impl ConnectionTrait, places: Places) -> ApiResult<()> {
    free_place(conn, places).await
}

/// Cancels a live sign-up; a place it held goes at once to the first one
/// waiting, who is answered (None: nobody was waiting, or it was a spot on
/// the list). 409 `INVALID_TRANSITION` when it is no longer live.
pub async fn cancel(
    conn: &impl ConnectionTrait,
    found: &signup::Model,
    now: DateTime<Utc>,
) -> ApiResult<Option<signup::Model>> {
    lock_session(conn, found.session_id).await?;
    // Read again under the lock: a spot on the list may have become a place.
    let found = &signup::Entity::find_by_id(found.id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::SignupNotFound))?;
    let done = signup::Entity::update_many()
        .col_expr(signup::Column::Status, Expr::value(SignupStatus::Cancelled))
        .col_expr(signup::Column::LiveKey, Expr::value(Option::<String>::None))
        .col_expr(
            signup::Column::CheckinCode,
            Expr::value(Option::<String>::None),
        )
        .col_expr(signup::Column::UpdatedAt, Expr::value(now))
        .filter(signup::Column::Id.eq(found.id))
        .filter(signup::Column::Status.is_in(super::LIVE))
        .exec(conn)
        .await?;
    if done.rows_affected == 0 {
        return Err(ApiError::new(ErrorCode::InvalidTransition)
            .details(serde_json::json!({ "status": found.status })));
    }
    if found.status != SignupStatus::Confirmed {
        return Ok(None);
    }
    if let Some(promoted) = promote_first(conn, found.session_id, now).await? {
        return Ok(Some(promoted));
    }
    free_place(conn, Places::ActivitySession(found.session_id)).await?;
    Ok(None)
}

/// Moves the first one waiting to the freed place (their place replaces the
/// cancelled one: `taken` stays).
async fn promote_first(
    conn: &impl ConnectionTrait,
    session_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<Option<signup::Model>> {
    // The session is locked: the first one waiting cannot change under us,
    // but the loop keeps the conditional update honest all the same.
    for _ in 0..8 {
        let Some(first) = signup::Entity::find()
            .filter(signup::Column::SessionId.eq(session_id))
            .filter(signup::Column::Status.eq(SignupStatus::Waiting))
            .order_by_asc(signup::Column::Id)
            .one(conn)
            .await?
        else {
            return Ok(None);
        };
        let moved = signup::Entity::update_many()
            .col_expr(signup::Column::Status, Expr::value(SignupStatus::Confirmed))
            .col_expr(
                signup::Column::CheckinCode,
                Expr::value(new_checkin_code(session_id)),
            )
            .col_expr(signup::Column::UpdatedAt, Expr::value(now))
            .filter(signup::Column::Id.eq(first.id))
            .filter(signup::Column::Status.eq(SignupStatus::Waiting))
            .exec(conn)
            .await?;
        if moved.rows_affected == 1 {
            return Ok(signup::Entity::find_by_id(first.id).one(conn).await?);
        }
    }
    Ok(None)
}

/// A waiting sign-up's place on the list (1 = next); None when not waiting.
pub async fn waiting_position(
    conn: &impl ConnectionTrait,
    row: &signup::Model,
) -> ApiResult<Option<u64>> {
    if row.status != SignupStatus::Waiting {
        return Ok(None);
    }
    let ahead = signup::Entity::find()
        .filter(signup::Column::SessionId.eq(row.session_id))
        .filter(signup::Column::Status.eq(SignupStatus::Waiting))
        .filter(signup::Column::Id.lt(row.id))
        .count(conn)
        .await?;
    Ok(Some(ahead + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_keys_tell_residents_from_family_members() {
        let me = Participant {
            user_id: 7,
            family_member_id: None,
            name: "a".into(),
        };
        let child = Participant {
            family_member_id: Some(7),
            ..me.clone()
        };
        assert_eq!(me.live_key(3), "3:u7");
        assert_eq!(child.live_key(3), "3:f7");
        let code = new_checkin_code(42);
        assert!(code.starts_with("S42-") && code.len() == 16, "{code}");
    }
}
