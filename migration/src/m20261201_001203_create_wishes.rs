//! The wish wall (微心愿): wishes posted by residents (or a grid worker for
//! them), approved onto the wall, claimed by one volunteer, fulfilled and
//! confirmed.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Wishes::Table)
                    .col(big_pk_auto(Wishes::Id))
                    .col(big_integer(Wishes::CommunityId))
                    .col(big_integer(Wishes::WisherId))
                    .col(big_integer(Wishes::PostedBy))
                    .col(string_len(Wishes::Title, 60))
                    .col(string_len(Wishes::Content, 1000))
                    .col(text(Wishes::Photos))
                    .col(string_len(Wishes::Category, 32))
                    .col(boolean(Wishes::Public))
                    .col(string_len(Wishes::Status, 16))
                    .col(string_len_null(Wishes::RejectReason, 200))
                    .col(big_integer_null(Wishes::ClaimerId))
                    .col(timestamp_with_time_zone_null(Wishes::ClaimedAt))
                    .col(timestamp_with_time_zone_null(Wishes::ClaimDeadline))
                    .col(string_len_null(Wishes::FulfilNote, 500))
                    .col(text(Wishes::FulfilPhotos))
                    .col(timestamp_with_time_zone_null(Wishes::FulfilledAt))
                    .col(timestamp_with_time_zone_null(Wishes::ConfirmedAt))
                    .col(big_integer_null(Wishes::ConfirmedBy))
                    .col(big_integer_null(Wishes::AwardEntryId))
                    .col(timestamp_with_time_zone(Wishes::CreatedAt))
                    .col(timestamp_with_time_zone(Wishes::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_wishes_community_status")
                    .table(Wishes::Table)
                    .col(Wishes::CommunityId)
                    .col(Wishes::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_wishes_claim_deadline")
                    .table(Wishes::Table)
                    .col(Wishes::Status)
                    .col(Wishes::ClaimDeadline)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Wishes::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Wishes {
    Table,
    Id,
    CommunityId,
    WisherId,
    PostedBy,
    Title,
    Content,
    Photos,
    Category,
    Public,
    Status,
    RejectReason,
    ClaimerId,
    ClaimedAt,
    ClaimDeadline,
    FulfilNote,
    FulfilPhotos,
    FulfilledAt,
    ConfirmedAt,
    ConfirmedBy,
    AwardEntryId,
    CreatedAt,
    UpdatedAt,
}
