//! The map residents live on: communities, their grids and buildings.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Communities::Table)
                    .col(big_pk_auto(Communities::Id))
                    .col(string(Communities::Name))
                    .col(string(Communities::District))
                    .col(string(Communities::Address))
                    .col(double(Communities::Lat))
                    .col(double(Communities::Lng))
                    .col(timestamp_with_time_zone(Communities::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Grids::Table)
                    .col(big_pk_auto(Grids::Id))
                    .col(big_integer(Grids::CommunityId))
                    .col(string(Grids::Name))
                    .col(timestamp_with_time_zone(Grids::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Grids::Table, Grids::CommunityId)
                            .to(Communities::Table, Communities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_grids_community")
                    .table(Grids::Table)
                    .col(Grids::CommunityId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Buildings::Table)
                    .col(big_pk_auto(Buildings::Id))
                    .col(big_integer(Buildings::GridId))
                    .col(big_integer(Buildings::CommunityId))
                    .col(string(Buildings::Name))
                    .col(integer(Buildings::Households))
                    .col(timestamp_with_time_zone(Buildings::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Buildings::Table, Buildings::GridId)
                            .to(Grids::Table, Grids::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_buildings_grid")
                    .table(Buildings::Table)
                    .col(Buildings::GridId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_buildings_community")
                    .table(Buildings::Table)
                    .col(Buildings::CommunityId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Buildings::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Grids::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Communities::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Communities {
    Table,
    Id,
    Name,
    District,
    Address,
    Lat,
    Lng,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Grids {
    Table,
    Id,
    CommunityId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Buildings {
    Table,
    Id,
    GridId,
    CommunityId,
    Name,
    Households,
    CreatedAt,
}
