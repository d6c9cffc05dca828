//! Goods: the category tree, public listing and search (cached), and the
//! owning merchant's create, edit, shelf and soft delete.

pub mod routes;
pub mod service;

pub use routes::configure;
