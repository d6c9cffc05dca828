//! Buying goods from nearby merchants: the resident's cart, checkout into a
//! shop order (pickup or delivery), and the order's life at the merchant's
//! desk. Shop orders are rows of the one order model (`orders`, kind
//! `shop`, with `order_lines`); paying, refunding, reading and the pickup
//! counter are the order model's, in `crate::orders`.

pub mod availability;
pub mod cart;
pub mod checkout;
pub mod desk_routes;
pub mod lifecycle;
pub mod routes;
pub mod stock;
pub mod sweep;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    routes::configure(cfg);
    desk_routes::configure(cfg);
}
