//! The service catalog (what approved helpers offer, where, at what price)
//! and the time slots helpers publish.

pub mod category;
pub mod routes;
pub mod service;
pub mod slots;

pub use routes::configure;

/// Cache keys of the catalog all start with this.
pub const CACHE_PREFIX: &str = "services:";
