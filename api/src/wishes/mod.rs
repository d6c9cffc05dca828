//! The wish wall (微心愿): a resident (or a grid worker for them) posts a
//! wish, its text checked like every public text; an admin of the community
//! approves it onto the wall; one volunteer claims it (a conditional
//! update: one claimer), fulfils it with a note and photos; the wisher or
//! the grid worker who posted it confirms, which awards the claimer the
//! community's `wish_fulfilled` rule once. Claims still unfulfilled at
//! their deadline (`points.wish_claim_days`) return to the wall (the sweep).

pub mod flow;
pub mod routes;
pub mod service;

use std::time::Duration;

pub use routes::configure;

/// Runs the claim-deadline sweep on every instance.
pub fn spawn_jobs(state: actix_web::web::Data<crate::state::AppState>, interval: Duration) {
    crate::jobs::repeat("wish claim deadlines", interval, move || {
        let state = state.clone();
        async move {
            crate::inbox::tracking::scope(&state.cache, flow::return_lapsed_claims(&state.db)).await
        }
    });
}
