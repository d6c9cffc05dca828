//! Loans: reserving a unit of a tool for a day, the borrower's and the
//! keeper's lists, cancelling, handing over, taking back, and the overdue
//! reminders.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use entity::{lending_tool, tool_day, tool_loan};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::LoanStatus;
use super::inventory::{day, point, require_keeper, tool};
use crate::auth::{AuthUser, Role};
use crate::db::begin_write;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::Fields;
use crate::inbox::{self, Kind, Message};
use crate::pagination::{Page, Paged};

/// How far ahead a tool may be reserved.
pub const RESERVE_DAYS_AHEAD: i64 = 30;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoanQuery {
    /// `reserved`, `lent`, `returned`, `cancelled`.
    pub status: Option<String>,
    /// Only loans not back after their day.
    pub overdue: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct ReserveInput {
    /// `YYYY-MM-DD`, today to 30 days ahead.
    pub date: Option<String>,
}

/// What the keeper notes when handing a tool over.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ConditionInput {
    /// The tool's condition, up to 200 characters.
    #[schema(max_length = 200)]
    pub condition: Option<String>,
}

/// What the keeper notes when taking a tool back.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReturnInput {
    /// The tool's condition, 1-200 characters.
    #[schema(max_length = 200, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub condition: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LoanView {
    pub id: i64,
    pub tool_id: i64,
    pub tool_name: String,
    pub point_id: i64,
    pub resident_id: i64,
    pub loan_on: String,
    pub due_on: String,
    pub status: LoanStatus,
    /// Lent and not back after `due_on`.
    pub overdue: bool,
    pub handed_over_at: Option<DateTime<Utc>>,
    pub handover_condition: Option<String>,
    pub returned_at: Option<DateTime<Utc>>,
    pub return_condition: Option<String>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// `POST /lending-tools/{id}/loans`: a resident of the point's community
/// reserves one unit for `date`; 409 `TOOL_UNAVAILABLE` when every unit of
/// that date is taken (also when many reserve at once). Runs in the
/// caller's write transaction (the idempotent write of the route), which
/// an error rolls back.
pub async fn reserve(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    tool_id: i64,
    input: &ReserveInput,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> ApiResult<LoanView> {
    me.require(Role::Resident)?;
    let t = tool(conn, tool_id).await?;
    let p = point(conn, t.point_id).await?;
    let mine = me.user.community_id.filter(|_| !me.user.binding_pending);
    if mine != Some(p.community_id) {
        return Err(ErrorCode::NotForYourCommunity.into());
    }
    let mut f = Fields::new();
    let on = f.date("date", input.date.as_deref());
    let last = today + TimeDelta::days(RESERVE_DAYS_AHEAD);
    if on.is_some_and(|d| d < today || d > last) {
        f.push("date", format!("须在今天至 {RESERVE_DAYS_AHEAD} 天内"));
    }
    f.finish()?;
    let on = on.ok_or_else(|| ApiError::new(ErrorCode::ValidationFailed))?;
    tool_day::Entity::insert(tool_day::ActiveModel {
        tool_id: Set(t.id),
        day: Set(day(on)),
        taken: Set(0),
    })
    .on_conflict(
        OnConflict::columns([tool_day::Column::ToolId, tool_day::Column::Day])
            .do_nothing()
            .to_owned(),
    )
    .try_insert()
    .exec(conn)
    .await?;
    let took = tool_day::Entity::update_many()
        .col_expr(
            tool_day::Column::Taken,
            Expr::col(tool_day::Column::Taken).add(1),
        )
        .filter(tool_day::Column::ToolId.eq(t.id))
        .filter(tool_day::Column::Day.eq(day(on)))
        .filter(tool_day::Column::Taken.lt(t.quantity))
        .exec(conn)
        .await?;
    if took.rows_affected == 0 {
        return Err(ErrorCode::ToolUnavailable.into());
    }
    let saved = tool_loan::ActiveModel {
        tool_id: Set(t.id),
        point_id: Set(p.id),
        resident_id: Set(me.id()),
        loan_on: Set(day(on)),
        due_on: Set(day(on)),
        status: Set(LoanStatus::Reserved.as_str().to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    loan_view(conn, saved, today).await
}

async fn loan_views(
    conn: &impl ConnectionTrait,
    rows: Vec<tool_loan::Model>,
    today: NaiveDate,
) -> ApiResult<Vec<LoanView>> {
    let ids: Vec<i64> = rows.iter().map(|l| l.tool_id).collect();
    let names: std::collections::HashMap<i64, String> = lending_tool::Entity::find()
        .filter(lending_tool::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let today = day(today);
    Ok(rows
        .into_iter()
        .map(|l| {
            let status = LoanStatus::parse(&l.status).unwrap_or(LoanStatus::Cancelled);
            LoanView {
                overdue: status == LoanStatus::Lent && l.due_on < today,
                status,
                tool_name: names.get(&l.tool_id).cloned().unwrap_or_default(),
                id: l.id,
                tool_id: l.tool_id,
                point_id: l.point_id,
                resident_id: l.resident_id,
                loan_on: l.loan_on,
                due_on: l.due_on,
                handed_over_at: l.handed_over_at,
                handover_condition: l.handover_condition,
                returned_at: l.returned_at,
                return_condition: l.return_condition,
                reminded_at: l.reminded_at,
                created_at: l.created_at,
            }
        })
        .collect())
}

async fn loan_view(
    conn: &impl ConnectionTrait,
    l: tool_loan::Model,
    today: NaiveDate,
) -> ApiResult<LoanView> {
    loan_views(conn, vec![l], today)
        .await?
        .pop()
        .ok_or_else(|| ApiError::new(ErrorCode::LoanNotFound))
}

async fn loan(conn: &impl ConnectionTrait, id: i64) -> ApiResult<tool_loan::Model> {
    tool_loan::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::LoanNotFound))
}

/// `GET /me/loans`.
pub async fn my_loans(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    today: NaiveDate,
    page: Page,
) -> ApiResult<Paged<LoanView>> {
    let select = tool_loan::Entity::find()
        .filter(tool_loan::Column::ResidentId.eq(me.id()))
        .order_by_desc(tool_loan::Column::Id);
    let rows = page.fetch(db, select).await?;
    let items = loan_views(db, rows.items, today).await?;
    Ok(Paged::new(items, page, rows.total))
}

/// `GET /lending-points/{id}/loans`: the keeper's (or an admin's) list.
pub async fn point_loans(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    point_id: i64,
    query: &LoanQuery,
    today: NaiveDate,
    page: Page,
) -> ApiResult<Paged<LoanView>> {
    let p = point(db, point_id).await?;
    require_keeper(db, me, &p).await?;
    let mut select = tool_loan::Entity::find()
        .filter(tool_loan::Column::PointId.eq(p.id))
        .order_by_asc(tool_loan::Column::LoanOn)
        .order_by_asc(tool_loan::Column::Id);
    if let Some(s) = crate::fields::query_text("status", query.status.as_deref(), 16)? {
        let s = LoanStatus::parse(&s).ok_or_else(|| {
            crate::fields::bad_query("status", "须为 reserved、lent、returned 或 cancelled")
        })?;
        select = select.filter(tool_loan::Column::Status.eq(s.as_str()));
    }
    if query.overdue == Some(true) {
        select = select
            .filter(tool_loan::Column::Status.eq(LoanStatus::Lent.as_str()))
            .filter(tool_loan::Column::DueOn.lt(day(today)));
    }
    let rows = page.fetch(db, select).await?;
    let items = loan_views(db, rows.items, today).await?;
    Ok(Paged::new(items, page, rows.total))
}

/// Moves loan `id` from `from` to `to` with `extra` columns; 409
/// `INVALID_TRANSITION` when it is not in `from` any more.
async fn transition(
    conn: &impl ConnectionTrait,
    id: i64,
    from: LoanStatus,
    to: LoanStatus,
    extra: Vec<(tool_loan::Column, Expr)>,
) -> ApiResult<()> {
    let mut update = tool_loan::Entity::update_many()
        .col_expr(tool_loan::Column::Status, Expr::value(to.as_str()));
    for (col, value) in extra {
        update = update.col_expr(col, value);
    }
    let done = update
        .filter(tool_loan::Column::Id.eq(id))
        .filter(tool_loan::Column::Status.eq(from.as_str()))
        .exec(conn)
        .await?;
    if done.rows_affected == 0 {
        return Err(ErrorCode::InvalidTransition.into());
    }
    Ok(())
}

/// Frees the unit loan `l` took on its day.
async fn free_unit(conn: &impl ConnectionTrait, l: &tool_loan::Model) -> ApiResult<()> {
    tool_day::Entity::update_many()
        .col_expr(
            tool_day::Column::Taken,
            Expr::col(tool_day::Column::Taken).sub(1),
        )
        .filter(tool_day::Column::ToolId.eq(l.tool_id))
        .filter(tool_day::Column::Day.eq(l.loan_on.clone()))
        .filter(tool_day::Column::Taken.gt(0))
        .exec(conn)
        .await?;
    Ok(())
}

/// `POST /loans/{id}/cancel`: the borrower, before hand-over.
pub async fn cancel(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    today: NaiveDate,
) -> ApiResult<LoanView> {
    let l = loan(db, id).await?;
    if l.resident_id != me.id() {
        return Err(ErrorCode::LoanNotFound.into());
    }
    let txn = begin_write(db).await?;
    transition(
        &*txn,
        l.id,
        LoanStatus::Reserved,
        LoanStatus::Cancelled,
        vec![],
    )
    .await?;
    free_unit(&*txn, &l).await?;
    txn.commit().await?;
    loan_view(db, loan(db, id).await?, today).await
}

/// The loan `id` when the caller keeps its point (or administers it); 404
/// to anyone else.
async fn kept_loan(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<tool_loan::Model> {
    let l = loan(conn, id).await?;
    let p = point(conn, l.point_id).await?;
    match require_keeper(conn, me, &p).await {
        Ok(()) => Ok(l),
        Err(e) if e.code == ErrorCode::Forbidden => Err(ErrorCode::LoanNotFound.into()),
        Err(e) => Err(e),
    }
}

/// `POST /loans/{id}/hand-over`: the keeper gives the tool out.
pub async fn hand_over(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    input: &ConditionInput,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> ApiResult<LoanView> {
    let l = kept_loan(db, me, id).await?;
    let mut f = Fields::new();
    let condition = f.optional_text("condition", input.condition.as_deref(), 200);
    f.finish()?;
    transition(
        db,
        l.id,
        LoanStatus::Reserved,
        LoanStatus::Lent,
        vec![
            (tool_loan::Column::HandedOverAt, Expr::value(now)),
            (tool_loan::Column::HandoverCondition, Expr::value(condition)),
        ],
    )
    .await?;
    loan_view(db, loan(db, id).await?, today).await
}

/// `POST /loans/{id}/return`: the keeper takes the tool back and notes its
/// condition; the unit is free again.
pub async fn take_back(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    input: &ReturnInput,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> ApiResult<LoanView> {
    let l = kept_loan(db, me, id).await?;
    let mut f = Fields::new();
    let condition = f.text("condition", Some(&input.condition), 1, 200);
    f.finish()?;
    let txn = begin_write(db).await?;
    transition(
        &*txn,
        l.id,
        LoanStatus::Lent,
        LoanStatus::Returned,
        vec![
            (tool_loan::Column::ReturnedAt, Expr::value(now)),
            (tool_loan::Column::ReturnCondition, Expr::value(condition)),
        ],
    )
    .await?;
    free_unit(&*txn, &l).await?;
    txn.commit().await?;
    loan_view(db, loan(db, id).await?, today).await
}

/// Reminds each borrower whose loan is lent and past its day, once: the
/// loan is claimed by setting `reminded_at` where it is unset (so any
/// number of instances may sweep at once), and the inbox item is keyed by
/// the loan. Answers how many were reminded.
pub async fn remind_overdue(db: &DatabaseConnection, today: NaiveDate) -> ApiResult<u64> {
    let due: Vec<tool_loan::Model> = tool_loan::Entity::find()
        .filter(tool_loan::Column::Status.eq(LoanStatus::Lent.as_str()))
        .filter(tool_loan::Column::DueOn.lt(day(today)))
        .filter(tool_loan::Column::RemindedAt.is_null())
        .order_by_asc(tool_loan::Column::Id)
        .all(db)
        .await?;
    let mut reminded = 0;
    for l in due {
        let txn = begin_write(db).await?;
        let claimed = tool_loan::Entity::update_many()
            .col_expr(
                tool_loan::Column::RemindedAt,
                Expr::value(crate::time::now()),
            )
            .filter(tool_loan::Column::Id.eq(l.id))
            .filter(tool_loan::Column::RemindedAt.is_null())
            .exec(&*txn)
            .await?;
        if claimed.rows_affected == 0 {
            txn.rollback().await?;
            continue;
        }
        let name = lending_tool::Entity::find_by_id(l.tool_id)
            .one(&*txn)
            .await?
            .map(|t| t.name)
            .unwrap_or_default();
        inbox::post(
            &*txn,
            l.resident_id,
            Message::new(
                Kind::ToolLoan,
                "借用的工具已逾期",
                format!("您借用的「{name}」应于 {} 归还，请尽快送回借用点", l.due_on),
            )
            .target(serde_json::json!({ "type": "tool_loan", "id": l.id }))
            .once_per(format!("loan-overdue-{}", l.id)),
        )
        .await?;
        txn.commit().await?;
        reminded += 1;
    }
    Ok(reminded)
}
