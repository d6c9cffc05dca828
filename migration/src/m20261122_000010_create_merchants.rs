//! Merchants: applications to join (with the communities they would serve),
//! the merchants an approval creates, and the communities each serves.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_communities::Communities;
use crate::m20261122_000002_create_users_and_sessions::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MerchantApplications::Table)
                    .col(big_pk_auto(MerchantApplications::Id))
                    .col(big_integer(MerchantApplications::UserId))
                    // Equals user_id while pending, NULL once reviewed: the unique
                    // index allows one pending application per user on both backends.
                    .col(big_integer_null(MerchantApplications::PendingUserId).unique_key())
                    .col(string(MerchantApplications::Name))
                    .col(string(MerchantApplications::Category))
                    .col(string(MerchantApplications::LicenseNo))
                    .col(string(MerchantApplications::ContactName))
                    .col(string(MerchantApplications::ContactPhone))
                    .col(string(MerchantApplications::Address))
                    .col(double(MerchantApplications::Lat))
                    .col(double(MerchantApplications::Lng))
                    .col(string(MerchantApplications::Status))
                    .col(string_null(MerchantApplications::RejectReason))
                    .col(big_integer_null(MerchantApplications::MerchantId))
                    .col(big_integer_null(MerchantApplications::ReviewedBy))
                    .col(timestamp_with_time_zone_null(
                        MerchantApplications::ReviewedAt,
                    ))
                    .col(timestamp_with_time_zone(MerchantApplications::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MerchantApplications::Table, MerchantApplications::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_merchant_applications_user")
                    .table(MerchantApplications::Table)
                    .col(MerchantApplications::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MerchantApplicationCommunities::Table)
                    .col(big_integer(MerchantApplicationCommunities::ApplicationId))
                    .col(big_integer(MerchantApplicationCommunities::CommunityId))
                    .primary_key(
                        Index::create()
                            .col(MerchantApplicationCommunities::ApplicationId)
                            .col(MerchantApplicationCommunities::CommunityId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                MerchantApplicationCommunities::Table,
                                MerchantApplicationCommunities::ApplicationId,
                            )
                            .to(MerchantApplications::Table, MerchantApplications::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                MerchantApplicationCommunities::Table,
                                MerchantApplicationCommunities::CommunityId,
                            )
                            .to(Communities::Table, Communities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_merchant_application_communities_community")
                    .table(MerchantApplicationCommunities::Table)
                    .col(MerchantApplicationCommunities::CommunityId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Merchants::Table)
                    .col(big_pk_auto(Merchants::Id))
                    .col(big_integer(Merchants::OwnerUserId))
                    .col(big_integer_null(Merchants::ApplicationId))
                    .col(string(Merchants::Name))
                    .col(string(Merchants::Category))
                    .col(string(Merchants::LicenseNo))
                    .col(string(Merchants::Address))
                    .col(double(Merchants::Lat))
                    .col(double(Merchants::Lng))
                    .col(string(Merchants::BusinessHours).default(""))
                    .col(string(Merchants::Announcement).default(""))
                    .col(string_null(Merchants::LogoUrl))
                    .col(string(Merchants::ContactPhone))
                    .col(string(Merchants::Status))
                    .col(timestamp_with_time_zone(Merchants::CreatedAt))
                    .col(timestamp_with_time_zone(Merchants::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Merchants::Table, Merchants::OwnerUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_merchants_owner")
                    .table(Merchants::Table)
                    .col(Merchants::OwnerUserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MerchantCommunities::Table)
                    .col(big_integer(MerchantCommunities::MerchantId))
                    .col(big_integer(MerchantCommunities::CommunityId))
                    .primary_key(
                        Index::create()
                            .col(MerchantCommunities::MerchantId)
                            .col(MerchantCommunities::CommunityId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MerchantCommunities::Table, MerchantCommunities::MerchantId)
                            .to(Merchants::Table, Merchants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MerchantCommunities::Table, MerchantCommunities::CommunityId)
                            .to(Communities::Table, Communities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_merchant_communities_community")
                    .table(MerchantCommunities::Table)
                    .col(MerchantCommunities::CommunityId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MerchantCommunities::Table.into_iden(),
            Merchants::Table.into_iden(),
            MerchantApplicationCommunities::Table.into_iden(),
            MerchantApplications::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum MerchantApplications {
    Table,
    Id,
    UserId,
    PendingUserId,
    Name,
    Category,
    LicenseNo,
    ContactName,
    ContactPhone,
    Address,
    Lat,
    Lng,
    Status,
    RejectReason,
    MerchantId,
    ReviewedBy,
    ReviewedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum MerchantApplicationCommunities {
    Table,
    ApplicationId,
    CommunityId,
}

#[derive(DeriveIden)]
pub enum Merchants {
    Table,
    Id,
    OwnerUserId,
    ApplicationId,
    Name,
    Category,
    LicenseNo,
    Address,
    Lat,
    Lng,
    BusinessHours,
    Announcement,
    LogoUrl,
    ContactPhone,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum MerchantCommunities {
    Table,
    MerchantId,
    CommunityId,
}
