//! Uploaded images: who uploaded what for which purpose, where the stored
//! objects are, and how far moderation got.

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
                    .table(Uploads::Table)
                    .col(big_pk_auto(Uploads::Id))
                    .col(big_integer(Uploads::OwnerId))
                    .col(string_len(Uploads::Purpose, 32))
                    .col(string_len(Uploads::StorageKey, 80))
                    .col(string_len(Uploads::ThumbKey, 80))
                    .col(integer(Uploads::Width))
                    .col(integer(Uploads::Height))
                    .col(big_integer(Uploads::Bytes))
                    .col(string_len(Uploads::ContentType, 32))
                    .col(string_len(Uploads::Hash, 64))
                    .col(integer(Uploads::RefCount).default(0))
                    .col(timestamp_with_time_zone_null(Uploads::ReleasedAt))
                    .col(string_len(Uploads::Moderation, 16))
                    .col(string_len_null(Uploads::TraceId, 128))
                    .col(timestamp_with_time_zone(Uploads::CreatedAt))
                    .col(timestamp_with_time_zone(Uploads::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Uploads::Table, Uploads::OwnerId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One upload per owner, purpose and picture: the same picture sent
        // twice (even at once) gives the first upload back.
        manager
            .create_index(
                Index::create()
                    .name("uq_uploads_owner_purpose_hash")
                    .table(Uploads::Table)
                    .col(Uploads::OwnerId)
                    .col(Uploads::Purpose)
                    .col(Uploads::Hash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_uploads_storage_key", vec![Uploads::StorageKey]),
            ("idx_uploads_thumb_key", vec![Uploads::ThumbKey]),
            ("idx_uploads_trace", vec![Uploads::TraceId]),
            (
                "idx_uploads_orphans",
                vec![Uploads::RefCount, Uploads::CreatedAt],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Uploads::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Uploads::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Uploads {
    Table,
    Id,
    OwnerId,
    Purpose,
    StorageKey,
    ThumbKey,
    Width,
    Height,
    Bytes,
    ContentType,
    Hash,
    RefCount,
    ReleasedAt,
    Moderation,
    TraceId,
    CreatedAt,
    UpdatedAt,
}
