//! Free tool lending (工具借用点): lending points an admin creates with a
//! keeper, their tools (quantity = units to lend), the loans residents
//! reserve for a date, and per tool and date the count of units taken
//! (`tool_days.taken`, raised only while below the tool's quantity, so a
//! date never holds more loans than units).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LendingPoints::Table)
                    .col(big_pk_auto(LendingPoints::Id))
                    .col(big_integer(LendingPoints::CommunityId))
                    .col(string_len(LendingPoints::Name, 64))
                    .col(string_len(LendingPoints::Address, 128))
                    .col(big_integer(LendingPoints::KeeperId))
                    .col(timestamp_with_time_zone(LendingPoints::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LendingTools::Table)
                    .col(big_pk_auto(LendingTools::Id))
                    .col(big_integer(LendingTools::PointId))
                    .col(string_len(LendingTools::Name, 64))
                    .col(text(LendingTools::Description))
                    .col(text(LendingTools::Photos))
                    .col(integer(LendingTools::Quantity))
                    .col(timestamp_with_time_zone(LendingTools::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LendingTools::Table, LendingTools::PointId)
                            .to(LendingPoints::Table, LendingPoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ToolDays::Table)
                    .col(big_integer(ToolDays::ToolId))
                    .col(string_len(ToolDays::Day, 10))
                    .col(integer(ToolDays::Taken).default(0))
                    .primary_key(Index::create().col(ToolDays::ToolId).col(ToolDays::Day))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ToolDays::Table, ToolDays::ToolId)
                            .to(LendingTools::Table, LendingTools::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ToolLoans::Table)
                    .col(big_pk_auto(ToolLoans::Id))
                    .col(big_integer(ToolLoans::ToolId))
                    .col(big_integer(ToolLoans::PointId))
                    .col(big_integer(ToolLoans::ResidentId))
                    .col(string_len(ToolLoans::LoanOn, 10))
                    .col(string_len(ToolLoans::DueOn, 10))
                    .col(string_len(ToolLoans::Status, 16))
                    .col(timestamp_with_time_zone_null(ToolLoans::HandedOverAt))
                    .col(string_len_null(ToolLoans::HandoverCondition, 200))
                    .col(timestamp_with_time_zone_null(ToolLoans::ReturnedAt))
                    .col(string_len_null(ToolLoans::ReturnCondition, 200))
                    .col(timestamp_with_time_zone_null(ToolLoans::RemindedAt))
                    .col(timestamp_with_time_zone(ToolLoans::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ToolLoans::Table, ToolLoans::ToolId)
                            .to(LendingTools::Table, LendingTools::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tool_loans_status_due")
                    .table(ToolLoans::Table)
                    .col(ToolLoans::Status)
                    .col(ToolLoans::DueOn)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ToolLoans::Table.into_iden(),
            ToolDays::Table.into_iden(),
            LendingTools::Table.into_iden(),
            LendingPoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum LendingPoints {
    Table,
    Id,
    CommunityId,
    Name,
    Address,
    KeeperId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LendingTools {
    Table,
    Id,
    PointId,
    Name,
    Description,
    Photos,
    Quantity,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ToolDays {
    Table,
    ToolId,
    Day,
    Taken,
}

#[derive(DeriveIden)]
enum ToolLoans {
    Table,
    Id,
    ToolId,
    PointId,
    ResidentId,
    LoanOn,
    DueOn,
    Status,
    HandedOverAt,
    HandoverCondition,
    ReturnedAt,
    ReturnCondition,
    RemindedAt,
    CreatedAt,
}
