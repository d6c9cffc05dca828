//! The ledger's writes. Every entry is appended together with the move of
//! its balance row, in the caller's transaction; the balance only moves by
//! conditional updates (`balance >= points` to take), so it is never
//! negative whatever the concurrency, and always the sum of the ledger.

use chrono::{DateTime, FixedOffset, Offset, Utc};
use entity::point_entry::{self, EntryKind, EntrySource};
use entity::{point_balance, point_rule, point_rule_usage};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, Set,
};
use serde_json::json;

use crate::db::is_duplicate;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::inbox::{self, Kind, Message};
use crate::time;

/// Which rule an award is made by.
#[derive(Clone, Debug)]
pub enum RuleRef {
    Id(i64),
    /// A rule the system awards by (`wish_fulfilled`, `activity_attended`).
    Code(&'static str),
}

/// An award of points to one resident ([`award`]).
#[derive(Clone, Debug)]
pub struct Award {
    pub user_id: i64,
    pub community_id: i64,
    pub rule: RuleRef,
    /// The points given; None = the rule's points. An activity carries its own.
    pub points: Option<i64>,
    /// Who granted it (admin, grid worker, the confirming wisher).
    pub granted_by: Option<i64>,
    pub source: EntrySource,
    /// What it is for (`wish:12`, `activity:5`): one award per user and ref.
    pub source_ref: Option<String>,
    pub minutes: i32,
    pub photo_upload_id: Option<i64>,
    pub note: String,
}

/// Awards points by a rule of the resident's community, inside `conn`'s
/// transaction: checks the rule (active, this community's), takes the
/// points from the rule's day and month caps (409 `POINTS_CAP_REACHED`),
/// appends the earn entry (409 `ALREADY_AWARDED` when `source_ref` was
/// awarded to the user already), credits the balance and tells the
/// resident in their inbox. On any error the caller rolls back.
pub async fn award(conn: &impl ConnectionTrait, a: Award) -> ApiResult<point_entry::Model> {
    super::rules::ensure_rule_book(conn, a.community_id).await?;
    let rule = match &a.rule {
        RuleRef::Id(id) => point_rule::Entity::find_by_id(*id).one(conn).await?,
        RuleRef::Code(code) => {
            point_rule::Entity::find()
                .filter(point_rule::Column::CommunityId.eq(a.community_id))
                .filter(point_rule::Column::Code.eq(*code))
                .one(conn)
                .await?
        }
    }
    .filter(|r| r.community_id == a.community_id && r.active)
    .ok_or_else(|| ApiError::new(ErrorCode::PointRuleNotFound))?;
    let points = a.points.unwrap_or(i64::from(rule.points));
    if !(1..=100_000).contains(&points) {
        return Err(ApiError::field("points", "积分须在 1 到 100000 之间"));
    }
    let now = time::now();
    take_caps(conn, a.user_id, &rule, points, now).await?;
    let inserted = point_entry::ActiveModel {
        user_id: Set(a.user_id),
        community_id: Set(a.community_id),
        kind: Set(EntryKind::Earn),
        points: Set(points),
        source: Set(a.source),
        source_ref: Set(a.source_ref),
        rule_id: Set(Some(rule.id)),
        granted_by: Set(a.granted_by),
        minutes: Set(a.minutes),
        photo_upload_id: Set(a.photo_upload_id),
        note: Set(a.note),
        undoes_id: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await;
    let entry = match inserted {
        Err(e) if is_duplicate(&e) => return Err(ErrorCode::AlreadyAwarded.into()),
        other => other?,
    };
    credit(conn, a.user_id, a.community_id, points).await?;
    inbox::post(
        conn,
        a.user_id,
        Message::new(
            Kind::Points,
            format!("获得 {points} 积分"),
            format!("{}：{}", rule.class, rule.name),
        )
        .target(json!({"type": "points_entry", "id": entry.id})),
    )
    .await?;
    Ok(entry)
}

/// The day (`2026-12-07`) and month (`2026-12`) a time falls in, China time.
pub fn periods(t: DateTime<Utc>) -> (String, String) {
    let cst = FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix());
    let local = t.with_timezone(&cst);
    (
        local.format("%Y-%m-%d").to_string(),
        local.format("%Y-%m").to_string(),
    )
}

/// Adds `points` to the rule's day and month counters, each only if it
/// stays within its cap (a conditional update: exact under concurrency).
async fn take_caps(
    conn: &impl ConnectionTrait,
    user_id: i64,
    rule: &point_rule::Model,
    points: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let (day, month) = periods(now);
    for (period, cap) in [(day, rule.daily_cap), (month, rule.monthly_cap)] {
        let Some(cap) = cap else { continue };
        point_rule_usage::Entity::insert(point_rule_usage::ActiveModel {
            user_id: Set(user_id),
            rule_id: Set(rule.id),
            period: Set(period.clone()),
            points: Set(0),
        })
        .on_conflict_do_nothing_on([
            point_rule_usage::Column::UserId,
            point_rule_usage::Column::RuleId,
            point_rule_usage::Column::Period,
        ])
        .exec(conn)
        .await?;
        let taken = point_rule_usage::Entity::update_many()
            .col_expr(
                point_rule_usage::Column::Points,
                Expr::col(point_rule_usage::Column::Points).add(points),
            )
            .filter(point_rule_usage::Column::UserId.eq(user_id))
            .filter(point_rule_usage::Column::RuleId.eq(rule.id))
            .filter(point_rule_usage::Column::Period.eq(period))
            .filter(
                Expr::col(point_rule_usage::Column::Points)
                    .add(points)
                    .lte(i64::from(cap)),
            )
            .exec(conn)
            .await?;
        if taken.rows_affected != 1 {
            return Err(ErrorCode::PointsCapReached.into());
        }
    }
    Ok(())
}

/// Adds `points` to the balance (made at 0 first).
async fn credit(
    conn: &impl ConnectionTrait,
    user_id: i64,
    community_id: i64,
    points: i64,
) -> ApiResult<()> {
    let now = time::now();
    point_balance::Entity::insert(point_balance::ActiveModel {
        user_id: Set(user_id),
        community_id: Set(community_id),
        balance: Set(0),
        updated_at: Set(now),
    })
    .on_conflict_do_nothing_on([
        point_balance::Column::UserId,
        point_balance::Column::CommunityId,
    ])
    .exec(conn)
    .await?;
    point_balance::Entity::update_many()
        .col_expr(
            point_balance::Column::Balance,
            Expr::col(point_balance::Column::Balance).add(points),
        )
        .col_expr(point_balance::Column::UpdatedAt, Expr::value(now))
        .filter(point_balance::Column::UserId.eq(user_id))
        .filter(point_balance::Column::CommunityId.eq(community_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Takes `points` from the balance if that many are there; false otherwise.
async fn debit(
    conn: &impl ConnectionTrait,
    user_id: i64,
    community_id: i64,
    points: i64,
) -> ApiResult<bool> {
    let taken = point_balance::Entity::update_many()
        .col_expr(
            point_balance::Column::Balance,
            Expr::col(point_balance::Column::Balance).sub(points),
        )
        .col_expr(point_balance::Column::UpdatedAt, Expr::value(time::now()))
        .filter(point_balance::Column::UserId.eq(user_id))
        .filter(point_balance::Column::CommunityId.eq(community_id))
        .filter(point_balance::Column::Balance.gte(points))
        .exec(conn)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// What a spend is for.
pub struct Spend {
    pub user_id: i64,
    pub community_id: i64,
    pub points: i64,
    pub source: EntrySource,
    pub source_ref: Option<String>,
    pub note: String,
}

/// Spends points (409 `INSUFFICIENT_POINTS` when the balance is short),
/// appending the spend entry, in `conn`'s transaction.
pub async fn spend(conn: &impl ConnectionTrait, s: Spend) -> ApiResult<point_entry::Model> {
    if s.points < 1 {
        return Err(ApiError::field("points", "积分须大于 0"));
    }
    if !debit(conn, s.user_id, s.community_id, s.points).await? {
        return Err(ErrorCode::InsufficientPoints.into());
    }
    let inserted = point_entry::ActiveModel {
        user_id: Set(s.user_id),
        community_id: Set(s.community_id),
        kind: Set(EntryKind::Spend),
        points: Set(-s.points),
        source: Set(s.source),
        source_ref: Set(s.source_ref),
        rule_id: Set(None),
        granted_by: Set(None),
        minutes: Set(0),
        photo_upload_id: Set(None),
        note: Set(s.note),
        undoes_id: Set(None),
        created_at: Set(time::now()),
        ..Default::default()
    }
    .insert(conn)
    .await;
    match inserted {
        Err(e) if is_duplicate(&e) => Err(ErrorCode::AlreadyAwarded.into()),
        other => Ok(other?),
    }
}

/// Undoes an earn or a spend once (409 `ALREADY_REVERSED` the second time,
/// or for an expired earn): appends the opposite entry referencing it and
/// moves the balance back. Reversing an earn whose points were spent
/// already is 409 `INSUFFICIENT_POINTS`. `kind` is `Reverse`, or `Expire`
/// with `points` the part of an earn that lapses.
pub async fn undo(
    conn: &impl ConnectionTrait,
    original: &point_entry::Model,
    kind: EntryKind,
    points: i64,
    source: EntrySource,
    by: Option<i64>,
    note: String,
) -> ApiResult<point_entry::Model> {
    if !matches!(original.kind, EntryKind::Earn | EntryKind::Spend) {
        return Err(ErrorCode::InvalidTransition.into());
    }
    let inserted = point_entry::ActiveModel {
        user_id: Set(original.user_id),
        community_id: Set(original.community_id),
        kind: Set(kind),
        points: Set(points),
        source: Set(source),
        source_ref: Set(None),
        rule_id: Set(original.rule_id),
        granted_by: Set(by),
        minutes: Set(if original.kind == EntryKind::Earn {
            -original.minutes
        } else {
            0
        }),
        photo_upload_id: Set(None),
        note: Set(note),
        undoes_id: Set(Some(original.id)),
        created_at: Set(time::now()),
        ..Default::default()
    }
    .insert(conn)
    .await;
    let entry = match inserted {
        Err(e) if is_duplicate(&e) => return Err(ErrorCode::AlreadyReversed.into()),
        other => other?,
    };
    if points < 0 {
        if !debit(conn, original.user_id, original.community_id, -points).await? {
            return Err(ErrorCode::InsufficientPoints.into());
        }
    } else if points > 0 {
        credit(conn, original.user_id, original.community_id, points).await?;
    }
    Ok(entry)
}

/// [`undo`] as a reversal: the exact opposite of the original.
pub async fn reverse(
    conn: &impl ConnectionTrait,
    original: &point_entry::Model,
    source: EntrySource,
    by: Option<i64>,
    note: String,
) -> ApiResult<point_entry::Model> {
    undo(
        conn,
        original,
        EntryKind::Reverse,
        -original.points,
        source,
        by,
        note,
    )
    .await
}

/// One entry of `user_id`'s, 404 otherwise.
pub async fn entry(conn: &impl ConnectionTrait, id: i64) -> ApiResult<point_entry::Model> {
    point_entry::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound))
}
