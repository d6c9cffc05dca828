//! Services helpers offer (with the communities each serves) and the time
//! slots helpers publish.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_communities::Communities;
use crate::m20261122_000031_create_helpers::Helpers;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Services::Table)
                    .col(big_pk_auto(Services::Id))
                    .col(big_integer(Services::HelperId))
                    .col(string_len(Services::Category, 32))
                    .col(string(Services::Title))
                    .col(text(Services::Description))
                    .col(big_integer(Services::PriceFen))
                    .col(integer(Services::DurationMinutes))
                    .col(boolean(Services::Active).default(true))
                    .col(big_integer(Services::RatingSum).default(0))
                    .col(big_integer(Services::RatingCount).default(0))
                    .col(timestamp_with_time_zone(Services::CreatedAt))
                    .col(timestamp_with_time_zone(Services::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Services::Table, Services::HelperId)
                            .to(Helpers::Table, Helpers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_services_helper")
                    .table(Services::Table)
                    .col(Services::HelperId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServiceCommunities::Table)
                    .col(big_integer(ServiceCommunities::ServiceId))
                    .col(big_integer(ServiceCommunities::CommunityId))
                    .primary_key(
                        Index::create()
                            .col(ServiceCommunities::ServiceId)
                            .col(ServiceCommunities::CommunityId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ServiceCommunities::Table, ServiceCommunities::ServiceId)
                            .to(Services::Table, Services::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ServiceCommunities::Table, ServiceCommunities::CommunityId)
                            .to(Communities::Table, Communities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_service_communities_community")
                    .table(ServiceCommunities::Table)
                    .col(ServiceCommunities::CommunityId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Slots::Table)
                    .col(big_pk_auto(Slots::Id))
                    .col(big_integer(Slots::HelperId))
                    .col(timestamp_with_time_zone(Slots::StartsAt))
                    .col(timestamp_with_time_zone(Slots::EndsAt))
                    .col(boolean(Slots::Booked).default(false))
                    .col(timestamp_with_time_zone(Slots::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Slots::Table, Slots::HelperId)
                            .to(Helpers::Table, Helpers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_slots_helper_starts")
                    .table(Slots::Table)
                    .col(Slots::HelperId)
                    .col(Slots::StartsAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Slots::Table.into_iden(),
            ServiceCommunities::Table.into_iden(),
            Services::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Services {
    Table,
    Id,
    HelperId,
    Category,
    Title,
    Description,
    PriceFen,
    DurationMinutes,
    Active,
    RatingSum,
    RatingCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ServiceCommunities {
    Table,
    ServiceId,
    CommunityId,
}

#[derive(DeriveIden)]
pub enum Slots {
    Table,
    Id,
    HelperId,
    StartsAt,
    EndsAt,
    Booked,
    CreatedAt,
}
