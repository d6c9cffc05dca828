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
