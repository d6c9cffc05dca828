//! Helper applications (with the communities they ask to serve) and the
//! approved helpers with theirs.

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
                    .table(Helpers::Table)
                    .col(big_pk_auto(Helpers::Id))
                    .col(big_integer_uniq(Helpers::UserId))
                    .col(string(Helpers::DisplayName))
                    .col(string(Helpers::Phone))
                    .col(string(Helpers::Skills))
                    .col(string_len(Helpers::Status, 16))
                    .col(big_integer(Helpers::RatingSum).default(0))
                    .col(big_integer(Helpers::RatingCount).default(0))
                    .col(big_integer(Helpers::SlotsVersion).default(0))
                    .col(timestamp_with_time_zone(Helpers::CreatedAt))
                    .col(timestamp_with_time_zone(Helpers::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Helpers::Table, Helpers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HelperCommunities::Table)
                    .col(big_integer(HelperCommunities::HelperId))
                    .col(big_integer(HelperCommunities::CommunityId))
                    .primary_key(
                        Index::create()
                            .col(HelperCommunities::HelperId)
                            .col(HelperCommunities::CommunityId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(HelperCommunities::Table, HelperCommunities::HelperId)
                            .to(Helpers::Table, Helpers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(HelperCommunities::Table, HelperCommunities::CommunityId)
                            .to(Communities::Table, Communities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HelperApplications::Table)
                    .col(big_pk_auto(HelperApplications::Id))
                    .col(big_integer(HelperApplications::UserId))
                    // = user_id while pending, NULL afterwards: one pending application per user.
                    .col(big_integer_null(HelperApplications::PendingUserId).unique_key())
                    .col(string(HelperApplications::DisplayName))
                    .col(string(HelperApplications::Skills))
                    .col(string(HelperApplications::Phone))
                    .col(string_len(HelperApplications::Status, 16))
                    .col(string_null(HelperApplications::RejectReason))
                    .col(big_integer_null(HelperApplications::HelperId))
                    .col(big_integer_null(HelperApplications::ReviewedBy))
                    .col(timestamp_with_time_zone(HelperApplications::CreatedAt))
                    .col(timestamp_with_time_zone(HelperApplications::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(HelperApplications::Table, HelperApplications::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_helper_applications_user")
                    .table(HelperApplications::Table)
                    .col(HelperApplications::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HelperApplicationCommunities::Table)
                    .col(big_integer(HelperApplicationCommunities::ApplicationId))
                    .col(big_integer(HelperApplicationCommunities::CommunityId))
                    .primary_key(
                        Index::create()
                            .col(HelperApplicationCommunities::ApplicationId)
                            .col(HelperApplicationCommunities::CommunityId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                HelperApplicationCommunities::Table,
                                HelperApplicationCommunities::ApplicationId,
                            )
                            .to(HelperApplications::Table, HelperApplications::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                HelperApplicationCommunities::Table,
                                HelperApplicationCommunities::CommunityId,
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
                    .name("idx_helper_application_communities_community")
                    .table(HelperApplicationCommunities::Table)
                    .col(HelperApplicationCommunities::CommunityId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            HelperApplicationCommunities::Table.into_iden(),
            HelperApplications::Table.into_iden(),
            HelperCommunities::Table.into_iden(),
            Helpers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Helpers {
    Table,
    Id,
    UserId,
    DisplayName,
    Phone,
    Skills,
    Status,
    RatingSum,
    RatingCount,
    SlotsVersion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum HelperCommunities {
    Table,
    HelperId,
    CommunityId,
}

#[derive(DeriveIden)]
enum HelperApplications {
    Table,
    Id,
    UserId,
    PendingUserId,
    DisplayName,
    Skills,
    Phone,
    Status,
    RejectReason,
    HelperId,
    ReviewedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum HelperApplicationCommunities {
    Table,
    ApplicationId,
    CommunityId,
}
