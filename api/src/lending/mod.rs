//! Free tool lending (工具借用点): an admin creates a lending point of a
//! community with its keeper; the keeper (or the admin) lists its tools
//! (name, photos as upload ids, quantity); residents of the community
//! reserve a unit of a tool for a date (never more loans on a date than
//! units: `tool_days.taken` rises only while below the quantity, one
//! conditional UPDATE); the keeper hands it over and takes it back, noting
//! its condition; loans not back after their day are listed as overdue and
//! their borrower is reminded once (the sweep below, under the jobs
//! supervisor).
//!
//! - `inventory`: points and their tools, and who keeps them;
//! - `loans`: reserving, handing over, taking back, the reminders.
//!
//! A loan is for one day and due back by the end of it. A unit kept past
//! its day is not subtracted from later dates: the keeper sees it in the
//! overdue list.

pub mod inventory;
pub mod loans;
pub mod routes;

use std::time::Duration;

pub use routes::configure;

crate::text_enum! {
    pub enum LoanStatus {
        /// Reserved for its date, not handed over yet.
        Reserved => "reserved",
        /// With the borrower.
        Lent => "lent",
        Returned => "returned",
        /// Cancelled by the borrower before hand-over.
        Cancelled => "cancelled",
    }
}

/// Runs the overdue reminders every `interval` under the jobs supervisor.
pub fn spawn_sweep(state: actix_web::web::Data<crate::state::AppState>, interval: Duration) {
    crate::jobs::repeat("tool loan overdue reminders", interval, move || {
        let state = state.clone();
        async move {
            let today = crate::calendar::local_date(state.clock.now());
            crate::inbox::tracking::scope(&state.cache, loans::remind_overdue(&state.db, today))
                .await
        }
    });
}
