//! The service catalog (what approved helpers offer, where, at what price)
//! and the time slots helpers publish.

pub mod routes;
pub mod service;
pub mod slots;

pub use routes::configure;
