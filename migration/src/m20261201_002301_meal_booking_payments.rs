//! Online payment of canteen meals: a payment (and its refunds) now names
//! its subject, `order` (every existing row: `order_id` is an order) or
//! `meal_booking` (`order_id` is a meal booking; `merchant_id` 0, canteens
//! have no merchant). A meal booked to be paid online carries the deadline
//! it must be paid by (`pay_until`); past it, unpaid, it is cancelled.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for table in [Payments::Table.into_iden(), Refunds::Table.into_iden()] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(string_len(Payments::Subject, 16).default("order"))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(MealBookings::Table)
                    .add_column(timestamp_with_time_zone_null(MealBookings::PayUntil))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_meal_bookings_pay_until")
                    .table(MealBookings::Table)
                    .col(MealBookings::PayUntil)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_meal_bookings_pay_until")
                    .table(MealBookings::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MealBookings::Table)
                    .drop_column(MealBookings::PayUntil)
                    .to_owned(),
            )
            .await?;
        for table in [Payments::Table.into_iden(), Refunds::Table.into_iden()] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(Payments::Subject)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Subject,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
}

#[derive(DeriveIden)]
enum MealBookings {
    Table,
    PayUntil,
}
