//! Promotions: a merchant's time-boxed offers, shown to residents of the
//! communities it serves while they run.

pub mod routes;
pub mod service;

pub use routes::configure;
