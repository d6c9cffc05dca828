//! What a move writes: its body checked and its updates, guard, events and
//! photos planned from the row as read.

use entity::{department, request, request_category, request_photo};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter};
use serde_json::{Value, json};

use super::commands::Command;
use crate::auth::AuthUser;
use crate::calendar::local_date;
use crate::error::{ApiError, ApiResult};
use crate::fields::Fields;
use crate::requests::{
    Ctx, EventKind, ExtensionState, Level, MAX_EXTENSION_DAYS, MAX_PHOTOS, PhotoStage, Status,
};

/// What a move writes, planned from the row as read.
pub(super) struct Plan {
    pub(super) sets: Vec<(request::Column, Expr)>,
    pub(super) guard: Condition,
    pub(super) events: Vec<(EventKind, String, Value)>,
    pub(super) photos: Option<(PhotoStage, Vec<i64>, i16)>,
    pub(super) clear_resolution_photos: bool,
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

pub(super) fn status_of(r: &request::Model) -> Status {
    r.status
}

pub(super) fn level_of(r: &request::Model) -> Level {
    r.level
}

fn days(n: i16) -> u32 {
    std::cmp::max(n, 1) as u32
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
pub(super) async fn plan(
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
