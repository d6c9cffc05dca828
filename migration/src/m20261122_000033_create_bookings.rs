//! Bookings of a helper's slot, and the status-change notifications owed to
//! residents. `bookings.active_slot_id` equals `slot_id` while the booking is
//! live and is NULL once declined or cancelled; its UNIQUE index is what makes
//! "a slot is never booked twice" hold in the database on SQLite and
//! PostgreSQL alike (both allow many NULLs in a unique index).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000002_create_users_and_sessions::Users;
use crate::m20261122_000031_create_helpers::Helpers;
use crate::m20261122_000032_create_services_and_slots::{Services, Slots};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Bookings::Table)
                    .col(big_pk_auto(Bookings::Id))
                    .col(big_integer(Bookings::ServiceId))
                    .col(big_integer(Bookings::SlotId))
                    .col(big_integer_null(Bookings::ActiveSlotId).unique_key())
                    .col(big_integer(Bookings::HelperId))
                    .col(big_integer(Bookings::ResidentId))
                    .col(big_integer_null(Bookings::GridWorkerId))
                    .col(string(Bookings::Address))
                    .col(string(Bookings::ContactPhone))
                    .col(text(Bookings::Note))
                    .col(big_integer(Bookings::PriceFen))
                    .col(string_len(Bookings::Status, 16))
                    .col(small_integer_null(Bookings::Rating))
                    .col(text_null(Bookings::ReviewComment))
                    .col(timestamp_with_time_zone_null(Bookings::ReviewedAt))
                    .col(timestamp_with_time_zone(Bookings::CreatedAt))
                    .col(timestamp_with_time_zone(Bookings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Bookings::Table, Bookings::ServiceId)
                            .to(Services::Table, Services::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Bookings::Table, Bookings::SlotId)
                            .to(Slots::Table, Slots::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Bookings::Table, Bookings::HelperId)
                            .to(Helpers::Table, Helpers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Bookings::Table, Bookings::ResidentId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_bookings_resident", Bookings::ResidentId),
            ("idx_bookings_helper", Bookings::HelperId),
            ("idx_bookings_grid_worker", Bookings::GridWorkerId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Bookings::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(BookingNotifications::Table)
                    .col(big_pk_auto(BookingNotifications::Id))
                    .col(big_integer(BookingNotifications::BookingId))
                    .col(string_len(BookingNotifications::Status, 16))
                    .col(big_integer(BookingNotifications::UserId))
                    .col(timestamp_with_time_zone(BookingNotifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(BookingNotifications::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(BookingNotifications::Table, BookingNotifications::BookingId)
                            .to(Bookings::Table, Bookings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_booking_notifications_booking_status")
                    .table(BookingNotifications::Table)
                    .col(BookingNotifications::BookingId)
                    .col(BookingNotifications::Status)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            BookingNotifications::Table.into_iden(),
            Bookings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Bookings {
    Table,
    Id,
    ServiceId,
    SlotId,
    ActiveSlotId,
    HelperId,
    ResidentId,
    GridWorkerId,
    Address,
    ContactPhone,
    Note,
    PriceFen,
    Status,
    Rating,
    ReviewComment,
    ReviewedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum BookingNotifications {
    Table,
    Id,
    BookingId,
    Status,
    UserId,
    CreatedAt,
    SentAt,
}
