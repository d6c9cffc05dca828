//! Attendance figures: per activity, per community and per month (China
//! Standard Time, by session start), over the communities an admin covers.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta};
use entity::{activity, activity_session, signup};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::fields::bad_query;
use crate::signups::SignupStatus;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttendanceQuery {
    pub community_id: Option<i64>,
    /// `YYYY-MM`: only sessions starting that month.
    #[param(pattern = r"^20[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub month: Option<String>,
}

/// Counts of one group of sessions.
#[derive(Clone, Debug, Default, Serialize, ToSchema, PartialEq, Eq)]
pub struct Counts {
    pub sessions: u64,
    /// Places taken (attended, no-show and still confirmed).
    pub signed_up: u64,
    pub attended: u64,
    pub no_show: u64,
    /// Still on a waiting list.
    pub waiting: u64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ActivityAttendance {
    pub activity_id: i64,
    pub title: String,
    pub community_id: i64,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CommunityAttendance {
    pub community_id: i64,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MonthAttendance {
    /// `YYYY-MM`.
    pub month: String,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Attendance {
    pub by_activity: Vec<ActivityAttendance>,
    pub by_community: Vec<CommunityAttendance>,
    pub by_month: Vec<MonthAttendance>,
    pub total: Counts,
}

fn parse_month(raw: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d").ok()?;
    if !(2000..2100).contains(&chrono::Datelike::year(&first)) {
        return None;
    }
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some((first, next))
}

fn month_of(t: chrono::DateTime<chrono::Utc>) -> String {
    (t + TimeDelta::hours(8)).format("%Y-%m").to_string()
}

impl Counts {
    fn add(&mut self, status: SignupStatus) {
        match status {
            SignupStatus::Confirmed => self.signed_up += 1,
            SignupStatus::Attended => {
                self.signed_up += 1;
                self.attended += 1;
            }
            SignupStatus::NoShow => {
                self.signed_up += 1;
                self.no_show += 1;
            }
            SignupStatus::Waiting => self.waiting += 1,
            SignupStatus::Cancelled => {}
        }
    }
}

pub async fn attendance(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    query: &AttendanceQuery,
) -> ApiResult<Attendance> {
    let scope = me.admin_scope(db, query.community_id).await?;
    let range = match query.month.as_deref() {
        None => None,
        Some(raw) => Some(parse_month(raw).ok_or_else(|| bad_query("month", "须为 YYYY-MM"))?),
    };
    let mut acts = activity::Entity::find();
    if let Some(own) = scope {
        acts = acts.filter(activity::Column::CommunityId.is_in(own));
    }
    let acts: BTreeMap<i64, activity::Model> =
        acts.all(db).await?.into_iter().map(|a| (a.id, a)).collect();
    let mut sessions = activity_session::Entity::find()
        .filter(activity_session::Column::ActivityId.is_in(acts.keys().copied()));
    if let Some((first, next)) = range {
        sessions = sessions
            .filter(activity_session::Column::StartsAt.gte(crate::calendar::start_of(first)))
            .filter(activity_session::Column::StartsAt.lt(crate::calendar::start_of(next)));
    }
    let sessions: BTreeMap<i64, activity_session::Model> = sessions
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let rows: Vec<(i64, SignupStatus)> = signup::Entity::find()
        .select_only()
        .column(signup::Column::SessionId)
        .column(signup::Column::Status)
        .filter(signup::Column::SessionId.is_in(sessions.keys().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let mut by_activity: BTreeMap<i64, Counts> = BTreeMap::new();
    let mut by_community: BTreeMap<i64, Counts> = BTreeMap::new();
    let mut by_month: BTreeMap<String, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    for s in sessions.values() {
        let Some(a) = acts.get(&s.activity_id) else {
            continue;
        };
        by_activity.entry(a.id).or_default().sessions += 1;
        by_community.entry(a.community_id).or_default().sessions += 1;
        by_month.entry(month_of(s.starts_at)).or_default().sessions += 1;
        total.sessions += 1;
    }
    for (session_id, status) in rows {
        let Some(s) = sessions.get(&session_id) else {
            continue;
        };
        let Some(a) = acts.get(&s.activity_id) else {
            continue;
        };
        by_activity.entry(a.id).or_default().add(status);
        by_community.entry(a.community_id).or_default().add(status);
        by_month
            .entry(month_of(s.starts_at))
            .or_default()
            .add(status);
        total.add(status);
    }
    Ok(Attendance {
        by_activity: by_activity
            .into_iter()
            .filter_map(|(id, counts)| {
                acts.get(&id).map(|a| ActivityAttendance {
                    activity_id: id,
                    title: a.title.clone(),
                    community_id: a.community_id,
                    counts,
                })
            })
            .collect(),
        by_community: by_community
            .into_iter()
            .map(|(community_id, counts)| CommunityAttendance {
                community_id,
                counts,
            })
            .collect(),
        by_month: by_month
            .into_iter()
            .map(|(month, counts)| MonthAttendance { month, counts })
            .collect(),
        total,
    })
}
