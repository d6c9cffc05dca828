//! Goods: the category tree, public listing and search (cached), and the
//! owning merchant's create, edit, shelf and soft delete; text WeChat
//! holds back waits for an admin ([`moderation`]).

pub mod listing;
pub mod moderation;
pub mod owner;
pub mod routes;
pub mod views;

pub use routes::configure;
