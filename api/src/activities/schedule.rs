//! When an activity's sessions are: one window, or a weekly timetable over a
//! term (every chosen weekday at the same China Standard Time hours, the
//! listed holiday dates left out).

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::fields::FieldErrors;

/// Most sessions one activity may have.
pub const MAX_SESSIONS: usize = 200;
/// Longest term of a weekly timetable, in days.
const MAX_TERM_DAYS: i64 = 366;
/// Most holiday dates one timetable may list.
const MAX_SKIP_DATES: usize = 100;
/// China Standard Time, the zone timetables are written in.
const CST: TimeDelta = TimeDelta::hours(8);

/// Either `starts_at` and `ends_at` (one session), or `weekdays`,
/// `start_time`, `end_time`, `first_date` and `last_date` (a session on each
/// chosen weekday of the term, China Standard Time), never both.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct ScheduleInput {
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub ends_at: Option<DateTime<Utc>>,
    /// ISO weekdays, 1 (Monday) to 7 (Sunday).
    #[schema(schema_with = weekday_numbers)]
    pub weekdays: Option<Vec<u8>>,
    /// `HH:MM`, China Standard Time.
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    /// `YYYY-MM-DD`: the term's first and last day (at most 366 days).
    pub first_date: Option<String>,
    pub last_date: Option<String>,
    /// Holiday dates (`YYYY-MM-DD`) without a session, up to 100.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub skip_dates: Vec<String>,
}
fn weekday_numbers() -> utoipa::openapi::Array {
    utoipa::openapi::ArrayBuilder::new()
        .items(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::Integer)
                .minimum(Some(1))
                .maximum(Some(7)),
        )
        .max_items(Some(7))
        .build()
}

/// One session's window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

fn date(errors: &mut FieldErrors, field: &str, raw: Option<&str>) -> Option<NaiveDate> {
    let raw = raw.or_else(|| {
        errors.push(field, "必填");
        None
    })?;
    let parsed = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..2100).contains(&d.year()));
    if parsed.is_none() {
        errors.push(field, "须为 2000-2099 年间的日期 YYYY-MM-DD");
    }
    parsed
}

fn clock_time(errors: &mut FieldErrors, field: &str, raw: Option<&str>) -> Option<NaiveTime> {
    let raw = raw.or_else(|| {
        errors.push(field, "必填");
        None
    })?;
    let parsed = NaiveTime::parse_from_str(raw, "%H:%M").ok();
    if parsed.is_none() {
        errors.push(field, "须为时间 HH:MM");
    }
    parsed
}

impl ScheduleInput {
    /// The sessions it describes, or every bad field noted under
    /// `schedule.*` (then an empty list).
    pub fn windows(&self, errors: &mut FieldErrors) -> Vec<Window> {
        let weekly = self.weekdays.is_some()
            || self.start_time.is_some()
            || self.first_date.is_some()
            || self.last_date.is_some();
        match (self.starts_at, self.ends_at, weekly) {
            (Some(_), _, true) | (_, Some(_), true) => {
                errors.push("schedule", "单次时间与每周安排只能选一种");
                Vec::new()
            }
            (Some(starts_at), Some(ends_at), false) => {
                if ends_at <= starts_at {
                    errors.push("schedule.ends_at", "结束时间须晚于开始时间");
                    return Vec::new();
                }
                vec![Window { starts_at, ends_at }]
            }
            (None, None, false) => {
                errors.push("schedule", "须给出单次时间或每周安排");
                Vec::new()
            }
            (s, _, false) => {
                let missing = if s.is_none() { "starts_at" } else { "ends_at" };
                errors.push(format!("schedule.{missing}"), "必填");
                Vec::new()
            }
            (None, None, true) => self.weekly(errors),
        }
    }

    fn weekly(&self, errors: &mut FieldErrors) -> Vec<Window> {
        let days = self.weekdays.clone().unwrap_or_default();
        if days.is_empty() || days.len() > 7 || days.iter().any(|d| !(1..=7).contains(d)) {
            errors.push("schedule.weekdays", "须为 1-7 的星期几，至少一个");
        }
        let start = clock_time(errors, "schedule.start_time", self.start_time.as_deref());
        let end = clock_time(errors, "schedule.end_time", self.end_time.as_deref());
        let first = date(errors, "schedule.first_date", self.first_date.as_deref());
        let last = date(errors, "schedule.last_date", self.last_date.as_deref());
        if let (Some(s), Some(e)) = (start, end)
            && e <= s
        {
            errors.push("schedule.end_time", "结束时间须晚于开始时间");
        }
        if let (Some(f), Some(l)) = (first, last)
            && (l < f || (l - f).num_days() >= MAX_TERM_DAYS)
        {
            errors.push(
                "schedule.last_date",
                "须不早于首日，且整个学期不超过 366 天",
            );
        }
        let mut skip = Vec::new();
        if self.skip_dates.len() > MAX_SKIP_DATES {
            errors.push("schedule.skip_dates", "最多 100 个日期");
        }
        for (i, raw) in self.skip_dates.iter().enumerate() {
            let field = format!("schedule.skip_dates[{i}]");
            skip.extend(date(errors, &field, Some(raw)));
        }
        let (Some(start), Some(end), Some(first), Some(last)) = (start, end, first, last) else {
            return Vec::new();
        };
        if !errors.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for day in first.iter_days().take_while(|d| *d <= last) {
            let weekday = day.weekday().number_from_monday() as u8;
            if !days.contains(&weekday) || skip.contains(&day) {
                continue;
            }
            let starts_at = day.and_time(start).and_utc() - CST;
            let ends_at = day.and_time(end).and_utc() - CST;
            out.push(Window { starts_at, ends_at });
            if out.len() > MAX_SESSIONS {
                errors.push("schedule", "场次最多 200 个");
                return Vec::new();
            }
        }
        if out.is_empty() {
            errors.push("schedule", "该安排没有任何场次");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekly(days: &[u8], first: &str, last: &str, skip: &[&str]) -> ScheduleInput {
        ScheduleInput {
            weekdays: Some(days.to_vec()),
            start_time: Some("16:30".into()),
            end_time: Some("18:00".into()),
            first_date: Some(first.into()),
            last_date: Some(last.into()),
            skip_dates: skip.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn weekly_sessions_cross_a_month_boundary_and_skip_holidays() {
        let mut errors = FieldErrors::default();
        // Mon-Fri from Wed 2026-12-30 to Tue 2027-01-05, New Year's Day off.
        let w = weekly(
            &[1, 2, 3, 4, 5],
            "2026-12-30",
            "2027-01-05",
            &["2027-01-01"],
        );
        let got = w.windows(&mut errors);
        assert!(errors.is_empty());
        let starts: Vec<String> = got.iter().map(|w| w.starts_at.to_rfc3339()).collect();
        assert_eq!(
            starts,
            [
                "2026-12-30T08:30:00+00:00",
                "2026-12-31T08:30:00+00:00",
                "2027-01-04T08:30:00+00:00",
                "2027-01-05T08:30:00+00:00",
            ]
        );
        assert_eq!(got[0].ends_at.to_rfc3339(), "2026-12-30T10:00:00+00:00");
    }

    #[test]
    fn bad_timetables_name_each_field() {
        let mut errors = FieldErrors::default();
        let mut w = weekly(&[0, 9], "2026-13-01", "x", &["nope"]);
        w.end_time = Some("25:00".into());
        assert!(w.windows(&mut errors).is_empty());
        let fields: Vec<String> = Vec::<crate::error::FieldError>::from(errors)
            .into_iter()
            .map(|f| f.field)
            .collect();
        for f in [
            "schedule.weekdays",
            "schedule.end_time",
            "schedule.first_date",
            "schedule.last_date",
            "schedule.skip_dates[0]",
        ] {
            assert!(fields.contains(&f.to_owned()), "{f} in {fields:?}");
        }
    }

    #[test]
    fn one_window_or_the_other() {
        let mut errors = FieldErrors::default();
        let mut w = weekly(&[1], "2026-12-01", "2026-12-31", &[]);
        w.starts_at = Some(Utc::now());
        assert!(w.windows(&mut errors).is_empty());
        assert!(!errors.is_empty());
        let mut errors = FieldErrors::default();
        let long = weekly(&[1, 2, 3, 4, 5, 6, 7], "2026-01-01", "2026-12-31", &[]);
        assert!(long.windows(&mut errors).is_empty());
        assert!(!errors.is_empty(), "365 sessions are too many");
    }
}
