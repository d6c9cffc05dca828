//! The transitions of a request after it is filed: who may make each, from
//! which statuses, what it writes, and the timeline entries it leaves.
//!
//! Each is checked in order: the caller must see the request (else 404) and
//! be the one who makes that move (403), the body must be valid (422), the
//! request must be in a state that allows it (409, or 429 for a second urge
//! the same day). It is then one conditional `UPDATE` guarded by the state
//! it was planned from, plus its events, in one transaction: of two racing
//! moves one wins and the other is answered as if it came second.

use chrono::{DateTime, TimeDelta, Utc};
use entity::{department, request, request_category, request_event, request_photo};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    ExprTrait, QueryFilter, Set,
};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::access::{Relation, visible};
use super::{
    ActorRole, Ctx, EventKind, ExtensionState, Level, MAX_EXTENSION_DAYS, MAX_PHOTOS, PhotoStage,
    REOPEN_WITHIN, Status,
};
use crate::auth::AuthUser;
use crate::calendar::{local_date, start_of};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::Fields;

/// Who made an event.
#[derive(Clone, Copy, Debug)]
pub struct Actor {
    pub id: Option<i64>,
    pub role: ActorRole,
}

impl Actor {
    pub fn user(id: i64, role: ActorRole) -> Self {
        Self { id: Some(id), role }
    }

    pub fn system() -> Self {
        Self {
            id: None,
            role: ActorRole::System,
        }
    }
}

/// Writes a timeline entry and the messages it owes, in the caller's transaction.
pub async fn record(
    conn: &impl ConnectionTrait,
    r: &request::Model,
    kind: EventKind,
    actor: Actor,
    note: &str,
    data: Value,
    now: DateTime<Utc>,
) -> ApiResult<request_event::Model> {
    let event = request_event::ActiveModel {
        request_id: Set(r.id),
        kind: Set(kind.as_str().to_owned()),
        actor_id: Set(actor.id),
        actor_role: Set(actor.role.as_str().to_owned()),
        note: Set(note.to_owned()),
        data: Set(data.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    super::notify::owe(conn, r, &event, kind).await?;
    Ok(event)
}

/// Saves photo upload ids at positions `first..`.
pub async fn save_photos(
    conn: &impl ConnectionTrait,
    request_id: i64,
    stage: PhotoStage,
    ids: &[i64],
    first: i16,
) -> ApiResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows = ids
        .iter()
        .zip(first..)
        .map(|(&upload_id, position)| request_photo::ActiveModel {
            request_id: Set(request_id),
            stage: Set(stage.as_str().to_owned()),
            position: Set(position),
            upload_id: Set(upload_id),
        });
    request_photo::Entity::insert_many(rows).exec(conn).await?;
    Ok(())
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AssignInput {
    /// `department` (default when the category has a department), `grid` or `community`.
    #[schema(schema_with = assign_levels)]
    pub level: Option<String>,
    /// For level `department`; default: the category's department.
    pub department_id: Option<i64>,
    /// Up to 200 characters.
    #[schema(max_length = 200)]
    pub note: Option<String>,
}
fn assign_levels() -> utoipa::openapi::Object {
    crate::openapi::choices(&["department", "grid", "community"])
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TransferInput {
    /// Why, 2-200 characters.
    pub reason: Option<String>,
    /// Another department to hand it to; absent = back to the community's queue.
    pub department_id: Option<i64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReasonInput {
    /// 2-200 characters.
    pub reason: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NoteInput {
    /// 2-1000 characters.
    #[schema(
        min_length = 2,
        max_length = 1000,
        pattern = r"^\s*[^\s\u0000][^\u0000]{0,}[^\s\u0000]\s*$"
    )]
    pub note: Option<String>,
    /// Up to 9 upload ids (purpose `request_photo`; with a supplement, 9 in all).
    #[schema(max_items = 9)]
    pub photos: Option<Vec<i64>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ExtensionInput {
    /// Why, 2-200 characters.
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = r"^\s*[^\s\u0000][^\u0000]{0,}[^\s\u0000]\s*$"
    )]
    pub reason: Option<String>,
    /// The whole time to resolve, in working days from submission: more than
    /// the category's, at most 15.
    #[schema(minimum = 1, maximum = 15)]
    pub working_days: Option<i16>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DecisionInput {
    #[schema(value_type = bool, required = true)]
    pub approve: Option<bool>,
    /// Up to 200 characters.
    #[schema(max_length = 200)]
    pub note: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RateInput {
    /// 1-5.
    #[schema(minimum = 1, maximum = 5)]
    pub rating: Option<i32>,
    /// Up to 500 characters.
    #[schema(max_length = 500)]
    pub comment: Option<String>,
}

/// A move on a request, with its body.
pub enum Command {
    Assign(AssignInput),
    Accept,
    Transfer(TransferInput),
    Return(ReasonInput),
    Supplement(NoteInput),
    Resolve(NoteInput),
    AskExtension(ExtensionInput),
    DecideExtension(DecisionInput),
    Urge,
    Rate(RateInput),
    Reopen(ReasonInput),
    Withdraw,
}

impl Command {
    /// The move's name, for the logs (the body stays out of them).
    pub fn name(&self) -> &'static str {
        match self {
            Command::Assign(_) => "assign",
            Command::Accept => "accept",
            Command::Transfer(_) => "transfer",
            Command::Return(_) => "return",
            Command::Supplement(_) => "supplement",
            Command::Resolve(_) => "resolve",
            Command::AskExtension(_) => "ask_extension",
            Command::DecideExtension(_) => "decide_extension",
            Command::Urge => "urge",
            Command::Rate(_) => "rate",
            Command::Reopen(_) => "reopen",
            Command::Withdraw => "withdraw",
        }
    }
}

/// Who makes a move.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mover {
    /// The reporter or the grid worker who filed for them.
    Reporter,
    /// Whoever the request's level names.
    Handler,
    /// An admin of the request's community.
    Admin,
}

impl Command {
    fn mover(&self) -> Mover {
        match self {
            Command::Assign(_) | Command::DecideExtension(_) => Mover::Admin,
            Command::Accept
            | Command::Transfer(_)
            | Command::Return(_)
            | Command::Resolve(_)
            | Command::AskExtension(_) => Mover::Handler,
            Command::Supplement(_)
            | Command::Urge
            | Command::Rate(_)
            | Command::Reopen(_)
            | Command::Withdraw => Mover::Reporter,
        }
    }

    /// The statuses the move starts from.
    fn from(&self) -> &'static [Status] {
        match self {
            Command::Assign(_) => &[Status::Submitted],
            Command::Accept => &[Status::Assigned],
            Command::Transfer(_) | Command::Return(_) => &[Status::Assigned, Status::Accepted],
            Command::Supplement(_) => &[Status::Returned],
            Command::Resolve(_) | Command::AskExtension(_) | Command::DecideExtension(_) => {
                &[Status::Accepted]
            }
            Command::Urge => &Status::LIVE,
            Command::Rate(_) => &[Status::Resolved],
            Command::Reopen(_) => &[Status::Resolved, Status::Closed],
            Command::Withdraw => &[
                Status::Submitted,
                Status::Assigned,
                Status::Accepted,
                Status::Returned,
            ],
        }
    }
}

/// What a move writes, planned from the row as read.
struct Plan {
    sets: Vec<(request::Column, Expr)>,
    guard: Condition,
    events: Vec<(EventKind, String, Value)>,
    photos: Option<(PhotoStage, Vec<i64>, i16)>,
    clear_resolution_photos: bool,
}

impl Plan {
    fn new() -> Self {
        Self {
            sets: Vec::new(),
            guard: Condition::all(),
            events: Vec::new(),
            photos: None,
            clear_resolution_photos: false,
        }
    }

    fn set(&mut self, col: request::Column, value: impl Into<sea_orm::Value>) -> &mut Self {
        self.sets.push((col, Expr::value(value)));
        self
    }

    fn null(&mut self, col: request::Column) -> &mut Self {
        // An untyped NULL: PostgreSQL refuses a NULL bound as text for a
        // timestamp column.
        self.sets.push((col, Expr::cust("NULL")));
        self
    }

    fn event(&mut self, kind: EventKind, note: &str, data: Value) -> &mut Self {
        self.events.push((kind, note.to_owned(), data));
        self
    }

    /// Guard: the row still has this extension state.
    fn extension_still(&mut self, r: &request::Model) {
        self.guard = std::mem::replace(&mut self.guard, Condition::all())
            .add(request::Column::ExtensionState.eq(r.extension_state));
    }

    /// Guard: the row is still with the same handler.
    fn handler_still(&mut self, r: &request::Model) {
        let department = match r.department_id {
            Some(d) => request::Column::DepartmentId.eq(d),
            None => request::Column::DepartmentId.is_null(),
        };
        self.guard = std::mem::replace(&mut self.guard, Condition::all())
            .add(request::Column::Level.eq(r.level))
            .add(department);
    }

    /// A pending extension is dropped when the handler resolves, transfers or returns first.
    fn drop_pending_extension(&mut self, r: &request::Model) {
        self.extension_still(r);
        if r.extension_state == ExtensionState::Pending {
            self.set(request::Column::ExtensionState, ExtensionState::Withdrawn);
        }
    }
}

fn status_of(r: &request::Model) -> Status {
    r.status
}

fn level_of(r: &request::Model) -> Level {
    r.level
}

fn days(n: i16) -> u32 {
    std::cmp::max(n, 1) as u32
}

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

async fn category_of(
    conn: &impl ConnectionTrait,
    r: &request::Model,
) -> ApiResult<request_category::Model> {
    request_category::Entity::find_by_id(r.category_id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("request {} has no category", r.id)))
}

/// Checks the body and plans the writes; the state is checked after the body.
async fn plan(
    conn: &impl ConnectionTrait,
    ctx: Ctx<'_>,
    me: &AuthUser,
    r: &request::Model,
    cmd: &Command,
) -> ApiResult<Plan> {
    let now = ctx.now;
    let cal = ctx.calendar;
    let mut f = Fields::new();
    let mut p = Plan::new();
    match cmd {
        Command::Assign(input) => {
            let note = f
                .optional_text("note", input.note.as_deref(), 200)
                .unwrap_or_default();
            let category = category_of(conn, r).await?;
            let level = match input.level.as_deref() {
                Some(raw) => Level::parse(raw).or_else(|| {
                    f.push("level", "须为 department、grid 或 community");
                    None
                }),
                None if input.department_id.is_some() || category.department_id.is_some() => {
                    Some(Level::Department)
                }
                None => Some(category.level),
            };
            let mut department_id = None;
            match level {
                Some(Level::Department) => {
                    department_id = input.department_id.or(category.department_id);
                    match department_id {
                        None => f.push("department_id", "请指定承办部门"),
                        Some(d) => {
                            if department::Entity::find_by_id(d).one(conn).await?.is_none() {
                                f.push("department_id", "部门不存在");
                            }
                        }
                    }
                }
                Some(Level::Grid) if r.grid_id.is_none() => {
                    f.push("level", "该诉求没有所属网格，不能交给网格办理");
                }
                _ => {}
            }
            f.finish()?;
            let level = level.unwrap_or(Level::Community);
            let due = cal.add_working_days(now, days(category.accept_days))?;
            p.set(request::Column::Status, Status::Assigned)
                .set(request::Column::Level, level)
                .set(request::Column::DepartmentId, department_id)
                .set(request::Column::AssignedAt, now)
                .set(request::Column::AcceptDueAt, due)
                .set(request::Column::DueAt, due)
                .null(request::Column::OverdueSince)
                .event(
                    EventKind::Assigned,
                    &note,
                    json!({ "level": level, "department_id": department_id, "accept_due_at": due }),
                );
        }
        Command::Accept => {
            p.handler_still(r);
            let secs = (now - r.submitted_at)
                .num_seconds()
                .clamp(0, i32::MAX as i64) as i32;
            p.set(request::Column::Status, Status::Accepted)
                .set(request::Column::AcceptedAt, now)
                .set(request::Column::AcceptedBy, me.id())
                .set(request::Column::AcceptSecs, r.accept_secs.unwrap_or(secs))
                .set(request::Column::DueAt, r.resolve_due_at)
                .null(request::Column::OverdueSince)
                .event(
                    EventKind::Accepted,
                    "",
                    json!({ "resolve_due_at": r.resolve_due_at }),
                );
        }
        Command::Transfer(input) => {
            let reason = f.text("reason", input.reason.as_deref(), 2, 200);
            if let Some(d) = input.department_id {
                if department::Entity::find_by_id(d).one(conn).await?.is_none() {
                    f.push("department_id", "部门不存在");
                } else if level_of(r) == Level::Department && r.department_id == Some(d) {
                    f.push("department_id", "已由该部门承办");
                }
            }
            f.finish()?;
            let category = category_of(conn, r).await?;
            p.handler_still(r);
            p.drop_pending_extension(r);
            let to_level = match input.department_id {
                Some(d) => {
                    let due = cal.add_working_days(now, days(category.accept_days))?;
                    p.set(request::Column::Status, Status::Assigned)
                        .set(request::Column::Level, Level::Department)
                        .set(request::Column::DepartmentId, d)
                        .set(request::Column::AssignedAt, now)
                        .set(request::Column::AcceptDueAt, due)
                        .set(request::Column::DueAt, due);
                    Level::Department
                }
                None => {
                    let due = cal.add_working_days(now, days(category.assign_days))?;
                    p.set(request::Column::Status, Status::Submitted)
                        .set(request::Column::Level, Level::Community)
                        .null(request::Column::DepartmentId)
                        .set(request::Column::AssignDueAt, due)
                        .null(request::Column::AcceptDueAt)
                        .set(request::Column::DueAt, due);
                    Level::Community
                }
            };
            p.null(request::Column::OverdueSince)
                .null(request::Column::AcceptedBy)
                .event(
                    EventKind::Transferred,
                    &reason,
                    json!({
                        "from_level": level_of(r),
                        "from_department_id": r.department_id,
                        "to_level": to_level,
                        "to_department_id": input.department_id,
                    }),
                );
        }
        Command::Return(input) => {
            let reason = f.text("reason", input.reason.as_deref(), 2, 200);
            f.finish()?;
            p.handler_still(r);
            p.drop_pending_extension(r);
            p.set(request::Column::Status, Status::Returned)
                .null(request::Column::DueAt)
                .null(request::Column::OverdueSince)
                .event(EventKind::Returned, &reason, json!({}));
        }
        Command::Supplement(input) => {
            let note = f.text("note", input.note.as_deref(), 2, 1000);
            let photos = f.ids("photos", input.photos.as_deref(), MAX_PHOTOS);
            let existing = request_photo::Entity::find()
                .filter(request_photo::Column::RequestId.eq(r.id))
                .filter(request_photo::Column::Stage.eq(PhotoStage::Report.as_str()))
                .all(conn)
                .await?;
            if photos.len() <= MAX_PHOTOS && existing.len() + photos.len() > MAX_PHOTOS {
                f.push("photos", format!("连同原有照片最多 {MAX_PHOTOS} 张"));
            }
            f.finish()?;
            let category = category_of(conn, r).await?;
            let resolve_days = r
                .extension_days
                .filter(|_| r.extension_state == ExtensionState::Approved)
                .unwrap_or(category.resolve_days);
            let accept_due = cal.add_working_days(now, days(category.accept_days))?;
            let resolve_due = cal.add_working_days(now, days(resolve_days))?;
            let content = format!("{}\n【补充 {}】{}", r.content, local_date(now), note);
            p.set(request::Column::Status, Status::Assigned)
                .set(request::Column::Content, content)
                .set(request::Column::AssignedAt, now)
                .set(request::Column::AcceptDueAt, accept_due)
                .set(request::Column::ResolveDueAt, resolve_due)
                .set(request::Column::DueAt, accept_due)
                .null(request::Column::OverdueSince)
                .null(request::Column::AcceptedBy)
                .event(
                    EventKind::Supplemented,
                    &note,
                    json!({ "photos": photos, "accept_due_at": accept_due, "resolve_due_at": resolve_due }),
                );
            let first = existing.iter().map(|p| p.position + 1).max().unwrap_or(0);
            p.photos = Some((PhotoStage::Report, photos, first));
        }
        Command::Resolve(input) => {
            let note = f.text("note", input.note.as_deref(), 2, 1000);
            let photos = f.ids("photos", input.photos.as_deref(), MAX_PHOTOS);
            f.finish()?;
            p.handler_still(r);
            p.drop_pending_extension(r);
            let secs = (now - r.submitted_at)
                .num_seconds()
                .clamp(0, i32::MAX as i64) as i32;
            let on_time = now <= r.resolve_due_at;
            p.set(request::Column::Status, Status::Resolved)
                .set(request::Column::ResolvedAt, now)
                .set(request::Column::ResolvedBy, me.id())
                .set(request::Column::Resolution, note.clone())
                .set(request::Column::ResolveSecs, secs)
                .set(request::Column::OnTime, on_time)
                .null(request::Column::DueAt)
                .null(request::Column::OverdueSince)
                .event(
                    EventKind::Resolved,
                    &note,
                    json!({ "on_time": on_time, "photos": photos }),
                );
            p.clear_resolution_photos = true;
            p.photos = Some((PhotoStage::Resolution, photos, 0));
        }
        Command::AskExtension(input) => {
            let reason = f.text("reason", input.reason.as_deref(), 2, 200);
            let category = category_of(conn, r).await?;
            let asked = f.required("working_days", input.working_days);
            if let Some(d) = asked
                && !(category.resolve_days + 1..=MAX_EXTENSION_DAYS).contains(&d)
            {
                f.push(
                    "working_days",
                    format!(
                        "须在 {}-{MAX_EXTENSION_DAYS} 个工作日之间（自提交起算）",
                        category.resolve_days + 1
                    ),
                );
            }
            f.finish()?;
            let asked = asked.unwrap_or(MAX_EXTENSION_DAYS);
            p.handler_still(r);
            p.extension_still(r);
            p.set(request::Column::ExtensionState, ExtensionState::Pending)
                .set(request::Column::ExtensionDays, asked)
                .set(request::Column::ExtensionReason, reason.clone())
                .event(
                    EventKind::ExtensionRequested,
                    &reason,
                    json!({ "working_days": asked }),
                );
        }
        Command::DecideExtension(input) => {
            let approve = f.required("approve", input.approve);
            let note = f
                .optional_text("note", input.note.as_deref(), 200)
                .unwrap_or_default();
            f.finish()?;
            p.extension_still(r);
            if approve == Some(true) {
                let asked = r.extension_days.unwrap_or(MAX_EXTENSION_DAYS);
                let due = cal.add_working_days(r.submitted_at, days(asked))?;
                p.set(request::Column::ExtensionState, ExtensionState::Approved)
                    .set(request::Column::ResolveDueAt, due)
                    .set(request::Column::DueAt, due);
                if due > now {
                    p.null(request::Column::OverdueSince);
                }
                p.event(
                    EventKind::ExtensionApproved,
                    &note,
                    json!({ "working_days": asked, "resolve_due_at": due }),
                );
            } else {
                p.set(request::Column::ExtensionState, ExtensionState::Rejected)
                    .event(EventKind::ExtensionRejected, &note, json!({}));
            }
        }
        Command::Urge => {
            let today = local_date(now).to_string();
            p.guard = Condition::any()
                .add(request::Column::LastUrgedOn.is_null())
                .add(request::Column::LastUrgedOn.ne(today.clone()));
            p.sets.push((
                request::Column::UrgeCount,
                Expr::col(request::Column::UrgeCount).add(1),
            ));
            p.set(request::Column::LastUrgedOn, today).event(
                EventKind::Urged,
                "",
                json!({ "urge_count": r.urge_count + 1 }),
            );
        }
        Command::Rate(input) => {
            let rating = f.required("rating", input.rating);
            if rating.is_some_and(|v| !(1..=5).contains(&v)) {
                f.push("rating", "评分须为 1-5");
            }
            let comment = f
                .optional_text("comment", input.comment.as_deref(), 500)
                .unwrap_or_default();
            f.finish()?;
            let rating = rating.unwrap_or(5) as i16;
            p.set(request::Column::Status, Status::Closed)
                .set(request::Column::Rating, rating)
                .set(request::Column::RatingComment, comment.clone())
                .set(request::Column::RatedAt, now)
                .set(request::Column::RatingAuto, false)
                .event(EventKind::Rated, &comment, json!({ "rating": rating }));
        }
        Command::Reopen(input) => {
            let reason = f.text("reason", input.reason.as_deref(), 2, 200);
            f.finish()?;
            let category = category_of(conn, r).await?;
            let due = cal.add_working_days(now, days(category.resolve_days))?;
            p.guard = Condition::all().add(request::Column::ReopenCount.eq(0));
            p.set(request::Column::Status, Status::Accepted)
                .set(request::Column::ReopenCount, r.reopen_count + 1)
                .null(request::Column::ResolvedAt)
                .null(request::Column::ResolvedBy)
                .null(request::Column::ResolveSecs)
                .null(request::Column::OnTime)
                .null(request::Column::Rating)
                .null(request::Column::RatingComment)
                .null(request::Column::RatedAt)
                .set(request::Column::RatingAuto, false)
                .set(request::Column::ResolveDueAt, due)
                .set(request::Column::DueAt, due)
                .null(request::Column::OverdueSince)
                .event(
                    EventKind::Reopened,
                    &reason,
                    json!({ "resolve_due_at": due }),
                );
        }
        Command::Withdraw => {
            p.drop_pending_extension(r);
            p.set(request::Column::Status, Status::Withdrawn)
                .null(request::Column::DueAt)
                .null(request::Column::OverdueSince)
                .event(EventKind::Withdrawn, "", json!({}));
        }
    }
    f.finish()?;
    Ok(p)
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
