//! Goods text checked by WeChat before the public sees it: `pass` (shown),
//! `review` (WeChat asked for a person: hidden until an admin approves) or
//! `pending` (WeChat unreachable: hidden, checked again by a sweep).
//! Existing goods were published before checks existed: `pass`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Goods::Table)
                    .add_column(string_len(Goods::Moderation, 16).default("pass"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_goods_moderation")
                    .table(Goods::Table)
                    .col(Goods::Moderation)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_goods_moderation")
                    .table(Goods::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Goods::Table)
                    .drop_column(Goods::Moderation)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Goods {
    Table,
    Moderation,
}
