//! Integration tests: each test starts the real application on a random port
//! against its own database (a fresh SQLite file, or a fresh PostgreSQL
//! database when TEST_DATABASE_URL is set), its own cache (in-process, or a
//! private key prefix in TEST_REDIS_URL's Redis) and a wiremock WeChat.

mod admins;
mod auth;
mod backup;
mod bookings;
mod browser;
mod communities;
mod config;
mod console;
mod console_browser;
mod content;
mod conventions;
mod fake_wechatpay;
mod goods;
mod group_buys;
mod hardening;
mod helpers_services;
mod idempotency;
mod me;
mod merchants;
mod migrations;
mod notices;
mod openapi;
mod ops;
mod payments;
mod promotions;
mod requests;
mod resource_media;
mod seed;
mod shop;
mod stats;
mod subscriptions;
mod support;
mod uploads;
mod wechatpay;
