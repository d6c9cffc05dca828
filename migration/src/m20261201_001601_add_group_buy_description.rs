//! `group_buys.description`: what the campaign offers, in the merchant's
//! words; edited like the title while the campaign takes orders.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(GroupBuys::Table)
                    .add_column(text(Description::Description).default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(GroupBuys::Table)
                    .drop_column(Description::Description)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum GroupBuys {
    Table,
}

#[derive(DeriveIden)]
enum Description {
    Description,
}
