//! Promotions: a merchant's time-boxed offers.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000010_create_merchants::Merchants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Promotions::Table)
                    .col(big_pk_auto(Promotions::Id))
                    .col(big_integer(Promotions::MerchantId))
                    .col(string(Promotions::Title))
                    .col(text(Promotions::Description).default(""))
                    .col(timestamp_with_time_zone(Promotions::StartsAt))
                    .col(timestamp_with_time_zone(Promotions::EndsAt))
                    .col(timestamp_with_time_zone(Promotions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Promotions::Table, Promotions::MerchantId)
                            .to(Merchants::Table, Merchants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_promotions_merchant", Promotions::MerchantId),
            ("idx_promotions_ends", Promotions::EndsAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Promotions::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Promotions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Promotions {
    Table,
    Id,
    MerchantId,
    Title,
    Description,
    StartsAt,
    EndsAt,
    CreatedAt,
}
