//! The 爱心超市: each community's shelf of items priced in points (admins
//! stock it), redemptions that take the points and the stock in one
//! transaction and give a pickup code checked at the counter, and
//! cancellation before pickup, which returns both.

pub mod redemptions;
pub mod routes;
pub mod service;

pub use routes::configure;
