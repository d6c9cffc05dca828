//! After-sales (售后) on completed orders of both kinds: within 7 days of
//! completion the resident asks for a refund of some lines or all (reason,
//! up to 6 photos); the merchant's desk approves or rejects with a reason;
//! the clock approves what nobody answered in 48 h; a rejected request may
//! be escalated to a community admin of the merchant's community, who
//! approves (refund) or rejects (closed). An approved refund goes through
//! the order's provider: WeChat Pay's refund path (a partial refund of the
//! payment, [`crate::orders::refunds::record_after_sale_refund`]) or, for
//! offline orders, marked refunded (cash back at the counter).
//!
//! - One open request (requested or escalated) per order: the UNIQUE
//!   `open_order_id`, set while open, taken by a conditional insert.
//! - Every decision is one conditional update on the request's status, in
//!   the transaction that adds the amount to `orders.refunded_fen` (only
//!   while it stays within the order's amount) and records the refund.
//! - Each event leaves inbox items for the other party and a subscribe
//!   message where granted ([`messages`]).

pub mod admin_routes;
pub mod create;
pub mod decide;
pub mod lists;
pub mod messages;
pub mod routes;
pub mod sweep;
pub mod verdict;
pub mod views;

use utoipa_actix_web::service_config::ServiceConfig;

/// How long after completion a resident may ask.
pub const WINDOW_DAYS: i64 = 7;
/// How long the merchant has to answer before the clock approves.
pub const ANSWER_HOURS: i64 = 48;

pub fn configure(cfg: &mut ServiceConfig) {
    routes::configure(cfg);
    admin_routes::configure(cfg);
}
