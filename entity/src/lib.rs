//! sea-orm entities, one module per table: the rows, and the typed values
//! stored in their columns (statuses and kinds, stored as their snake_case
//! names), with the facts about those values every caller must agree on
//! (which order statuses hold quantity). What is done with them lives in
//! `api/`.

pub mod admin_community;
pub mod after_sale;
pub mod application_status;
pub mod auth_session;
pub mod booking;
pub mod booking_notification;
pub mod building;
pub mod care_profile;
pub mod cart_item;
pub mod city_component;
pub mod community;
pub mod console_login_ticket;
pub mod department;
pub mod department_staff;
pub mod goods;
pub mod goods_category;
pub mod grid;
pub mod grid_worker;
pub mod group_buy;
pub mod group_buy_community;
pub mod group_buy_notification;
pub mod group_buy_participant;
pub mod helper;
pub mod helper_application;
pub mod helper_application_community;
pub mod helper_community;
pub mod helper_service;
pub mod idempotency_key;
pub mod inbox_message;
pub mod merchant;
pub mod merchant_application;
pub mod merchant_application_community;
pub mod merchant_community;
pub mod merchant_staff;
pub mod notice;
pub mod notice_building;
pub mod notice_delivery;
pub mod notice_read;
pub mod order;
pub mod order_line;
pub mod order_notification;
pub mod order_prepay;
pub mod payment;
pub mod promotion;
pub mod refresh_token;
pub mod refund;
pub mod request;
pub mod request_category;
pub mod request_event;
pub mod request_notification;
pub mod request_photo;
pub mod service_community;
pub mod slot;
pub mod subscription_grant;
pub mod upload;
pub mod user;
pub mod visit;
