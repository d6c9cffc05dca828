//! City components (城市部件): manhole covers, poles, charging piles ... each
//! with a code, coordinates, the unit that owns it and its phone, so a
//! resident who scans the code on it reports the right thing to the right
//! people.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_communities::Communities;
use crate::m20261201_000601_create_departments::Departments;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CityComponents::Table)
                    .col(big_pk_auto(CityComponents::Id))
                    .col(big_integer(CityComponents::CommunityId))
                    .col(big_integer_null(CityComponents::GridId))
                    .col(string_len(CityComponents::Kind, 32))
                    .col(string_len(CityComponents::Code, 64).unique_key())
                    .col(string(CityComponents::Name))
                    .col(double(CityComponents::Lat))
                    .col(double(CityComponents::Lng))
                    .col(string(CityComponents::OwnerUnit))
                    .col(string(CityComponents::Phone))
                    .col(big_integer_null(CityComponents::DepartmentId))
                    .col(timestamp_with_time_zone(CityComponents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CityComponents::Table, CityComponents::CommunityId)
                            .to(Communities::Table, Communities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CityComponents::Table, CityComponents::DepartmentId)
                            .to(Departments::Table, Departments::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_city_components_community")
                    .table(CityComponents::Table)
                    .col(CityComponents::CommunityId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CityComponents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum CityComponents {
    Table,
    Id,
    CommunityId,
    GridId,
    Kind,
    Code,
    Name,
    Lat,
    Lng,
    OwnerUnit,
    Phone,
    DepartmentId,
    CreatedAt,
}
