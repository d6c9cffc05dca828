//! Volunteer points (积分制 / 道德银行): each community's rule book
//! (`rules`), the append-only ledger and its balance rows (`ledger`: earn,
//! spend, reverse, expire), awards confirmed by admins and grid workers and
//! the expiry sweep (`service`), and what residents and admins read
//! (`views`: balance, ledger, rank, totals).
//!
//! Other resources award and spend through [`award`] and [`ledger::spend`]
//! in their own transactions: the wish wall on a confirmed wish, the
//! 爱心超市 on a redemption, activities on attendance.

pub mod ledger;
pub mod routes;
pub mod rules;
pub mod service;
pub mod views;

use std::time::Duration;

pub use ledger::{Award, RuleRef, award};
pub use routes::configure;

/// Runs the expiry sweep on every instance when `points.expire_after_days`
/// is set (each lapse is a unique entry: an earn expires once).
pub fn spawn_jobs(state: actix_web::web::Data<crate::state::AppState>, interval: Duration) {
    let days = state.settings.points.expire_after_days;
    if days <= 0 {
        return;
    }
    let after = chrono::TimeDelta::days(days);
    crate::jobs::repeat(
        "points expiry",
        interval.max(Duration::from_secs(60)),
        move || {
            let state = state.clone();
            async move {
                crate::inbox::tracking::scope(&state.cache, service::expire_due(&state.db, after))
                    .await
            }
        },
    );
}
