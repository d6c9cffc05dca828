//! Community notices, who read them, and the subscribe messages owed for them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notices::Table)
                    .col(big_pk_auto(Notices::Id))
                    .col(big_integer(Notices::CommunityId))
                    .col(string_len(Notices::Kind, 24))
                    .col(string(Notices::Title))
                    .col(text(Notices::Content))
                    .col(text(Notices::BuildingIds))
                    .col(timestamp_with_time_zone_null(Notices::StartsAt))
                    .col(timestamp_with_time_zone_null(Notices::EndsAt))
                    .col(timestamp_with_time_zone_null(Notices::PublishAt))
                    .col(boolean(Notices::Pinned))
                    .col(boolean(Notices::Push))
                    .col(string_len(Notices::Status, 16))
                    .col(timestamp_with_time_zone_null(Notices::PublishedAt))
                    .col(big_integer(Notices::CreatedBy))
                    .col(timestamp_with_time_zone(Notices::CreatedAt))
                    .col(timestamp_with_time_zone(Notices::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notices_community_status")
                    .table(Notices::Table)
                    .col(Notices::CommunityId)
                    .col(Notices::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NoticeReads::Table)
                    .col(big_integer(NoticeReads::NoticeId))
                    .col(big_integer(NoticeReads::UserId))
                    .col(timestamp_with_time_zone(NoticeReads::ReadAt))
                    .primary_key(
                        Index::create()
                            .col(NoticeReads::NoticeId)
                            .col(NoticeReads::UserId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NoticeDeliveries::Table)
                    .col(big_pk_auto(NoticeDeliveries::Id))
                    .col(big_integer(NoticeDeliveries::NoticeId))
                    .col(big_integer(NoticeDeliveries::UserId))
                    .col(string_len(NoticeDeliveries::Status, 16))
                    .col(integer(NoticeDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(NoticeDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(NoticeDeliveries::LockedUntil))
                    .col(string_null(NoticeDeliveries::LastError))
                    .col(timestamp_with_time_zone(NoticeDeliveries::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_notice_deliveries")
                    .table(NoticeDeliveries::Table)
                    .col(NoticeDeliveries::NoticeId)
                    .col(NoticeDeliveries::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notice_deliveries_due")
                    .table(NoticeDeliveries::Table)
                    .col(NoticeDeliveries::Status)
                    .col(NoticeDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(NoticeDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(NoticeReads::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Notices::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Notices {
    Table,
    Id,
    CommunityId,
    Kind,
    Title,
    Content,
    BuildingIds,
    StartsAt,
    EndsAt,
    PublishAt,
    Pinned,
    Push,
    Status,
    PublishedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum NoticeReads {
    Table,
    NoticeId,
    UserId,
    ReadAt,
}

#[derive(DeriveIden)]
enum NoticeDeliveries {
    Table,
    Id,
    NoticeId,
    UserId,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
}
