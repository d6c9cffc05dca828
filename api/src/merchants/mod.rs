//! Merchants: applications and their review, public profiles (cached), the
//! owner's edits, and suspension by community admins.

pub mod applications;
pub mod moderation;
pub mod routes;
pub mod service;

pub use routes::configure;
