//! One-time tickets of the console's scan-to-log-in (扫码登录): created by a
//! browser, confirmed by a signed-in user in the mini-program, handed over to
//! the browser once. Rows, not memory, so every instance sees them.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000002_create_users_and_sessions::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConsoleLoginTickets::Table)
                    .col(string_len(ConsoleLoginTickets::Id, 32).primary_key())
                    .col(string_len(ConsoleLoginTickets::SecretHash, 64))
                    .col(big_integer_null(ConsoleLoginTickets::UserId))
                    .col(timestamp_with_time_zone(ConsoleLoginTickets::CreatedAt))
                    .col(timestamp_with_time_zone(ConsoleLoginTickets::ExpiresAt))
                    .col(timestamp_with_time_zone_null(
                        ConsoleLoginTickets::ConfirmedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        ConsoleLoginTickets::ConsumedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConsoleLoginTickets::Table, ConsoleLoginTickets::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_console_login_tickets_expires")
                    .table(ConsoleLoginTickets::Table)
                    .col(ConsoleLoginTickets::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ConsoleLoginTickets::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ConsoleLoginTickets {
    Table,
    Id,
    SecretHash,
    UserId,
    CreatedAt,
    ExpiresAt,
    ConfirmedAt,
    ConsumedAt,
}
