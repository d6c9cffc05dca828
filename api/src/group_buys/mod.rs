//! Community group-buys (社区团购): campaigns, orders in them, settlement at
//! cut-off, and the pickup list.
//!
//! Money path invariants, all enforced by the database:
//! - a campaign's `ordered_quantity` never exceeds `total_quantity`
//!   (conditional UPDATE, in the same transaction as the order insert);
//! - a resident's live quantity never exceeds `per_user_limit`
//!   (conditional UPDATE on `group_buy_participants`);
//! - a campaign settles once (`UPDATE … WHERE state = 'open'`), and its
//!   order changes commit in the same transaction;
//! - a pickup code is used once (`UPDATE … WHERE status = 'awaiting_pickup'`).
//!
//! Glossary:
//! - a *checked order* (`CheckedOrder`) passed every check that needs no
//!   write; the writes check the rest;
//! - the *order batcher* (`OrderBatcher`) writes a campaign's queued orders
//!   in one transaction; an order it cannot place comes back *unplaced* and
//!   is placed alone (`place_alone`) for its exact answer;
//! - a resident's *running total* is their live quantity in a campaign
//!   (`group_buy_participants`), raised only within the per-user limit.
//!
//! Files: `service` (campaigns: open, list, read, cancel), `edit` (the
//! owner's edits), `ordering` (an
//! order from request to answer), `order_checks`, `order_writes`,
//! `batches`, `order_lifecycle` (cancel, expiry, pickup codes),
//! `settlement`, `payment_sweep` (WeChat Pay reconciliation and refunds),
//! `pickup_list`, `market` (the goods and stock a campaign
//! uses), `messages` (the inbox items of orders and settlement). What every order kind shares is in `crate::orders`.

pub mod batches;
pub mod cards;
pub mod edit;
pub mod market;
pub mod messages;
pub mod order_checks;
pub mod order_lifecycle;
pub mod order_writes;
pub mod ordering;
pub mod payment_sweep;
pub mod pickup_list;
pub mod routes;
pub mod service;
pub mod settlement;

pub use routes::configure;
