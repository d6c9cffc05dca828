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
}
