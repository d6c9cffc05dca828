//! The order model every order kind shares (group-buy orders today, shop
//! orders next): reading orders, the merchant's view of them, payment
//! providers (WeChat Pay: prepay, recorded payments, refunds, settlement
//! figures), and the pickup counter. What places, cancels and expires a
//! group-buy order lives with the campaign, in `group_buys`.
//!
//! Statuses are `entity::order::OrderStatus`, whose rules (which hold
//! quantity, which a resident may cancel, which may be paid) are exhaustive
//! matches: a new status or kind is decided in one place.

pub mod cards;
pub mod figures;
pub mod lines;
pub mod messages;
pub mod notify;
pub mod numbers;
pub mod payment_records;
pub mod payment_routes;
pub mod payments;
pub mod pickup;
pub mod reads;
pub mod refunds;
pub mod routes;
pub mod settlements;
pub mod views;
pub mod wechat_pay;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    routes::configure(cfg);
    payment_routes::configure(cfg);
}
