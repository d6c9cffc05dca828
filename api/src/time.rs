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
    fn wechat_display_survives_the_end_of_the_calendar() {
        let t = DateTime::<Utc>::MAX_UTC;
        assert!(!wechat_display(t).is_empty());
        let t = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(wechat_display(t), "2026-01-01 08:00");
    }
}
