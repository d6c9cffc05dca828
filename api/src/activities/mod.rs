//! Activities (四点半驿站 after-school care, 健康义诊 health days, 课堂
//! classes): published by a community's admins or the organisations they
//! authorise, with one session or a weekly timetable, places per session
//! (the `signups` engine), age and community rules, family members signed up
//! by their guardian, check-in three ways, reminders, no-shows and
//! attendance figures.
//!
//! - `draft`, `schedule`: the body of a new activity and its sessions;
//! - `service`: publishing, who may run a community's activities, reading;
//! - `family`: family members; `birth_dates`: verified birth dates;
//! - `signing`: signing up and cancelling; `checkin`: codes and roster;
//! - `figures`: attendance; `sweep`: reminders and no-shows.

mod admin_routes;
pub mod birth_dates;
pub mod checkin;
pub mod draft;
pub mod family;
pub mod figures;
pub mod routes;
pub mod schedule;
pub mod service;
pub mod signing;
pub mod sweep;

pub use routes::configure;
