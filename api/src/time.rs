//! Time: stored in UTC at whole seconds (so SQLite's text timestamps compare
//! in order), shown as RFC 3339.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};

/// Now, truncated to the second like every stored time.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

/// Any client-supplied time, normalised for storage.
pub fn normalise(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(0)
}

/// The clock request deadlines run on. The system clock in production; tests
/// fix it to an instant and move it by hand, so a request's whole flow runs
/// across days and holidays in a test. Reading it costs one atomic load.
#[derive(Clone, Debug)]
pub struct Clock {
    /// Unix seconds of the fixed instant, or `SYSTEM`.
    fixed: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

const SYSTEM: i64 = i64::MIN;

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clock {
    pub fn system() -> Self {
        Self {
            fixed: std::sync::Arc::new(std::sync::atomic::AtomicI64::new(SYSTEM)),
        }
    }

    /// Now, at whole seconds like every stored time.
    pub fn now(&self) -> DateTime<Utc> {
        match self.fixed.load(std::sync::atomic::Ordering::Relaxed) {
            SYSTEM => now(),
            secs => DateTime::from_timestamp(secs, 0).unwrap_or_else(now),
        }
    }

    /// Stops the clock at `t` (tests).
    pub fn set(&self, t: DateTime<Utc>) {
        self.fixed
            .store(t.timestamp(), std::sync::atomic::Ordering::Relaxed);
    }

    /// Moves a stopped clock on by `by` (tests); a running one is stopped
    /// at now + `by` first.
    pub fn advance(&self, by: chrono::TimeDelta) {
        self.set(self.now() + by);
    }
}

/// The earliest instant a client may send: 2000-01-01T00:00:00Z (less
/// the largest offset, for a date written in a zone west of UTC).
pub const EARLIEST: i64 = 946_684_800 - 86_400;
/// No client time reaches this instant: 2100-01-02T00:00:00Z (2100-01-01 plus
/// the largest offset).
pub const LATEST: i64 = 4_102_444_800 + 86_400;

/// What the document says of every date-time: its year, as written, is
/// 2000-2099 (the rule [`parse_bounded`] checks).
pub const YEARS_PATTERN: &str = r"^20[0-9]{2}-";

/// Parses a client's time (RFC 3339) and bounds it: the date as written (in
/// its own offset) is in the years 2000-2099, the rule the document states
/// (`YEARS_PATTERN`), so the instant lies within [`EARLIEST`]..[`LATEST`]
/// and no arithmetic on it can overflow; the message names the value.
pub fn parse_bounded(raw: &str) -> Result<DateTime<Utc>, String> {
    let t: DateTime<chrono::FixedOffset> = raw
        .parse()
        .map_err(|_| format!("`{raw}` is not an RFC 3339 time"))?;
    if !(2000..=2099).contains(&chrono::Datelike::year(&t)) {
        return Err(format!("`{raw}`: the year must be 2000-2099"));
    }
    Ok(t.with_timezone(&Utc))
}

/// `#[serde(deserialize_with = "crate::time::bounded")]`: a client's time,
/// bounded at parse (see `parse_bounded`).
pub fn bounded<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let raw = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    parse_bounded(&raw).map_err(serde::de::Error::custom)
}

/// `#[serde(default, deserialize_with = "crate::time::bounded_opt")]`: an
/// optional client time (`null` = absent), bounded at parse.
pub fn bounded_opt<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let raw = <Option<std::borrow::Cow<'de, str>> as serde::Deserialize>::deserialize(d)?;
    raw.map(|r| parse_bounded(&r).map_err(serde::de::Error::custom))
        .transpose()
}

/// The first day a client may name.
pub const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// The days a report covers, `from..=to`, from a client's optional bounds:
/// `to` defaults to `today`, `from` to 29 days before `to` (never before
/// 2000-01-01, the first day a client may name). Every pair of dates is a
/// range, as the document says: one longer than `max_days` is cut to its
/// first `max_days` days, and a reversed one (`from` after `to`) covers no
/// day. Never panics.
pub fn day_range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
    max_days: u64,
) -> (NaiveDate, NaiveDate) {
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| {
        to.checked_sub_days(chrono::Days::new(29))
            .unwrap_or(to)
            .max(FIRST_DAY)
            .min(to)
    });
    let last = from
        .checked_add_days(chrono::Days::new(max_days.saturating_sub(1)))
        .unwrap_or(NaiveDate::MAX);
    (from, to.min(last))
}

/// China Standard Time (UTC+8), the zone every message to a user is written in.
const CST_SECS: i64 = 8 * 3600;

/// `t` as `YYYY-MM-DD HH:MM` in China Standard Time, for WeChat messages.
/// Never panics: a time so close to the end of the calendar that adding
/// eight hours overflows is written in UTC instead.
pub fn wechat_display(t: DateTime<Utc>) -> String {
    match t.checked_add_signed(chrono::TimeDelta::seconds(CST_SECS)) {
        Some(local) => local.format("%Y-%m-%d %H:%M").to_string(),
        None => t.format("%Y-%m-%d %H:%M").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_of_dates_is_a_range_of_at_most_max_days() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let today = d("2026-12-07");
        assert_eq!(day_range(None, None, today, 366), (d("2026-11-08"), today));
        assert_eq!(
            day_range(None, Some(d("2000-01-05")), today, 366),
            (d("2000-01-01"), d("2000-01-05")),
            "the default start is never before 2000"
        );
        assert_eq!(
            day_range(Some(d("2000-01-01")), None, today, 92),
            (d("2000-01-01"), d("2000-04-01")),
            "cut to its first 92 days"
        );
        let (from, to) = day_range(Some(d("2026-03-02")), Some(d("2026-03-01")), today, 92);
        assert!(from > to, "reversed: no day");
        assert_eq!(
            day_range(Some(d("2099-12-31")), Some(d("2099-12-31")), today, 366),
            (d("2099-12-31"), d("2099-12-31"))
        );
    }

    #[test]
    fn a_fixed_clock_stays_until_moved() {
        let clock = Clock::system();
        assert!((clock.now() - now()).num_seconds().abs() <= 1);
        let t = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        clock.set(t);
        assert_eq!(clock.now(), t);
        clock.advance(chrono::TimeDelta::hours(49));
        assert_eq!(clock.now(), t + chrono::TimeDelta::hours(49));
        let shared = clock.clone();
        shared.set(t);
        assert_eq!(clock.now(), t, "clones share the instant");
    }

    #[test]
    fn wechat_display_survives_the_end_of_the_calendar() {
        let t = DateTime::<Utc>::MAX_UTC;
        assert!(!wechat_display(t).is_empty());
        let t = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(wechat_display(t), "2026-01-01 08:00");
    }

    #[test]
    fn client_times_are_bounded() {
        assert!(parse_bounded("2000-01-01T00:00:00Z").is_ok());
        assert!(parse_bounded("2099-12-31T23:59:59+00:00").is_ok());
        assert!(parse_bounded("1999-12-31T23:59:59Z").is_err());
        assert!(parse_bounded("2100-01-01T00:00:00Z").is_err());
        assert!(parse_bounded("+262142-12-31T23:59:59Z").is_err());
        assert!(parse_bounded("-262143-01-01T00:00:00Z").is_err());
        assert!(parse_bounded("soon").is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Any instant chrono can hold, to the second.
        fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
            let (lo, hi) = (
                DateTime::<Utc>::MIN_UTC.timestamp(),
                DateTime::<Utc>::MAX_UTC.timestamp(),
            );
            (lo..=hi).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap_or_default())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// A time is accepted exactly when its year as written is
            /// 2000-2099 (the document's pattern), in any offset, and parses
            /// to the instant it names.
            #[test]
            fn the_bounds_are_exact(t in any_instant(), offset_h in -12i32..=14) {
                let zone = chrono::FixedOffset::east_opt(offset_h * 3600).unwrap();
                let text = t.with_timezone(&zone).to_rfc3339();
                let year = chrono::Datelike::year(&t.with_timezone(&zone));
                let inside = (2000..=2099).contains(&year);
                match parse_bounded(&text) {
                    Ok(parsed) => {
                        prop_assert!(inside, "{}", text);
                        prop_assert_eq!(parsed, t);
                        prop_assert!((EARLIEST..LATEST).contains(&t.timestamp()));
                        prop_assert!(text.starts_with("20"), "{}", text);
                    }
                    Err(_) => prop_assert!(!inside, "{}", text),
                }
            }

            /// Whatever text a client sends, parsing answers and never yields
            /// a time outside the bounds.
            #[test]
            fn arbitrary_text_never_panics(text in any::<String>()) {
                if let Ok(t) = parse_bounded(&text) {
                    prop_assert!((EARLIEST..LATEST).contains(&t.timestamp()));
                }
            }

            /// On a bounded time every window the API adds (slot horizons,
            /// payment timeouts, a year of deadlines) stays far inside chrono's
            /// range, so the checked additions never fail.
            #[test]
            fn arithmetic_on_bounded_times_never_overflows(secs in EARLIEST..LATEST, days in -3660i64..=3660) {
                let t = DateTime::from_timestamp(secs, 0).unwrap_or_default();
                let moved = t.checked_add_signed(chrono::TimeDelta::days(days));
                prop_assert!(moved.is_some());
                prop_assert!(!wechat_display(t).is_empty());
            }

            /// Messages written at any instant at all never panic.
            #[test]
            fn display_never_panics(t in any_instant()) {
                prop_assert!(!wechat_display(t).is_empty());
            }
        }
    }
}
