//! Odd jobs (零工驿站): organisations an admin registers as employers, jobs
//! posted by them or by approved merchants for listed communities, the
//! residents' applications (one per resident and job: a unique index;
//! `accepted_count` never passes `headcount`, kept by a conditional update),
//! and residents' abuse reports (one per resident and job).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobOrganisations::Table)
                    .col(big_pk_auto(JobOrganisations::Id))
                    .col(string_len(JobOrganisations::Name, 64))
                    .col(big_integer(JobOrganisations::UserId))
                    .col(big_integer(JobOrganisations::CommunityId))
                    .col(string_len(JobOrganisations::ContactPhone, 20))
                    .col(big_integer(JobOrganisations::CreatedBy))
                    .col(timestamp_with_time_zone(JobOrganisations::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OddJobs::Table)
                    .col(big_pk_auto(OddJobs::Id))
                    .col(big_integer_null(OddJobs::MerchantId))
                    .col(big_integer_null(OddJobs::OrganisationId))
                    .col(big_integer(OddJobs::PostedBy))
                    .col(string_len(OddJobs::Title, 64))
                    .col(text(OddJobs::Requirements))
                    .col(big_integer(OddJobs::PayFen))
                    .col(string_len(OddJobs::PayUnit, 16))
                    .col(string_len(OddJobs::Place, 128))
                    .col(timestamp_with_time_zone(OddJobs::StartsAt))
                    .col(timestamp_with_time_zone(OddJobs::EndsAt))
                    .col(integer(OddJobs::Headcount))
                    .col(integer(OddJobs::AcceptedCount).default(0))
                    .col(string_len(OddJobs::ContactName, 32))
                    .col(string_len(OddJobs::ContactPhone, 20))
                    .col(string_len(OddJobs::Status, 16))
                    .col(string_len_null(OddJobs::TakedownReason, 200))
                    .col(timestamp_with_time_zone(OddJobs::CreatedAt))
                    .col(timestamp_with_time_zone(OddJobs::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_odd_jobs_status_ends")
                    .table(OddJobs::Table)
                    .col(OddJobs::Status)
                    .col(OddJobs::EndsAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OddJobCommunities::Table)
                    .col(big_integer(OddJobCommunities::JobId))
                    .col(big_integer(OddJobCommunities::CommunityId))
                    .primary_key(
                        Index::create()
                            .col(OddJobCommunities::JobId)
                            .col(OddJobCommunities::CommunityId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OddJobCommunities::Table, OddJobCommunities::JobId)
                            .to(OddJobs::Table, OddJobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobApplications::Table)
                    .col(big_pk_auto(JobApplications::Id))
                    .col(big_integer(JobApplications::JobId))
                    .col(big_integer(JobApplications::ApplicantId))
                    .col(string_len(JobApplications::Note, 200))
                    .col(string_len(JobApplications::Status, 16))
                    .col(timestamp_with_time_zone(JobApplications::CreatedAt))
                    .col(timestamp_with_time_zone_null(JobApplications::DecidedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(JobApplications::Table, JobApplications::JobId)
                            .to(OddJobs::Table, OddJobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_job_applications_applicant")
                    .table(JobApplications::Table)
                    .col(JobApplications::JobId)
                    .col(JobApplications::ApplicantId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobReports::Table)
                    .col(big_pk_auto(JobReports::Id))
                    .col(big_integer(JobReports::JobId))
                    .col(big_integer(JobReports::ReporterId))
                    .col(string_len(JobReports::Reason, 200))
                    .col(timestamp_with_time_zone(JobReports::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(JobReports::Table, JobReports::JobId)
                            .to(OddJobs::Table, OddJobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_job_reports_reporter")
                    .table(JobReports::Table)
                    .col(JobReports::JobId)
                    .col(JobReports::ReporterId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            JobReports::Table.into_iden(),
            JobApplications::Table.into_iden(),
            OddJobCommunities::Table.into_iden(),
            OddJobs::Table.into_iden(),
            JobOrganisations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum JobOrganisations {
    Table,
    Id,
    Name,
    UserId,
    CommunityId,
    ContactPhone,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OddJobs {
    Table,
    Id,
    MerchantId,
    OrganisationId,
    PostedBy,
    Title,
    Requirements,
    PayFen,
    PayUnit,
    Place,
    StartsAt,
    EndsAt,
    Headcount,
    AcceptedCount,
    ContactName,
    ContactPhone,
    Status,
    TakedownReason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OddJobCommunities {
    Table,
    JobId,
    CommunityId,
}

#[derive(DeriveIden)]
enum JobApplications {
    Table,
    Id,
    JobId,
    ApplicantId,
    Note,
    Status,
    CreatedAt,
    DecidedAt,
}

#[derive(DeriveIden)]
enum JobReports {
    Table,
    Id,
    JobId,
    ReporterId,
    Reason,
    CreatedAt,
}
