//! The order model every order kind shares (group-buy orders today, shop
//! orders next): reading orders, the merchant's view of them, payment
//! providers, and the pickup counter. What places, cancels and expires a
//! group-buy order lives with the campaign, in `group_buys`.
//!
//! Statuses are `entity::order::OrderStatus`, whose rules (which hold
//! quantity, which a resident may cancel, which may be paid) are exhaustive
//! matches: a new status or kind is decided in one place.

pub mod numbers;
pub mod payments;
pub mod pickup;
pub mod reads;
pub mod routes;
pub mod views;

pub use routes::configure;
