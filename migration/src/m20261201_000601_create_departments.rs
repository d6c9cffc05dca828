//! Departments that handle residents' requests (供电, 供水, 燃气, 物业, 城管,
//! 民政 ...), their staff, and the request category tree mapping each
//! category to its handling level, default department and deadlines.

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
                    .table(Departments::Table)
                    .col(big_pk_auto(Departments::Id))
                    .col(string(Departments::Name).unique_key())
                    .col(string(Departments::Phone).default(""))
                    .col(timestamp_with_time_zone(Departments::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DepartmentStaff::Table)
                    .col(big_integer(DepartmentStaff::DepartmentId))
                    .col(big_integer(DepartmentStaff::UserId))
                    .col(boolean(DepartmentStaff::IsHead).default(false))
                    .col(timestamp_with_time_zone(DepartmentStaff::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(DepartmentStaff::DepartmentId)
                            .col(DepartmentStaff::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(DepartmentStaff::Table, DepartmentStaff::DepartmentId)
                            .to(Departments::Table, Departments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(DepartmentStaff::Table, DepartmentStaff::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_department_staff_user")
                    .table(DepartmentStaff::Table)
                    .col(DepartmentStaff::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RequestCategories::Table)
                    .col(big_pk_auto(RequestCategories::Id))
                    .col(big_integer_null(RequestCategories::ParentId))
                    .col(string(RequestCategories::Name))
                    .col(string_len(RequestCategories::Level, 16))
                    .col(big_integer_null(RequestCategories::DepartmentId))
                    .col(small_integer(RequestCategories::AssignDays))
                    .col(small_integer(RequestCategories::AcceptDays))
                    .col(small_integer(RequestCategories::ResolveDays))
                    .col(boolean(RequestCategories::Active).default(true))
                    .col(integer(RequestCategories::Sort).default(0))
                    .col(timestamp_with_time_zone(RequestCategories::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RequestCategories::Table, RequestCategories::ParentId)
                            .to(RequestCategories::Table, RequestCategories::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RequestCategories::Table, RequestCategories::DepartmentId)
                            .to(Departments::Table, Departments::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RequestCategories::Table.into_iden(),
            DepartmentStaff::Table.into_iden(),
            Departments::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Departments {
    Table,
    Id,
    Name,
    Phone,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DepartmentStaff {
    Table,
    DepartmentId,
    UserId,
    IsHead,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum RequestCategories {
    Table,
    Id,
    ParentId,
    Name,
    Level,
    DepartmentId,
    AssignDays,
    AcceptDays,
    ResolveDays,
    Active,
    Sort,
    CreatedAt,
}
