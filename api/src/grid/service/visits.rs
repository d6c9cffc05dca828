//! Visits: a grid worker logs one (and files the request found), the list,
//! and the residents whose next visit is past due.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{care_profile, user, visit};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::residents::{ResidentView, views};
use super::{PageQuery, date, living_in, next_due, page, reach, split_tags};
use crate::auth::{AuthUser, Role};
use crate::calendar::local_date;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::Fields;
use crate::grid::CareTier;
use crate::pagination::Paged;
use crate::requests::Ctx;
use crate::requests::report::{self, ReportInput};

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct VisitInput {
    pub resident_id: Option<i64>,
    /// `YYYY-MM-DD`, not in the future.
    pub visited_on: Option<String>,
    /// What was seen and said, 1-1000 characters.
    #[schema(max_length = 1000, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub notes: Option<String>,
    /// Needs found, up to 500 characters.
    #[schema(max_length = 500)]
    pub needs: Option<String>,
    /// A request to file for the resident from this visit (代办; consent
    /// defaults to 走访时当面征得同意).
    pub request: Option<ReportInput>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitView {
    pub id: i64,
    pub resident_id: i64,
    pub resident_name: String,
    pub grid_id: i64,
    pub worker_id: i64,
    pub visited_on: NaiveDate,
    pub notes: String,
    pub needs: String,
    /// The request filed from the visit.
    pub request_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitQuery {
    pub resident_id: Option<i64>,
    /// 1-based page number (default 1).
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    /// Items per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u64>,
}

fn visit_view(v: visit::Model, names: &HashMap<i64, String>) -> VisitView {
    VisitView {
        resident_name: names.get(&v.resident_id).cloned().unwrap_or_default(),
        visited_on: date(Some(&v.visited_on)).unwrap_or_default(),
        id: v.id,
        resident_id: v.resident_id,
        grid_id: v.grid_id,
        worker_id: v.worker_id,
        notes: v.notes,
        needs: v.needs,
        request_id: v.request_id,
        created_at: v.created_at,
    }
}

/// Names every field of a nested body's 422 under `prefix.`.
fn nested(err: ApiError, prefix: &str) -> ApiError {
    if err.code != ErrorCode::ValidationFailed {
        return err;
    }
    let mut err = err;
    if let Some(fields) = err
        .details
        .as_mut()
        .and_then(|d| d.get_mut("fields"))
        .and_then(|f| f.as_array_mut())
    {
        for field in fields {
            if let Some(name) = field
                .get("field")
                .and_then(|n| n.as_str())
                .map(str::to_owned)
            {
                field["field"] = serde_json::Value::String(format!("{prefix}.{name}"));
            }
        }
    }
    err
}

/// Logs a visit by a grid worker to a resident of their grid; files the
/// request found, if any, for the resident in the same transaction.
#[tracing::instrument(skip_all, fields(user_id = me.id(), resident_id = input.resident_id))]
pub async fn log_visit(
    db: &DatabaseConnection,
    ctx: Ctx<'_>,
    me: &AuthUser,
    input: VisitInput,
) -> ApiResult<VisitView> {
    me.require(Role::GridWorker)?;
    let mut f = Fields::new();
    let resident_id = f.required("resident_id", input.resident_id);
    f.finish()?;
    let (resident, b) = reach(db, me, resident_id.unwrap_or_default(), false).await?;
    let today = local_date(ctx.now);
    let visited_on = f.date("visited_on", input.visited_on.as_deref());
    if visited_on.is_some_and(|d| d > today) {
        f.push("visited_on", "不能晚于今天");
    }
    let notes = f.text("notes", input.notes.as_deref(), 1, 1000);
    let needs = f
        .optional_text("needs", input.needs.as_deref(), 500)
        .unwrap_or_default();
    f.finish()?;
    let visited_on = visited_on.unwrap_or(today);
    let txn = crate::db::begin_write(db).await?;
    let request_id = match input.request {
        Some(mut request) => {
            request.on_behalf_of_user_id = Some(resident.id);
            if request.consent.is_none() {
                request.consent = Some("走访时当面征得同意".to_owned());
            }
            if request.building_id.is_none()
                && request.component_id.is_none()
                && request.lat.is_none()
            {
                request.building_id = Some(b.id);
            }
            let filed = report::create(&txn, ctx, me, &request)
                .await
                .map_err(|e| nested(e, "request"))?;
            Some(filed.id)
        }
        None => None,
    };
    let saved = visit::ActiveModel {
        resident_id: Set(resident.id),
        grid_id: Set(b.grid_id),
        worker_id: Set(me.id()),
        visited_on: Set(visited_on.to_string()),
        notes: Set(notes),
        needs: Set(needs),
        request_id: Set(request_id),
        created_at: Set(ctx.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let existing = care_profile::Entity::find_by_id(resident.id)
        .one(&txn)
        .await?;
    let last = existing
        .as_ref()
        .and_then(|p| date(p.last_visited_on.as_deref()))
        .map_or(visited_on, |d| std::cmp::max(d, visited_on));
    match existing {
        Some(p) => {
            let tier = p.tier.as_deref().and_then(CareTier::parse);
            let tags = split_tags(&p.tags);
            let mut active = p.into_active_model();
            active.last_visited_on = Set(Some(last.to_string()));
            active.next_visit_due =
                Set(next_due(tier, &tags, Some(last), today).map(|d| d.to_string()));
            active.updated_at = Set(ctx.now);
            active.update(&txn).await?;
        }
        None => {
            let inserted = care_profile::ActiveModel {
                user_id: Set(resident.id),
                tier: Set(None),
                tags: Set(String::new()),
                guardian_name: Set(None),
                guardian_phone: Set(None),
                note: Set(String::new()),
                offline: Set(false),
                last_visited_on: Set(Some(last.to_string())),
                next_visit_due: Set(None),
                created_by: Set(me.id()),
                created_at: Set(ctx.now),
                updated_at: Set(ctx.now),
            }
            .insert(&txn)
            .await;
            crate::db::or_conflict(inserted, ErrorCode::Conflict)?;
        }
    }
    txn.commit().await?;
    let names = HashMap::from([(resident.id, resident.nickname)]);
    Ok(visit_view(saved, &names))
}

/// Visits in the caller's grids, newest first.
pub async fn visits(
    conn: &impl ConnectionTrait,
    grids: &[i64],
    q: &VisitQuery,
) -> ApiResult<Paged<VisitView>> {
    let page = page(q.page, q.page_size)?;
    let mut select = visit::Entity::find()
        .filter(visit::Column::GridId.is_in(grids.to_vec()))
        .order_by_desc(visit::Column::VisitedOn)
        .order_by_desc(visit::Column::Id);
    if let Some(r) = q.resident_id {
        select = select.filter(visit::Column::ResidentId.eq(r));
    }
    let found = page.fetch(conn, select).await?;
    let names: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(found.items.iter().map(|v| v.resident_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.nickname))
        .collect();
    Ok(found.map(|v| visit_view(v, &names)))
}

/// Residents of the caller's grids whose next visit is past due, the longest overdue first.
pub async fn overdue_visits(
    conn: &impl ConnectionTrait,
    grids: &[i64],
    q: &PageQuery,
    today: NaiveDate,
) -> ApiResult<Paged<ResidentView>> {
    let page = page(q.page, q.page_size)?;
    let residents = Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .cond_where(living_in(grids))
        .to_owned();
    let due = page
        .fetch(
            conn,
            care_profile::Entity::find()
                .filter(care_profile::Column::NextVisitDue.lt(today.to_string()))
                .filter(care_profile::Column::UserId.in_subquery(residents))
                .order_by_asc(care_profile::Column::NextVisitDue)
                .order_by_asc(care_profile::Column::UserId),
        )
        .await?;
    due.map_batch(|profiles| async move {
        let order: Vec<i64> = profiles.iter().map(|p| p.user_id).collect();
        let mut users: HashMap<i64, user::Model> = user::Entity::find()
            .filter(user::Column::Id.is_in(order.clone()))
            .all(conn)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let rows = order.iter().filter_map(|id| users.remove(id)).collect();
        views(conn, rows, today).await
    })
    .await
}
