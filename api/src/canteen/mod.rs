//! The elders' canteen (长者食堂): canteens run by a community and serving
//! listed communities, a menu per day and meal, meals booked by the elder or
//! their grid worker (places from the `signups` engine: a meal is its session
//! of the canteen kind), the 60+ subsidy per meal (verified birth dates
//! only, once per person per meal time), delivery for disabled elders, the
//! desk's counts and roster, and the monthly subsidy statement.
//!
//! - `model`: bodies and answers, the canteen's rules, China Standard Time;
//! - `service`: canteens and menus; `eligibility`: subsidy rate, age,
//!   disability, grid; `booking`: booking, cancelling, paid, delivered;
//! - `desk`: the meal's desk and the subsidy statement;
//! - `payment`: meals paid online (WeChat Pay), their expiry and refunds.

mod admin_routes;
pub mod booking;
mod booking_view;
pub mod counter;
pub mod desk;
pub mod eligibility;
pub mod model;
pub mod payment;
pub mod routes;
pub mod service;

pub use routes::configure;
