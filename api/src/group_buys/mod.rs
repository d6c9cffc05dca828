//! Community group-buys (社区团购): campaigns, orders, settlement at cut-off,
//! pickup codes, and the payment provider interface.
//!
//! Money path invariants, all enforced by the database:
//! - a campaign's `ordered_quantity` never exceeds `total_quantity`
//!   (conditional UPDATE, in the same transaction as the order insert);
//! - a resident's live quantity never exceeds `per_user_limit`
//!   (conditional UPDATE on `group_buy_participants`);
//! - a campaign settles once (`UPDATE … WHERE state = 'open'`), and its
//!   order changes commit in the same transaction;
//! - a pickup code is used once (`UPDATE … WHERE status = 'awaiting_pickup'`).

pub mod counter;
pub mod desk;
pub mod market;
pub mod orders;
pub mod payments;
pub mod routes;
pub mod service;
pub mod settlement;

pub use routes::configure;
