//! 驿站 (yizhan): the REST API behind a community convenience-service
//! WeChat mini-program.

pub mod admins;
pub mod auth;
pub mod bookings;
pub mod cache;
pub mod calendar;
pub mod catalog;
pub mod cli;
pub mod communities;
pub mod community_links;
pub mod components;
pub mod db;
pub mod departments;
pub mod error;
pub mod extract;
pub mod fields;
pub mod goods;
pub mod grid;
pub mod group_buys;
pub mod helpers;
pub mod idempotency;
#[cfg(test)]
mod import_rules;
pub mod jobs;
pub mod me;
pub mod merchants;
pub mod money;
pub mod notices;
pub mod openapi;
pub mod ops;
pub mod orders;
pub mod pagination;
pub mod promotions;
pub mod rate_limit;
pub mod requests;
pub mod review;
pub mod seed;
pub mod settings;
pub mod startup;
pub mod state;
pub mod stats;
pub mod subscriptions;
pub mod telemetry;
pub mod time;
pub mod wechat;
