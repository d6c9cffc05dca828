//! The figures the county reports ("10.4 万件, 98.8 %"): received, closed,
//! closure rate, on-time rate, average hours to accept and to resolve, and
//! satisfaction, in total and by community, department, category, month or
//! day. Withdrawn requests are not counted; periods are the local dates of
//! submission.
//!
//! Definitions: closed = resolved (rated or not); closure rate = closed /
//! received; on-time rate = closed by the resolve deadline / closed; hours to
//! accept and to resolve run from submission to the first acceptance and to
//! the resolution; satisfaction = ratings of 4 or 5 (a resolution left
//! unrated for 48 hours is rated 5 automatically) / rated. Rates are
//! percentages with one decimal.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{community, department, request, request_category};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Status;
use super::access::Scope;
use crate::error::ApiResult;
use crate::fields::{bad_query, query_date};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    pub received: u64,
    /// Resolved (办结), rated or not.
    pub closed: u64,
    /// closed / received, percent.
    pub closure_rate: Option<f64>,
    /// Closed by the resolve deadline.
    pub closed_on_time: u64,
    /// closed_on_time / closed, percent.
    pub on_time_rate: Option<f64>,
    /// From submission to the first acceptance.
    pub avg_hours_to_accept: Option<f64>,
    /// From submission to the resolution.
    pub avg_hours_to_resolve: Option<f64>,
    pub rated: u64,
    /// Rated 4 or 5 (automatic ratings are 5).
    pub satisfied: u64,
    /// satisfied / rated, percent.
    pub satisfaction_rate: Option<f64>,
    pub average_rating: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FigureGroup {
    /// The community, department or category id, or the month `YYYY-MM` or day `YYYY-MM-DD`.
    pub key: String,
    pub name: String,
    pub figures: Figures,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestStats {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub total: Figures,
    /// Present when `by` was given, largest `received` first (periods in order).
    pub groups: Vec<FigureGroup>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// One community (default: every community the admin administers).
    pub community_id: Option<i64>,
    pub department_id: Option<i64>,
    pub category_id: Option<i64>,
    /// First local date of submission counted, `YYYY-MM-DD`.
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Last local date of submission counted, `YYYY-MM-DD`; `to` before
    /// `from` counts nothing.
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
    /// `community`, `department`, `category`, `month` or `day`.
    #[param(schema_with = groupings)]
    pub by: Option<String>,
}

fn groupings() -> utoipa::openapi::Object {
    crate::openapi::choices(&["community", "department", "category", "month", "day"])
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GroupBy {
    Community,
    Department,
    Category,
    Month,
    Day,
}

impl GroupBy {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "community" => GroupBy::Community,
            "department" => GroupBy::Department,
            "category" => GroupBy::Category,
            "month" => GroupBy::Month,
            "day" => GroupBy::Day,
            _ => return None,
        })
    }

    fn key(self) -> Expr {
        match self {
            GroupBy::Community => Expr::col(request::Column::CommunityId),
            GroupBy::Department => Expr::col(request::Column::DepartmentId),
            GroupBy::Category => Expr::col(request::Column::CategoryId),
            GroupBy::Month => Expr::cust("SUBSTR(submitted_on, 1, 7)"),
            GroupBy::Day => Expr::col(request::Column::SubmittedOn),
        }
    }

    fn is_period(self) -> bool {
        matches!(self, GroupBy::Month | GroupBy::Day)
    }
}

/// A parsed figures query.
pub struct FigureFilter {
    pub department_id: Option<i64>,
    pub category_id: Option<i64>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    by: Option<GroupBy>,
}

impl FigureFilter {
    pub fn everything() -> Self {
        Self {
            department_id: None,
            category_id: None,
            from: None,
            to: None,
            by: None,
        }
    }

    /// 400 for a bad date or an unknown grouping (an inverted range counts
    /// nothing).
    pub fn parse(q: &StatsQuery) -> ApiResult<Self> {
        let from = query_date("from", q.from.as_deref())?;
        let to = query_date("to", q.to.as_deref())?;
        let by = match q.by.as_deref() {
            None => None,
            Some(raw) => Some(GroupBy::parse(raw).ok_or_else(|| {
                bad_query("by", "须为 community、department、category、month 或 day")
            })?),
        };
        Ok(Self {
            department_id: q.department_id,
            category_id: q.category_id,
            from,
            to,
            by,
        })
    }
}

fn counted(expr: Condition) -> Expr {
    Expr::case(expr, Expr::cust("1"))
        .finally(Expr::cust("0"))
        .into()
}

fn statement(scope: &Scope, filter: &FigureFilter) -> SelectStatement {
    let col = |c: request::Column| Expr::col((request::Entity, c));
    let mut q = Query::select();
    q.from(request::Entity)
        .expr_as(Func::count(Expr::cust("*")), Alias::new("received"))
        .expr_as(
            Func::sum(counted(
                Condition::all().add(request::Column::ResolvedAt.is_not_null()),
            )),
            Alias::new("closed"),
        )
        .expr_as(
            Func::sum(counted(
                Condition::all().add(request::Column::OnTime.eq(true)),
            )),
            Alias::new("on_time"),
        )
        .expr_as(
            Func::sum(col(request::Column::AcceptSecs)),
            Alias::new("accept_secs"),
        )
        .expr_as(
            Func::count(col(request::Column::AcceptSecs)),
            Alias::new("accepted"),
        )
        .expr_as(
            Func::sum(col(request::Column::ResolveSecs)),
            Alias::new("resolve_secs"),
        )
        .expr_as(
            Func::count(col(request::Column::ResolveSecs)),
            Alias::new("resolved"),
        )
        .expr_as(
            Func::count(col(request::Column::Rating)),
            Alias::new("rated"),
        )
        .expr_as(
            Func::sum(counted(
                Condition::all().add(request::Column::Rating.gte(4)),
            )),
            Alias::new("satisfied"),
        )
        .expr_as(
            Func::sum(col(request::Column::Rating)),
            Alias::new("rating_sum"),
        )
        .cond_where(scope.administered())
        .and_where(col(request::Column::Status).ne(Status::Withdrawn));
    if let Some(d) = filter.department_id {
        q.and_where(col(request::Column::DepartmentId).eq(d));
    }
    if let Some(c) = filter.category_id {
        q.and_where(col(request::Column::CategoryId).eq(c));
    }
    if let Some(from) = filter.from {
        q.and_where(col(request::Column::SubmittedOn).gte(from.to_string()));
    }
    if let Some(to) = filter.to {
        q.and_where(col(request::Column::SubmittedOn).lte(to.to_string()));
    }
    if let Some(by) = filter.by {
        q.expr_as(by.key(), Alias::new("group_key"))
            .add_group_by([by.key()]);
    }
    q.to_owned()
}

fn count(row: &QueryResult, name: &str) -> ApiResult<u64> {
    Ok(std::cmp::max(row.try_get::<Option<i64>>("", name)?.unwrap_or(0), 0) as u64)
}

fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

fn figures(row: &QueryResult) -> ApiResult<Figures> {
    let received = count(row, "received")?;
    let closed = count(row, "closed")?;
    let closed_on_time = count(row, "on_time")?;
    let hours =
        |secs: u64, n: u64| (n > 0).then(|| (secs as f64 / n as f64 / 360.0).round() / 10.0);
    let rated = count(row, "rated")?;
    let satisfied = count(row, "satisfied")?;
    let rating_sum = count(row, "rating_sum")?;
    Ok(Figures {
        received,
        closed,
        closure_rate: percent(closed, received),
        closed_on_time,
        on_time_rate: percent(closed_on_time, closed),
        avg_hours_to_accept: hours(count(row, "accept_secs")?, count(row, "accepted")?),
        avg_hours_to_resolve: hours(count(row, "resolve_secs")?, count(row, "resolved")?),
        rated,
        satisfied,
        satisfaction_rate: percent(satisfied, rated),
        average_rating: (rated > 0)
            .then(|| (rating_sum as f64 * 100.0 / rated as f64).round() / 100.0),
    })
}

/// The totals of `scope` under `filter`, and its groups when asked.
pub async fn compute(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    filter: &FigureFilter,
) -> ApiResult<RequestStats> {
    let backend = conn.get_database_backend();
    let total_filter = FigureFilter {
        by: None,
        ..*filter
    };
    let total = match conn
        .query_one_raw(backend.build(&statement(scope, &total_filter)))
        .await?
    {
        Some(row) => figures(&row)?,
        None => Figures::default(),
    };
    let mut groups = Vec::new();
    if let Some(by) = filter.by {
        let rows = conn
            .query_all_raw(backend.build(&statement(scope, filter)))
            .await?;
        let mut keyed = Vec::with_capacity(rows.len());
        for row in &rows {
            let key = if by.is_period() {
                row.try_get::<Option<String>>("", "group_key")?
            } else {
                row.try_get::<Option<i64>>("", "group_key")?
                    .map(|id| id.to_string())
            };
            keyed.push((key, figures(row)?));
        }
        let names = names(conn, by, &keyed).await?;
        groups = keyed
            .into_iter()
            .map(|(key, figures)| FigureGroup {
                name: match &key {
                    Some(k) if by.is_period() => k.clone(),
                    Some(k) => names.get(k).cloned().unwrap_or_default(),
                    None => "未派至部门".to_owned(),
                },
                key: key.unwrap_or_default(),
                figures,
            })
            .collect();
        if by.is_period() {
            groups.sort_by(|a, b| a.key.cmp(&b.key));
        } else {
            groups.sort_by(|a, b| {
                b.figures
                    .received
                    .cmp(&a.figures.received)
                    .then(a.key.cmp(&b.key))
            });
        }
    }
    Ok(RequestStats {
        from: filter.from,
        to: filter.to,
        total,
        groups,
    })
}

async fn names(
    conn: &impl ConnectionTrait,
    by: GroupBy,
    keyed: &[(Option<String>, Figures)],
) -> ApiResult<HashMap<String, String>> {
    let ids: Vec<i64> = keyed
        .iter()
        .filter_map(|(k, _)| k.as_deref()?.parse().ok())
        .collect();
    let pairs: Vec<(i64, String)> = match by {
        GroupBy::Community => community::Entity::find()
            .filter(community::Column::Id.is_in(ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
        GroupBy::Department => department::Entity::find()
            .filter(department::Column::Id.is_in(ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect(),
        GroupBy::Category => request_category::Entity::find()
            .filter(request_category::Column::Id.is_in(ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
        GroupBy::Month | GroupBy::Day => Vec::new(),
    };
    Ok(pairs
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_percent_with_one_decimal() {
        assert_eq!(percent(988, 1000), Some(98.8));
        assert_eq!(percent(2, 3), Some(66.7));
        assert_eq!(percent(0, 0), None);
    }
}
