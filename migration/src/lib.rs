//! Schema migrations, one file per change, each with a real `down`.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_communities;
mod m20261122_000002_create_users_and_sessions;
mod m20261122_000010_create_merchants;
mod m20261122_000011_create_goods;
mod m20261122_000012_seed_goods_categories;
mod m20261122_000013_create_promotions;
mod m20261122_000030_create_idempotency_keys;
mod m20261122_000031_create_helpers;
mod m20261122_000032_create_services_and_slots;
mod m20261122_000033_create_bookings;
mod m20261122_000040_create_group_buys;
mod m20261122_000050_create_subscriptions;
mod m20261122_000051_create_notices;
mod m20261201_000101_create_notice_buildings;
mod m20261201_000301_create_uploads;
mod m20261201_000501_create_console_login_tickets;
mod m20261201_000601_create_departments;
mod m20261201_000602_create_city_components;
mod m20261201_000603_create_requests;
mod m20261201_000604_create_care_profiles_and_visits;
mod m20261201_000801_create_payments;
mod m20261201_000901_create_inbox_messages;
mod m20261201_000902_add_user_erasure;
mod m20261201_000903_add_binding_approval;
mod m20261201_001001_create_shop_orders;
mod m20261201_001101_create_activities;
mod m20261201_001201_create_points;
mod m20261201_001202_create_shelf;
mod m20261201_001203_create_wishes;
mod m20261201_001301_add_goods_moderation;
mod m20261201_001302_add_avatar_and_logo_uploads;
mod m20261201_001401_create_merchant_staff;
mod m20261201_001402_add_user_disabled_at;
mod m20261201_001501_add_photos_and_text_moderation;
mod m20261201_001601_add_group_buy_description;
mod m20261201_001701_allow_partial_refunds;
mod m20261201_001702_create_after_sales;
mod m20261201_001801_create_surveys;
mod m20261201_001802_create_odd_jobs;
mod m20261201_001803_create_tool_lending;
mod m20261201_001901_create_canteens;
mod m20261201_002301_meal_booking_payments;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_communities::Migration),
            Box::new(m20261122_000002_create_users_and_sessions::Migration),
            Box::new(m20261122_000010_create_merchants::Migration),
            Box::new(m20261122_000011_create_goods::Migration),
            Box::new(m20261122_000012_seed_goods_categories::Migration),
            Box::new(m20261122_000013_create_promotions::Migration),
            Box::new(m20261122_000030_create_idempotency_keys::Migration),
            Box::new(m20261122_000031_create_helpers::Migration),
            Box::new(m20261122_000032_create_services_and_slots::Migration),
            Box::new(m20261122_000033_create_bookings::Migration),
            Box::new(m20261122_000040_create_group_buys::Migration),
            Box::new(m20261122_000050_create_subscriptions::Migration),
            Box::new(m20261122_000051_create_notices::Migration),
            Box::new(m20261201_000101_create_notice_buildings::Migration),
            Box::new(m20261201_000301_create_uploads::Migration),
            Box::new(m20261201_000501_create_console_login_tickets::Migration),
            Box::new(m20261201_000601_create_departments::Migration),
            Box::new(m20261201_000602_create_city_components::Migration),
            Box::new(m20261201_000603_create_requests::Migration),
            Box::new(m20261201_000604_create_care_profiles_and_visits::Migration),
            Box::new(m20261201_000801_create_payments::Migration),
            Box::new(m20261201_000901_create_inbox_messages::Migration),
            Box::new(m20261201_000902_add_user_erasure::Migration),
            Box::new(m20261201_000903_add_binding_approval::Migration),
            Box::new(m20261201_001001_create_shop_orders::Migration),
            Box::new(m20261201_001101_create_activities::Migration),
            Box::new(m20261201_001201_create_points::Migration),
            Box::new(m20261201_001202_create_shelf::Migration),
            Box::new(m20261201_001203_create_wishes::Migration),
            Box::new(m20261201_001301_add_goods_moderation::Migration),
            Box::new(m20261201_001302_add_avatar_and_logo_uploads::Migration),
            Box::new(m20261201_001401_create_merchant_staff::Migration),
            Box::new(m20261201_001402_add_user_disabled_at::Migration),
            Box::new(m20261201_001501_add_photos_and_text_moderation::Migration),
            Box::new(m20261201_001601_add_group_buy_description::Migration),
            Box::new(m20261201_001701_allow_partial_refunds::Migration),
            Box::new(m20261201_001702_create_after_sales::Migration),
            Box::new(m20261201_001801_create_surveys::Migration),
            Box::new(m20261201_001802_create_odd_jobs::Migration),
            Box::new(m20261201_001803_create_tool_lending::Migration),
            Box::new(m20261201_001901_create_canteens::Migration),
            Box::new(m20261201_002301_meal_booking_payments::Migration),
        ]
    }
}
