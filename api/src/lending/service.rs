//! Lending points, tools, loans and the overdue reminders.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use entity::{lending_point, lending_tool, tool_day, tool_loan, user};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::LoanStatus;
use crate::auth::{AuthUser, Role};
use crate::db::begin_write;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::{Fields, query_date};
use crate::inbox::{self, Kind, Message};
use crate::pagination::{Page, Paged};
use crate::uploads::{Purpose, claim};

/// How far ahead a tool may be reserved.
pub const RESERVE_DAYS_AHEAD: i64 = 30;
pub const MAX_PHOTOS: usize = 9;
pub const MAX_QUANTITY: i32 = 100;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PointInput {
    /// A community the caller administers.
    pub community_id: Option<i64>,
    /// 1-64 characters.
    #[schema(value_type = String, required = true, max_length = 64, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: Option<String>,
    /// 1-128 characters.
    #[schema(value_type = String, required = true, max_length = 128, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub address: Option<String>,
    /// The user who keeps the tools, hands them over and takes them back.
    #[schema(value_type = i64, required = true)]
    pub keeper_user_id: Option<i64>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PointView {
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub address: String,
    pub keeper_user_id: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ToolInput {
    /// 1-64 characters.
    pub name: Option<String>,
    /// Up to 500 characters.
    pub description: Option<String>,
    /// Up to 9 upload ids of the caller's (`purpose` `tool_photo`).
    pub photos: Option<Vec<i64>>,
    /// Units to lend, 1-100.
    pub quantity: Option<i32>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ToolView {
    pub id: i64,
    pub point_id: i64,
    pub name: String,
    pub description: String,
    /// Upload ids.
    pub photos: Vec<i64>,
    pub quantity: i32,
    /// Units free on the date asked for (`?date=`, default today).
    pub available: i32,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PointQuery {
    pub community_id: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateQuery {
    /// `YYYY-MM-DD` (default today).
    pub date: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoanQuery {
    /// `reserved`, `lent`, `returned`, `cancelled`.
    pub status: Option<String>,
    /// Only loans not back after their day.
    pub overdue: Option<bool>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReserveInput {
    /// `YYYY-MM-DD`, today to 30 days ahead.
    pub date: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ConditionInput {
    /// The tool's condition, up to 200 characters (required on return).
    pub condition: Option<String>,
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

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn point_view(p: lending_point::Model) -> PointView {
    PointView {
        id: p.id,
        community_id: p.community_id,
        name: p.name,
        address: p.address,
        keeper_user_id: p.keeper_id,
        created_at: p.created_at,
    }
}

async fn point(conn: &impl ConnectionTrait, id: i64) -> ApiResult<lending_point::Model> {
    lending_point::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::LendingPointNotFound))
}

async fn tool(conn: &impl ConnectionTrait, id: i64) -> ApiResult<lending_tool::Model> {
    lending_tool::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::ToolNotFound))
}

/// 403 unless the caller keeps point `p` or administers its community.
async fn require_keeper(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    p: &lending_point::Model,
) -> ApiResult<()> {
    if p.keeper_id == me.id() {
        return Ok(());
    }
    if me.has(Role::CommunityAdmin) || me.has(Role::PlatformAdmin) {
        return me.require_admin_of(conn, p.community_id).await;
    }
    Err(ErrorCode::Forbidden.into())
}

/// `POST /admin/lending-points`.
pub async fn create_point(
    db: &DatabaseConnection,
    me: &AuthUser,
    input: &PointInput,
    now: DateTime<Utc>,
) -> ApiResult<PointView> {
    me.admin_communities(db).await?;
    let mut f = Fields::new();
    let community_id = f.required("community_id", input.community_id);
    let name = f.text("name", input.name.as_deref(), 1, 64);
    let address = f.text("address", input.address.as_deref(), 1, 128);
    let keeper = f.required("keeper_user_id", input.keeper_user_id);
    if let Some(k) = keeper
        && user::Entity::find_by_id(k)
            .one(db)
            .await?
            .is_none_or(|u| u.erased_at.is_some())
    {
        f.push("keeper_user_id", "用户不存在");
    }
    f.finish()?;
    let (Some(community_id), Some(keeper)) = (community_id, keeper) else {
        return Err(ErrorCode::ValidationFailed.into());
    };
    me.require_admin_of(db, community_id).await?;
    let saved = lending_point::ActiveModel {
        community_id: Set(community_id),
        name: Set(name),
        address: Set(address),
        keeper_id: Set(keeper),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(point_view(saved))
}

/// `GET /lending-points`.
pub async fn list_points(
    db: &impl ConnectionTrait,
    community_id: Option<i64>,
    page: Page,
) -> ApiResult<Paged<PointView>> {
    let mut select = lending_point::Entity::find().order_by_asc(lending_point::Column::Id);
    if let Some(c) = community_id {
        select = select.filter(lending_point::Column::CommunityId.eq(c));
    }
    Ok(page.fetch(db, select).await?.map(point_view))
}

/// `POST /lending-points/{id}/tools`: the keeper or an admin adds a tool.
pub async fn add_tool(
    db: &DatabaseConnection,
    me: &AuthUser,
    point_id: i64,
    input: &ToolInput,
    now: DateTime<Utc>,
) -> ApiResult<ToolView> {
    let p = point(db, point_id).await?;
    require_keeper(db, me, &p).await?;
    let mut f = Fields::new();
    let name = f.text("name", input.name.as_deref(), 1, 64);
    let description = f
        .optional_text("description", input.description.as_deref(), 500)
        .unwrap_or_default();
    let photos = f.ids("photos", input.photos.as_deref(), MAX_PHOTOS);
    let quantity = f.required("quantity", input.quantity);
    if quantity.is_some_and(|q| !(1..=MAX_QUANTITY).contains(&q)) {
        f.push("quantity", format!("须在 1-{MAX_QUANTITY} 之间"));
    }
    f.finish()?;
    let quantity = quantity.ok_or_else(|| ApiError::new(ErrorCode::ValidationFailed))?;
    let txn = begin_write(db).await?;
    claim(&*txn, me.id(), Purpose::ToolPhoto, "photos", &photos).await?;
    let saved = lending_tool::ActiveModel {
        point_id: Set(p.id),
        name: Set(name),
        description: Set(description),
        photos: Set(serde_json::to_string(&photos).map_err(ApiError::internal)?),
        quantity: Set(quantity),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    txn.commit().await?;
    Ok(tool_view(saved, 0))
}

fn tool_view(t: lending_tool::Model, taken: i32) -> ToolView {
    ToolView {
        photos: serde_json::from_str(&t.photos).unwrap_or_default(),
        available: std::cmp::max(t.quantity - taken, 0),
        id: t.id,
        point_id: t.point_id,
        name: t.name,
        description: t.description,
        quantity: t.quantity,
    }
}

/// `GET /lending-points/{id}/tools?date=`: with the units free that day.
pub async fn list_tools(
    db: &impl ConnectionTrait,
    point_id: i64,
    date: Option<&str>,
    today: NaiveDate,
    page: Page,
) -> ApiResult<Paged<ToolView>> {
    point(db, point_id).await?;
    let on = query_date("date", date)?.unwrap_or(today);
    let select = lending_tool::Entity::find()
        .filter(lending_tool::Column::PointId.eq(point_id))
        .order_by_asc(lending_tool::Column::Id);
    let rows = page.fetch(db, select).await?;
    let ids: Vec<i64> = rows.items.iter().map(|t| t.id).collect();
    let taken: std::collections::HashMap<i64, i32> = tool_day::Entity::find()
        .filter(tool_day::Column::ToolId.is_in(ids))
        .filter(tool_day::Column::Day.eq(day(on)))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.tool_id, d.taken))
        .collect();
    Ok(rows.map(|t| {
        let n = taken.get(&t.id).copied().unwrap_or(0);
        tool_view(t, n)
    }))
}

/// `POST /lending-tools/{id}/loans`: a resident of the point's community
/// reserves one unit for `date`; 409 `TOOL_UNAVAILABLE` when every unit of
/// that date is taken (also when many reserve at once).
pub async fn reserve(
    db: &DatabaseConnection,
    me: &AuthUser,
    tool_id: i64,
    input: &ReserveInput,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> ApiResult<LoanView> {
    me.require(Role::Resident)?;
    let t = tool(db, tool_id).await?;
    let p = point(db, t.point_id).await?;
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
    let txn = begin_write(db).await?;
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
    .exec(&*txn)
    .await?;
    let took = tool_day::Entity::update_many()
        .col_expr(
            tool_day::Column::Taken,
            Expr::col(tool_day::Column::Taken).add(1),
        )
        .filter(tool_day::Column::ToolId.eq(t.id))
        .filter(tool_day::Column::Day.eq(day(on)))
        .filter(tool_day::Column::Taken.lt(t.quantity))
        .exec(&*txn)
        .await?;
    if took.rows_affected == 0 {
        txn.rollback().await?;
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
    .insert(&*txn)
    .await?;
    txn.commit().await?;
    loan_view(db, saved, today).await
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
    input: &ConditionInput,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> ApiResult<LoanView> {
    let l = kept_loan(db, me, id).await?;
    let mut f = Fields::new();
    let condition = f.text("condition", input.condition.as_deref(), 1, 200);
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
