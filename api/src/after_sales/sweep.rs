//! The clock's part: requests nobody answered in 48 h are approved, on the
//! app's clock, by every instance (each claimed by its conditional update).

use std::time::Duration;

use actix_web::web::Data;

use super::{decide, messages};
use crate::error::ApiResult;
use crate::orders::refunds;
use crate::state::AppState;

/// Approves the overdue requests once, at the clock's now; answers how many.
pub async fn run(state: &Data<AppState>) -> ApiResult<usize> {
    let owed = decide::approve_overdue(&state.db, state.clock.now()).await?;
    let approved = owed.len();
    if approved > 0 {
        refunds::send_soon(&state.db, state.wechatpay.as_ref());
    }
    for o in owed {
        messages::push(state, o);
    }
    Ok(approved)
}

/// Runs [`run`] every `interval` under the jobs supervisor.
pub fn spawn(state: Data<AppState>, interval: Duration) {
    crate::jobs::repeat("after-sales deadlines", interval, move || {
        let state = state.clone();
        async move { run(&state).await }
    });
}
