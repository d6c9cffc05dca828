//! The shop's deadlines, run in the background on the app's clock: unpaid
//! orders expire (stock back) and deliveries nobody confirmed complete.

use std::time::Duration;

use crate::error::ApiResult;
use crate::state::AppState;

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ShopSweep {
    pub expired: u64,
    pub completed: u64,
}

/// Runs the shop's deadlines once, at the clock's now.
pub async fn run(state: &AppState) -> ApiResult<ShopSweep> {
    let now = state.clock.now();
    let expired = super::lifecycle::expire_overdue(&state.db, now).await?;
    let after = chrono::Duration::seconds(state.settings.shop.auto_complete_after_secs);
    let completed = super::lifecycle::complete_overdue_deliveries(&state.db, now, after).await?;
    if expired > 0 || completed > 0 {
        crate::cache::keys::goods_changed(&state.cache).await;
    }
    Ok(ShopSweep { expired, completed })
}

/// Runs the sweep every `interval`, and sends owed order messages; the
/// after-sales deadlines run beside it.
pub fn spawn(state: actix_web::web::Data<AppState>, interval: Duration) {
    crate::after_sales::sweep::spawn(state.clone(), interval);
    let sweeping = state.clone();
    crate::jobs::repeat("shop deadlines", interval, move || {
        let state = sweeping.clone();
        async move { run(&state).await }
    });
    crate::orders::notify::spawn(state, interval);
}
