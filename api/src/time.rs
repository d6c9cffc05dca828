//! Time: stored in UTC at whole seconds (so SQLite's text timestamps compare
//! in order), shown as RFC 3339.

use chrono::{DateTime, SubsecRound, Utc};

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

/// The earliest time a client may send: 2000-01-01T00:00:00Z.
pub const EARLIEST: i64 = 946_684_800;
/// The first time a client may no longer send: 2100-01-01T00:00:00Z.
pub const LATEST: i64 = 4_102_444_800;

/// Parses a client's time (RFC 3339) and bounds it to 2000-01-01..2100-01-01,
/// so no arithmetic on it can overflow; the message names the value.
pub fn parse_bounded(raw: &str) -> Result<DateTime<Utc>, String> {
    let t: DateTime<Utc> = raw
        .parse()
        .map_err(|_| format!("`{raw}` is not an RFC 3339 time"))?;
    if t.timestamp() < EARLIEST || t.timestamp() >= LATEST {
        return Err(format!(
            "`{raw}` is outside 2000-01-01T00:00:00Z..2100-01-01T00:00:00Z"
        ));
    }
    Ok(t)
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
}
