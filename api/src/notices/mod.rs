//! Community notices (社区通知): drafts, scheduled publishing, building
//! targeting, the resident feed, read receipts and subscribe-message push.
//!
//! - `draft`: writing and editing, checked as a whole (`NoticeDraft`);
//! - `publish`: publishing now or on schedule, withdrawal;
//! - `feed`: what a resident sees, in order, and whether it concerns them;
//! - `admin`: the admin's list with read counts and push progress;
//! - `detail`: one notice's follow-up (reads by building, who has not read it);
//! - `targets`: the buildings a notice concerns (`TargetBuildings`);
//! - `audience`: the residents it concerns (inbox, push, read counts);
//! - `push`: the scheduler and the outage message fan-out.

pub mod admin;
pub mod audience;
pub mod detail;
pub mod draft;
pub mod feed;
pub mod publish;
pub mod push;
pub mod routes;
pub mod targets;
pub mod view;

pub use routes::configure;
