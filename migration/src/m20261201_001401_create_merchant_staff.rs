//! Clerks (店员) of a merchant: users the owner lets work the order and
//! pickup desk. One row per (merchant, user); the owner is never a row.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000002_create_users_and_sessions::Users;
use crate::m20261122_000010_create_merchants::Merchants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MerchantStaff::Table)
                    .col(big_integer(MerchantStaff::MerchantId))
                    .col(big_integer(MerchantStaff::UserId))
                    .col(timestamp_with_time_zone(MerchantStaff::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(MerchantStaff::MerchantId)
                            .col(MerchantStaff::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MerchantStaff::Table, MerchantStaff::MerchantId)
                            .to(Merchants::Table, Merchants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MerchantStaff::Table, MerchantStaff::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // "Which shops does this user work at" (GET /merchants/me).
        manager
            .create_index(
                Index::create()
                    .name("idx_merchant_staff_user")
                    .table(MerchantStaff::Table)
                    .col(MerchantStaff::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MerchantStaff::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MerchantStaff {
    Table,
    MerchantId,
    UserId,
    CreatedAt,
}
