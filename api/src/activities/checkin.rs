//! Check-in, three ways: the organiser scans the participant's one-time
//! code; the participant scans the session's rotating code (signed, valid
//! 60 seconds); the organiser ticks the roster.

use chrono::{DateTime, Utc};
use entity::point_entry::EntrySource;
use entity::{activity, activity_session, signup};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

use super::service::{find_session, require_runner};
use super::signing::{SignupView, views};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::points::ledger::{self, Award, RuleRef};
use crate::points::rules::ACTIVITY_ATTENDED;
use crate::signups::SignupStatus;

/// How long a session's rotating code is accepted.
pub const CODE_TTL_SECS: i64 = 60;

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct CodeBody {
    /// The scanned code.
    pub code: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SessionCode {
    /// Shown as a QR code on the organiser's screen: `{session}.{issued}.{signature}`.
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

fn signature(secret: &str, payload: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(payload.as_bytes());
    hex::encode(mac.finalize().into_bytes())
        .chars()
        .take(24)
        .collect()
}

/// The session's code at `now` (to its organisers).
pub async fn session_code(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    session_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<SessionCode> {
    let (session, act) = find_session(db, session_id).await?;
    require_runner(db, me, act.community_id).await?;
    let payload = format!("{}.{}", session.id, now.timestamp());
    Ok(SessionCode {
        code: format!("{payload}.{}", signature(&session.checkin_secret, &payload)),
        expires_at: now + chrono::TimeDelta::seconds(CODE_TTL_SECS),
    })
}

/// Checks a scanned session code: 409 `CHECKIN_CODE_INVALID` when it is not
/// this session's or its signature is wrong, `CHECKIN_CODE_EXPIRED` when
/// older than 60 seconds.
fn check_session_code(
    session: &activity_session::Model,
    code: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mut parts = code.trim().splitn(3, '.');
    let (Some(sid), Some(issued), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ErrorCode::CheckinCodeInvalid.into());
    };
    let expected = signature(&session.checkin_secret, &format!("{sid}.{issued}"));
    let issued: i64 = issued.parse().map_err(|_| ErrorCode::CheckinCodeInvalid)?;
    if sid != session.id.to_string() || expected.is_empty() || sig != expected {
        return Err(ErrorCode::CheckinCodeInvalid.into());
    }
    let age = now.timestamp().saturating_sub(issued);
    if !(0..=CODE_TTL_SECS).contains(&age) {
        return Err(ErrorCode::CheckinCodeExpired.into());
    }
    Ok(())
}

/// Marks sign-ups attended when they are still confirmed (or, on the
/// roster, recorded as no-shows); answers how many changed.
async fn attend(
    db: &impl ConnectionTrait,
    ids: &[i64],
    from: &[SignupStatus],
    method: &str,
    now: DateTime<Utc>,
) -> ApiResult<u64> {
    Ok(signup::Entity::update_many()
        .col_expr(signup::Column::Status, Expr::value(SignupStatus::Attended))
        .col_expr(
            signup::Column::CheckinCode,
            Expr::value(Option::<String>::None),
        )
        .col_expr(signup::Column::CheckedInAt, Expr::value(now))
        .col_expr(signup::Column::CheckinMethod, Expr::value(method))
        .col_expr(signup::Column::UpdatedAt, Expr::value(now))
        .filter(signup::Column::Id.is_in(ids.iter().copied()))
        .filter(signup::Column::Status.is_in(from.iter().copied()))
        .exec(db)
        .await?
        .rows_affected)
}

/// The participant scanned the session's code: every place the caller holds
/// in the session (theirs and their family members') is checked in.
pub async fn scan_session_code(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    session_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> ApiResult<Vec<SignupView>> {
    me.require(Role::Resident)?;
    let (session, act) = find_session(db, session_id).await?;
    check_session_code(&session, code, now)?;
    let mine = signup::Entity::find()
        .filter(signup::Column::SessionId.eq(session.id))
        .filter(signup::Column::UserId.eq(me.id()))
        .filter(signup::Column::Status.is_in([SignupStatus::Confirmed, SignupStatus::Attended]))
        .order_by_asc(signup::Column::Id)
        .all(db)
        .await?;
    if mine.is_empty() {
        return Err(ApiError::new(ErrorCode::SignupNotFound).message("您没有该场次的名额"));
    }
    let ids: Vec<i64> = mine.iter().map(|s| s.id).collect();
    if attend(db, &ids, &[SignupStatus::Confirmed], "scan", now).await? == 0 {
        return Err(ErrorCode::AlreadyCheckedIn.into());
    }
    award_attendance(db, &act, &session, &ids, None).await?;
    let rows = signup::Entity::find()
        .filter(signup::Column::Id.is_in(ids))
        .order_by_asc(signup::Column::Id)
        .all(db)
        .await?;
    views(db, rows).await
}

/// The organiser scanned a participant's one-time code (`S{session}-{digits}`);
/// a used, wrong or cancelled code is 409 `CHECKIN_CODE_INVALID`.
pub async fn scan_participant_code(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    session_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> ApiResult<SignupView> {
    let (session, act) = find_session(db, session_id).await?;
    require_runner(db, me, act.community_id).await?;
    let found = signup::Entity::find()
        .filter(signup::Column::SessionId.eq(session.id))
        .filter(signup::Column::CheckinCode.eq(code.trim()))
        .one(db)
        .await?
        .ok_or(ErrorCode::CheckinCodeInvalid)?;
    if attend(db, &[found.id], &[SignupStatus::Confirmed], "code", now).await? == 0 {
        return Err(ErrorCode::CheckinCodeInvalid.into());
    }
    award_attendance(db, &act, &session, &[found.id], Some(me.id())).await?;
    one(db, found.id).await
}

/// Awards the activity's points to each resident who attended in their own
/// name (a family member's place earns the guardian nothing), by the
/// community's `activity_attended` rule, once per sign-up (`source_ref`
/// `signup:{id}`, so a repeated check-in never pays twice). Runs in the
/// caller's transaction: the check-in and its points commit together. A
/// rule retired or capped leaves the check-in without points.
async fn award_attendance(
    db: &impl ConnectionTrait,
    act: &activity::Model,
    session: &activity_session::Model,
    signup_ids: &[i64],
    granted_by: Option<i64>,
) -> ApiResult<()> {
    if act.points <= 0 {
        return Ok(());
    }
    let own = signup::Entity::find()
        .filter(signup::Column::Id.is_in(signup_ids.iter().copied()))
        .filter(signup::Column::Status.eq(SignupStatus::Attended))
        .filter(signup::Column::FamilyMemberId.is_null())
        .all(db)
        .await?;
    let minutes =
        i32::try_from((session.ends_at - session.starts_at).num_minutes().max(0)).unwrap_or(0);
    for s in own {
        let awarded = ledger::award(
            db,
            Award {
                user_id: s.user_id,
                community_id: act.community_id,
                rule: RuleRef::Code(ACTIVITY_ATTENDED),
                points: Some(i64::from(act.points)),
                granted_by,
                source: EntrySource::Activity,
                source_ref: Some(format!("signup:{}", s.id)),
                minutes,
                photo_upload_id: None,
                note: act.title.clone(),
            },
        )
        .await;
        match awarded {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.code,
                    ErrorCode::AlreadyAwarded
                        | ErrorCode::PointsCapReached
                        | ErrorCode::PointRuleNotFound
                ) =>
            {
                tracing::info!(signup_id = s.id, code = ?e.code, "attendance earns no points");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn one(db: &impl ConnectionTrait, id: i64) -> ApiResult<SignupView> {
    let row = signup::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::SignupNotFound))?;
    super::signing::one_view(db, row).await
}

/// The organiser ticks a participant on the roster (also one recorded as a
/// no-show, who came late after all).
pub async fn tick(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    signup_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<SignupView> {
    let found = signup::Entity::find_by_id(signup_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::SignupNotFound))?;
    let (session, act) = find_session(db, found.session_id).await?;
    require_runner(db, me, act.community_id).await?;
    let from = [SignupStatus::Confirmed, SignupStatus::NoShow];
    if attend(db, &[found.id], &from, "roster", now).await? == 0 {
        return Err(match found.status {
            SignupStatus::Attended => ErrorCode::AlreadyCheckedIn.into(),
            other => ApiError::new(ErrorCode::InvalidTransition)
                .details(serde_json::json!({ "status": other })),
        });
    }
    award_attendance(db, &act, &session, &[found.id], Some(me.id())).await?;
    one(db, found.id).await
}

/// The session's roster: every sign-up but the cancelled, places first then
/// the waiting list, each in order.
pub async fn roster(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    session_id: i64,
) -> ApiResult<Vec<SignupView>> {
    let (session, act) = find_session(db, session_id).await?;
    require_runner(db, me, act.community_id).await?;
    let rows = signup::Entity::find()
        .filter(signup::Column::SessionId.eq(session.id))
        .filter(signup::Column::Status.ne(SignupStatus::Cancelled))
        .order_by_asc(signup::Column::Id)
        .all(db)
        .await?;
    let (waiting, placed): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|r| r.status == SignupStatus::Waiting);
    let mut out = views(db, placed).await?;
    // Organisers scan codes; they are not shown codes on the roster.
    for v in &mut out {
        v.checkin_code = None;
    }
    out.extend(views(db, waiting).await?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> activity_session::Model {
        activity_session::Model {
            id: 5,
            activity_id: 1,
            starts_at: Utc::now(),
            ends_at: Utc::now(),
            capacity: 1,
            taken: 0,
            checkin_secret: "secret".into(),
            day_reminded_at: None,
            hour_reminded_at: None,
            closed_at: None,
        }
    }

    #[test]
    fn session_codes_are_signed_and_short_lived() {
        let s = session();
        let now = crate::time::now();
        let payload = format!("5.{}", now.timestamp());
        let code = format!("{payload}.{}", signature("secret", &payload));
        assert!(check_session_code(&s, &code, now).is_ok());
        let later = now + chrono::TimeDelta::seconds(61);
        assert_eq!(
            check_session_code(&s, &code, later).err().map(|e| e.code),
            Some(ErrorCode::CheckinCodeExpired)
        );
        let forged = format!("{payload}.{}", signature("other", &payload));
        assert_eq!(
            check_session_code(&s, &forged, now).err().map(|e| e.code),
            Some(ErrorCode::CheckinCodeInvalid)
        );
        let other_session = format!(
            "6.{}.{}",
            now.timestamp(),
            signature("secret", &format!("6.{}", now.timestamp()))
        );
        assert!(check_session_code(&s, &other_session, now).is_err());
    }
}
