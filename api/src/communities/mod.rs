//! Communities, their grids and buildings: public reads (cached) and the
//! platform admin's writes.

pub mod map_edits;
pub mod routes;
pub mod service;

pub use routes::configure;
