//! Working days in China, for the deadlines of residents' requests.
//!
//! A day is a working day when it is a weekday that is not a public holiday,
//! or a weekend day the State Council made a working day (调休上班). Each
//! year's holidays and adjusted weekends come from `config/holidays/{year}.toml`,
//! loaded at start-up; a day of a year without a file is an error, never a
//! silent "every weekday".
//!
//! Times are in Asia/Shanghai as a fixed UTC+08:00 offset rather than through
//! chrono-tz: China has kept no daylight saving time since 1991, so +08:00 is
//! exact for every date this service handles, and the tz database stays out
//! of the binary.
//!
//! A deadline of n working days runs a clock only on working days: from a
//! time on a working day it ends at the same time of day n working days
//! later (Friday 17:00 + 1 = Monday 17:00 after a plain weekend); from a day
//! off it starts at the next working day's midnight (Saturday + 1 = the end
//! of Monday).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeDelta, Utc, Weekday};
use serde::Deserialize;

use crate::error::ApiError;

/// Asia/Shanghai: UTC+08:00 all year.
pub const SHANGHAI: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("+08:00 is a valid offset"),
};

/// The local (Asia/Shanghai) date of `t`.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&SHANGHAI).date_naive()
}

/// Midnight at the start of local date `d`, in UTC.
pub fn start_of(d: NaiveDate) -> DateTime<Utc> {
    (d.and_time(NaiveTime::MIN) - TimeDelta::hours(8)).and_utc()
}

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "no holiday calendar for {0}: add config/holidays/{0}.toml from the State Council's schedule"
    )]
    UnknownYear(i32),
    #[error("{file}: {reason}")]
    Invalid { file: PathBuf, reason: String },
    #[error("cannot read the holiday calendars in {dir}: {source}")]
    Read {
        dir: PathBuf,
        source: std::io::Error,
    },
}

impl From<CalendarError> for ApiError {
    fn from(err: CalendarError) -> Self {
        tracing::error!(error = %err, "working-day calendar incomplete");
        ApiError::unavailable(err)
    }
}

/// One year's file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    /// True for a year written before its official schedule was published.
    #[serde(default)]
    provisional: bool,
    holidays: Vec<Holiday>,
    #[serde(default)]
    working_weekends: Vec<NaiveDate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Holiday {
    name: String,
    from: NaiveDate,
    to: NaiveDate,
}

#[derive(Debug, Default)]
struct Year {
    days_off: HashSet<NaiveDate>,
    working_weekends: HashSet<NaiveDate>,
    provisional: bool,
}

/// The loaded calendar: every year that has a file.
#[derive(Debug, Default)]
pub struct Calendar {
    years: BTreeMap<i32, Year>,
}

impl Calendar {
    /// Loads every `{year}.toml` in `dir`.
    pub fn load(dir: &Path) -> Result<Self, CalendarError> {
        let read_err = |source| CalendarError::Read {
            dir: dir.to_path_buf(),
            source,
        };
        let mut calendar = Calendar::default();
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(read_err)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(read_err)?;
            calendar.add_year(&file, &text)?;
        }
        Ok(calendar)
    }

    /// Adds one year from the text of `file` (its name must be `{year}.toml`).
    pub fn add_year(&mut self, file: &Path, text: &str) -> Result<(), CalendarError> {
        let invalid = |reason: String| CalendarError::Invalid {
            file: file.to_path_buf(),
            reason,
        };
        let parsed: YearFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if stem != parsed.year.to_string() {
            return Err(invalid(format!(
                "says year {} but is named {stem}.toml",
                parsed.year
            )));
        }
        let in_year = |d: NaiveDate| d.year() == parsed.year;
        let mut year = Year {
            provisional: parsed.provisional,
            ..Year::default()
        };
        for h in &parsed.holidays {
            if !in_year(h.from) || !in_year(h.to) || h.from > h.to {
                return Err(invalid(format!(
                    "holiday {} runs {}..{}, not a range within {}",
                    h.name, h.from, h.to, parsed.year
                )));
            }
            let mut d = h.from;
            while d <= h.to {
                year.days_off.insert(d);
                d = d
                    .succ_opt()
                    .ok_or_else(|| invalid("date overflow".into()))?;
            }
        }
        for &d in &parsed.working_weekends {
            if !in_year(d) || !is_weekend(d) || year.days_off.contains(&d) {
                return Err(invalid(format!(
                    "working weekend {d} is not a weekend day of {} outside the holidays",
                    parsed.year
                )));
            }
            year.working_weekends.insert(d);
        }
        if self.years.insert(parsed.year, year).is_some() {
            return Err(invalid(format!("year {} given twice", parsed.year)));
        }
        Ok(())
    }

    /// Start-up check: `year` must have a file.
    pub fn require(&self, year: i32) -> Result<(), CalendarError> {
        if self.years.contains_key(&year) {
            Ok(())
        } else {
            Err(CalendarError::UnknownYear(year))
        }
    }

    /// The years with a file, and whether each is provisional.
    pub fn years(&self) -> Vec<(i32, bool)> {
        self.years
            .iter()
            .map(|(y, d)| (*y, d.provisional))
            .collect()
    }

    pub fn is_working_day(&self, d: NaiveDate) -> Result<bool, CalendarError> {
        let year = self
            .years
            .get(&d.year())
            .ok_or(CalendarError::UnknownYear(d.year()))?;
        Ok(if year.working_weekends.contains(&d) {
            true
        } else if year.days_off.contains(&d) {
            false
        } else {
            !is_weekend(d)
        })
    }

    /// The first working day after `d`.
    pub fn next_working_day(&self, d: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let mut next = d;
        loop {
            next = next
                .succ_opt()
                .ok_or(CalendarError::UnknownYear(d.year() + 1))?;
            if self.is_working_day(next)? {
                return Ok(next);
            }
        }
    }

    /// `t` plus `n` working days (see the module comment).
    pub fn add_working_days(
        &self,
        t: DateTime<Utc>,
        n: u32,
    ) -> Result<DateTime<Utc>, CalendarError> {
        if n == 0 {
            return Ok(t);
        }
        let local = t.with_timezone(&SHANGHAI).naive_local();
        let day = local.date();
        if self.is_working_day(day)? {
            let mut end = day;
            for _ in 0..n {
                end = self.next_working_day(end)?;
            }
            Ok((end.and_time(local.time()) - TimeDelta::hours(8)).and_utc())
        } else {
            // The clock starts at the next working day's midnight and runs
            // n whole working days: it ends at the end of the nth.
            let mut end = self.next_working_day(day)?;
            for _ in 1..n {
                end = self.next_working_day(end)?;
            }
            Ok(start_of(end) + TimeDelta::days(1))
        }
    }
}

/// The calendar a server starts with: the current year must have a file
/// (else start-up fails); a provisional year, and a missing next year once
/// November has come, are logged as warnings.
pub fn load_for_start(dir: &Path, now: DateTime<Utc>) -> Result<Calendar, CalendarError> {
    let calendar = Calendar::load(dir)?;
    let today = local_date(now);
    calendar.require(today.year())?;
    for (year, provisional) in calendar.years() {
        if provisional {
            tracing::warn!(
                year,
                dir = %dir.display(),
                "the holiday calendar of this year is provisional: replace it with the State Council's schedule"
            );
        }
    }
    if today.month() >= 11 && calendar.require(today.year() + 1).is_err() {
        tracing::warn!(
            year = today.year() + 1,
            "no holiday calendar for next year yet: deadlines running into it will fail"
        );
    }
    Ok(calendar)
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Calendar {
        Calendar::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/holidays"))
            .expect("the shipped calendars load")
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn the_shipped_years_load_and_2027_is_marked_provisional() {
        assert_eq!(
            shipped().years(),
            vec![(2025, false), (2026, false), (2027, true)]
        );
    }

    #[test]
    fn holidays_weekends_and_adjusted_working_weekends() {
        let c = shipped();
        assert!(!c.is_working_day(date("2026-10-01")).unwrap(), "国庆");
        assert!(
            !c.is_working_day(date("2026-10-05")).unwrap(),
            "国庆, a Monday"
        );
        assert!(
            c.is_working_day(date("2026-10-10")).unwrap(),
            "调休 Saturday"
        );
        assert!(c.is_working_day(date("2026-09-20")).unwrap(), "调休 Sunday");
        assert!(
            !c.is_working_day(date("2026-09-19")).unwrap(),
            "plain Saturday"
        );
        assert!(
            c.is_working_day(date("2026-09-24")).unwrap(),
            "plain Thursday"
        );
        assert!(
            !c.is_working_day(date("2026-09-25")).unwrap(),
            "中秋, a Friday"
        );
        assert!(matches!(
            c.is_working_day(date("2028-03-01")),
            Err(CalendarError::UnknownYear(2028))
        ));
    }

    #[test]
    fn deadlines_skip_days_off_and_count_adjusted_weekends() {
        let c = shipped();
        // Thursday 10:00 local: Friday is a working day.
        assert_eq!(
            c.add_working_days(at("2026-09-17T10:00:00+08:00"), 1)
                .unwrap(),
            at("2026-09-18T10:00:00+08:00")
        );
        // Friday 17:00: the Sunday after is an adjusted working day.
        assert_eq!(
            c.add_working_days(at("2026-09-18T17:00:00+08:00"), 1)
                .unwrap(),
            at("2026-09-20T17:00:00+08:00")
        );
        // Thursday before 中秋 and 国庆: 7 working days are 9-28, 9-29,
        // 9-30, then 10-08, 10-09, 10-10 (Saturday, worked), 10-12.
        assert_eq!(
            c.add_working_days(at("2026-09-24T09:30:00+08:00"), 7)
                .unwrap(),
            at("2026-10-12T09:30:00+08:00")
        );
        // Submitted on a holiday: the clock starts the next working morning.
        assert_eq!(
            c.add_working_days(at("2026-10-03T15:00:00+08:00"), 1)
                .unwrap(),
            at("2026-10-09T00:00:00+08:00")
        );
        assert_eq!(
            c.add_working_days(at("2026-10-03T15:00:00+08:00"), 3)
                .unwrap(),
            at("2026-10-11T00:00:00+08:00")
        );
        // Across the year end into 2027's file.
        assert_eq!(
            c.add_working_days(at("2026-12-31T11:00:00+08:00"), 1)
                .unwrap(),
            at("2027-01-04T11:00:00+08:00")
        );
        // Local dates, not UTC ones: 01:00 local Friday is Thursday in UTC.
        assert_eq!(
            c.add_working_days(at("2026-09-18T01:00:00+08:00"), 1)
                .unwrap(),
            at("2026-09-20T01:00:00+08:00")
        );
    }

    #[test]
    fn a_year_without_a_file_is_an_error_not_every_weekday() {
        let c = shipped();
        assert!(c.require(2026).is_ok());
        assert!(matches!(
            c.require(2031),
            Err(CalendarError::UnknownYear(2031))
        ));
        assert!(matches!(
            c.add_working_days(at("2027-12-30T10:00:00+08:00"), 5),
            Err(CalendarError::UnknownYear(2028))
        ));
    }

    #[test]
    fn malformed_files_are_refused() {
        let mut c = Calendar::default();
        let named = Path::new("2026.toml");
        assert!(
            c.add_year(Path::new("2025.toml"), "year = 2026\nholidays = []")
                .is_err()
        );
        assert!(c
            .add_year(
                named,
                "year = 2026\nholidays = [{ name = \"x\", from = \"2026-02-03\", to = \"2026-02-01\" }]"
            )
            .is_err());
        assert!(
            c.add_year(
                named,
                "year = 2026\nholidays = []\nworking_weekends = [\"2026-09-21\"]"
            )
            .is_err(),
            "a Monday is no adjusted weekend"
        );
        assert!(
            c.add_year(named, "year = 2026\nholidays = []\nbogus = 1")
                .is_err()
        );
        assert!(c.add_year(named, "year = 2026\nholidays = []").is_ok());
        assert!(
            c.add_year(named, "year = 2026\nholidays = []").is_err(),
            "twice"
        );
    }
}
