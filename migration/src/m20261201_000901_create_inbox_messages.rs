//! The inbox (站内信): one row per message to one user, written in the
//! transaction of the event it tells of. `dedupe_key` (UNIQUE with the
//! recipient) makes an event that may be recorded twice (a notice published
//! by two instances) arrive once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InboxMessages::Table)
                    .col(big_pk_auto(InboxMessages::Id))
                    .col(big_integer(InboxMessages::UserId))
                    .col(string_len(InboxMessages::Kind, 32))
                    .col(string_len(InboxMessages::Title, 64))
                    .col(string_len(InboxMessages::Body, 512))
                    .col(json_null(InboxMessages::Target))
                    .col(string_len_null(InboxMessages::DedupeKey, 64))
                    .col(timestamp_with_time_zone(InboxMessages::CreatedAt))
                    .col(timestamp_with_time_zone_null(InboxMessages::ReadAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_inbox_messages_user")
                    .table(InboxMessages::Table)
                    .col(InboxMessages::UserId)
                    .col(InboxMessages::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_inbox_messages_unread")
                    .table(InboxMessages::Table)
                    .col(InboxMessages::UserId)
                    .col(InboxMessages::ReadAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_inbox_messages_dedupe")
                    .table(InboxMessages::Table)
                    .col(InboxMessages::UserId)
                    .col(InboxMessages::DedupeKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(InboxMessages::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum InboxMessages {
    Table,
    Id,
    UserId,
    Kind,
    Title,
    Body,
    Target,
    DedupeKey,
    CreatedAt,
    ReadAt,
}
