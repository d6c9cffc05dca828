//! Odd jobs (零工驿站): local employers post short jobs for residents
//! nearby. Employers are approved merchants, or organisations an admin
//! registers (`/admin/job-organisations`). A job is open to residents of
//! the communities it lists, each of whom applies once; the employer
//! accepts (never more than the headcount: a conditional update) or
//! declines; a job whose headcount is reached is `filled`, one past its end
//! time leaves every list; residents report abuse and admins of the job's
//! communities take it down.
//!
//! - `draft`: the job's body, parsed;
//! - `service`: organisations, posting, lists, reports and take-downs;
//! - `applications`: applying, accepting, declining, and who hears of it.

pub mod applications;
pub mod draft;
pub mod routes;
pub mod service;

pub use routes::configure;

crate::text_enum! {
    /// What the pay is per.
    pub enum PayUnit {
        Hour => "hour",
        Day => "day",
        Piece => "piece",
        Job => "job",
    }
}

crate::text_enum! {
    pub enum JobStatus {
        /// Taking applications.
        Open => "open",
        /// Headcount reached.
        Filled => "filled",
        /// Closed by its employer.
        Closed => "closed",
        /// Taken down by an admin.
        TakenDown => "taken_down",
    }
}

crate::text_enum! {
    pub enum JobApplicationStatus {
        Applied => "applied",
        Accepted => "accepted",
        Declined => "declined",
    }
}
