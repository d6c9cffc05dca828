//! The dashboard's figures over time: per China-time day of a range, what
//! happened in an admin's communities (new residents, orders, notices
//! published, requests received), for the console's charts.
//!
//! Each figure counts rows by the day of one timestamp: residents by the day
//! they registered (those whose home is now in scope), orders of those
//! residents by the day placed (cancelled, refunded and expired ones too:
//! demand, not fulfilment), notices by the day published (withdrawn ones
//! included), requests by the day submitted.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use entity::notice::NoticeStatus;
use entity::{notice, order, request, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::service::residents_in;
use crate::auth::AuthUser;
use crate::community_links::community_exists;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::fields::query_day;
use crate::orders::figures::{cst, start_of};

/// Longest range one request may ask for, in days.
pub const MAX_DAYS: u64 = 92;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyQuery {
    /// One community; omitted: every community the caller administers.
    pub community_id: Option<i64>,
    /// First day (`YYYY-MM-DD`, China time); default 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day, inclusive; default today. A range longer than 92 days is cut
    /// to its first 92; `from` after `to` covers no day.
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
pub struct DailyFigures {
    pub date: NaiveDate,
    /// Residents (now living in scope) who registered that day.
    pub new_residents: u64,
    /// Orders of both kinds those residents placed that day, whatever became of them.
    pub orders: u64,
    /// Notices first published that day.
    pub notices_published: u64,
    /// Requests (诉求) submitted that day.
    pub requests_received: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DailyStats {
    pub community_id: Option<i64>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Every day of the range, oldest first.
    pub days: Vec<DailyFigures>,
}

fn range(query: &DailyQuery, now: DateTime<Utc>) -> ApiResult<(NaiveDate, NaiveDate)> {
    let from = query_day("from", query.from)?;
    let to = query_day("to", query.to)?;
    let today = now.with_timezone(&cst()).date_naive();
    Ok(crate::time::day_range(from, to, today, MAX_DAYS))
}

fn bump(days: &mut BTreeMap<NaiveDate, DailyFigures>, at: DateTime<Utc>, f: fn(&mut DailyFigures)) {
    if let Some(d) = days.get_mut(&at.with_timezone(&cst()).date_naive()) {
        f(d);
    }
}

/// The daily figures `me` may see (403 / 404 as `GET /admin/stats`).
pub async fn daily(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    query: &DailyQuery,
    now: DateTime<Utc>,
) -> ApiResult<DailyStats> {
    let scope = match query.community_id {
        Some(id) => {
            if !community_exists(db, id).await? {
                return Err(ApiError::new(ErrorCode::CommunityNotFound));
            }
            me.require_admin_of(db, id).await?;
            Some(vec![id])
        }
        None => me.admin_communities(db).await?,
    };
    let (from, to) = range(query, now)?;
    let next = to
        .checked_add_days(Days::new(1))
        .ok_or_else(|| ApiError::invalid_query(vec![FieldError::new("to", "超出范围")]))?;
    let (start, end) = (start_of(from)?, start_of(next)?);

    let mut days: BTreeMap<NaiveDate, DailyFigures> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|date| {
            (
                date,
                DailyFigures {
                    date,
                    ..Default::default()
                },
            )
        })
        .collect();

    let mut residents = user::Entity::find()
        .select_only()
        .column(user::Column::CreatedAt)
        .filter(user::Column::Roles.contains("resident"))
        .filter(user::Column::CreatedAt.gte(start))
        .filter(user::Column::CreatedAt.lt(end));
    let mut orders = order::Entity::find()
        .select_only()
        .column(order::Column::CreatedAt)
        .filter(order::Column::CreatedAt.gte(start))
        .filter(order::Column::CreatedAt.lt(end));
    let mut notices = notice::Entity::find()
        .select_only()
        .column(notice::Column::PublishedAt)
        .filter(notice::Column::Status.is_in([NoticeStatus::Published, NoticeStatus::Withdrawn]))
        .filter(notice::Column::PublishedAt.gte(start))
        .filter(notice::Column::PublishedAt.lt(end));
    let mut requests = request::Entity::find()
        .select_only()
        .column(request::Column::SubmittedAt)
        .filter(request::Column::SubmittedAt.gte(start))
        .filter(request::Column::SubmittedAt.lt(end));
    if let Some(s) = &scope {
        residents = residents.filter(user::Column::CommunityId.is_in(s.clone()));
        orders = orders.filter(order::Column::UserId.in_subquery(residents_in(s)));
        notices = notices.filter(notice::Column::CommunityId.is_in(s.clone()));
        requests = requests.filter(request::Column::CommunityId.is_in(s.clone()));
    }
    for at in residents.into_tuple::<DateTime<Utc>>().all(db).await? {
        bump(&mut days, at, |d| d.new_residents += 1);
    }
    for at in orders.into_tuple::<DateTime<Utc>>().all(db).await? {
        bump(&mut days, at, |d| d.orders += 1);
    }
    for at in notices
        .into_tuple::<Option<DateTime<Utc>>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
    {
        bump(&mut days, at, |d| d.notices_published += 1);
    }
    for at in requests.into_tuple::<DateTime<Utc>>().all(db).await? {
        bump(&mut days, at, |d| d.requests_received += 1);
    }
    Ok(DailyStats {
        community_id: query.community_id,
        from,
        to,
        days: days.into_values().collect(),
    })
}
