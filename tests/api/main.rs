//! Integration tests: each test starts the real application on a random port
//! against its own database (a fresh SQLite file, or a fresh PostgreSQL
//! database when TEST_DATABASE_URL is set), its own cache (in-process, or a
//! private key prefix in TEST_REDIS_URL's Redis) and a wiremock WeChat.

mod account_erasure;
mod activities;
mod admins;
mod application_photos;
mod auth;
mod backup;
mod bindings;
mod bookings;
mod browser;
mod communities;
mod config;
mod console;
mod console_browser;
mod content;
mod conventions;
mod fake_wechatpay;
mod faults;
mod flagged_images;
mod goods;
mod group_buys;
mod hardening;
mod hardening_bodies;
mod hardening_bookings;
mod hardening_ops;
mod hardening_rate_limits;
mod helpers_services;
mod idempotency;
mod inbox;
mod me;
mod merchants;
mod migrations;
mod notice_detail;
mod notices;
mod openapi;
mod operators_admin;
mod operators_shops;
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
mod text_moderation;
mod uploads;
mod wechatpay;
