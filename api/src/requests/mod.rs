//! Residents' requests (诉求): reported (by a resident, or by a grid worker
//! for a resident or on their own), dispatched to a grid, the community or a
//! department, accepted, resolved and rated, each step on a working-day
//! clock (1 day to assign, 1 to accept, 7 to resolve, 3 for grid-level
//! categories, up to 15 when extended).
//!
//! The flow: submitted → assigned → accepted → resolved → closed (rated, or
//! after 48 hours unrated, which counts as satisfied). Handlers transfer
//! (back to the community's queue or to another department), return an
//! unclear request to its reporter (returned → assigned once supplemented)
//! and ask for an extension a community admin decides. Reporters urge once a
//! day, reopen a resolved request once within 7 days, or withdraw it.
//!
//! Every transition is one conditional `UPDATE ... WHERE status IN (...)`
//! plus its timeline events and owed messages, in one transaction. The
//! overdue sweep claims a request whose running clock ran out by setting
//! `overdue_since` conditionally, so it escalates exactly once per clock,
//! whatever the number of instances sweeping.

pub mod access;
pub mod categories;
pub mod figures;
pub mod flow;
pub mod lists;
pub mod move_routes;
pub mod notify;
pub mod report;
pub mod routes;
pub mod sweep;
pub mod views;

use std::time::Duration;

use chrono::{DateTime, Utc};

use utoipa_actix_web::service_config::ServiceConfig;

use crate::calendar::Calendar;

pub use entity::request::{ExtensionState, RequestLevel as Level, RequestStatus as Status};

/// The requests' routes: reports, lists and reads, then the moves.
pub fn configure(cfg: &mut ServiceConfig) {
    routes::configure(cfg);
    move_routes::configure(cfg);
}

crate::text_enum! {
    pub enum Urgency {
        Normal => "normal",
        Urgent => "urgent",
    }
}

crate::text_enum! {
    /// Who has been told a request ran late: each clock that runs out moves
    /// it one step up (grid → community → department head).
    pub enum Escalation {
        None => "none",
        /// The community's admins supervise it.
        Community => "community",
        /// The department's head supervises it.
        DepartmentHead => "department_head",
    }
}

impl Escalation {
    pub fn from_level(level: i16) -> Self {
        match level {
            i16::MIN..=0 => Escalation::None,
            1 => Escalation::Community,
            _ => Escalation::DepartmentHead,
        }
    }

    pub fn level(self) -> i16 {
        match self {
            Escalation::None => 0,
            Escalation::Community => 1,
            Escalation::DepartmentHead => 2,
        }
    }

    /// One step up, capped at the department head.
    pub fn next(self) -> Self {
        Self::from_level(self.level() + 1)
    }
}

crate::text_enum! {
    /// What a timeline entry records.
    pub enum EventKind {
        Submitted => "submitted",
        Assigned => "assigned",
        Accepted => "accepted",
        Transferred => "transferred",
        Returned => "returned",
        Supplemented => "supplemented",
        Urged => "urged",
        Overdue => "overdue",
        Escalated => "escalated",
        ExtensionRequested => "extension_requested",
        ExtensionApproved => "extension_approved",
        ExtensionRejected => "extension_rejected",
        Resolved => "resolved",
        Rated => "rated",
        AutoRated => "auto_rated",
        Reopened => "reopened",
        Withdrawn => "withdrawn",
    }
}

crate::text_enum! {
    /// In which capacity someone acted on a request.
    pub enum ActorRole {
        Reporter => "reporter",
        GridWorker => "grid_worker",
        Admin => "admin",
        Department => "department",
        System => "system",
    }
}

crate::text_enum! {
    pub enum PhotoStage {
        Report => "report",
        Resolution => "resolution",
    }
}

/// Most photos per report or resolution.
pub const MAX_PHOTOS: usize = 9;
/// The longest deadline an extension may set, in working days from submission.
pub const MAX_EXTENSION_DAYS: i16 = 15;
/// A resolved request nobody rated counts as satisfied after this long.
pub const AUTO_RATE_AFTER: chrono::TimeDelta = chrono::TimeDelta::hours(48);
/// A reporter may reopen a resolved request this long after its resolution.
pub const REOPEN_WITHIN: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// What the flow needs besides the database: the time and the working days.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub now: DateTime<Utc>,
    pub calendar: &'a Calendar,
}

impl<'a> Ctx<'a> {
    pub fn of(state: &'a crate::state::AppState) -> Self {
        Self {
            now: state.clock.now(),
            calendar: &state.calendar,
        }
    }
}

/// The background work of requests, on every instance: the overdue sweep,
/// automatic ratings, and the subscribe messages owed.
pub fn spawn_jobs(state: actix_web::web::Data<crate::state::AppState>, interval: Duration) {
    let sweeping = state.clone();
    crate::jobs::repeat("request overdue sweep", interval, move || {
        let state = sweeping.clone();
        async move {
            // Escalations write inbox items: their counts drop after the round.
            crate::inbox::tracking::scope(&state.cache, sweep::run(&state.db, Ctx::of(&state)))
                .await
        }
    });
    crate::jobs::repeat("request messages", interval, move || {
        let state = state.clone();
        async move { notify::send_owed(&state).await }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        for s in <Status as sea_orm::Iterable>::iter() {
            assert_eq!(Status::parse(&sea_orm::ActiveEnum::to_value(&s)), Some(s));
        }
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(Level::parse("street"), None);
    }

    #[test]
    fn escalation_climbs_once_per_step_and_stops_at_the_head() {
        assert_eq!(Escalation::None.next(), Escalation::Community);
        assert_eq!(Escalation::Community.next(), Escalation::DepartmentHead);
        assert_eq!(
            Escalation::DepartmentHead.next(),
            Escalation::DepartmentHead
        );
        assert_eq!(Escalation::from_level(7), Escalation::DepartmentHead);
    }
}
