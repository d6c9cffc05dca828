//! Merchants: applications and their review, public profiles (cached), the
//! owner's edits and clerks, the desk check, and suspension by community
//! admins.

pub mod access;
pub mod admin_list;
pub mod applications;
pub mod moderation;
pub mod profile;
pub mod routes;
pub mod service;
pub mod staff;
pub mod staff_routes;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    // `/merchants/me` before `/merchants/{id}`.
    staff_routes::configure(cfg);
    routes::configure(cfg);
}
