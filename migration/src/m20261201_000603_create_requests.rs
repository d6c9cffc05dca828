//! Residents' requests (诉求), their photos (upload ids), their timeline and
//! the subscribe messages owed to their reporters.
//!
//! The figure columns (`submitted_on`, `accept_secs`, `resolve_secs`,
//! `on_time`) are written with the transition that fixes them, so the board's
//! figures are plain `COUNT` / `SUM` aggregates on SQLite and PostgreSQL
//! alike (no date arithmetic in SQL, which the two spell differently).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_communities::Communities;
use crate::m20261122_000002_create_users_and_sessions::Users;
use crate::m20261201_000601_create_departments::RequestCategories;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Requests::Table)
                    .col(big_pk_auto(Requests::Id))
                    .col(big_integer(Requests::CommunityId))
                    .col(big_integer_null(Requests::GridId))
                    .col(big_integer_null(Requests::BuildingId))
                    .col(big_integer_null(Requests::ComponentId))
                    .col(double_null(Requests::Lat))
                    .col(double_null(Requests::Lng))
                    .col(string(Requests::Address).default(""))
                    .col(big_integer(Requests::CategoryId))
                    .col(text(Requests::Content))
                    .col(string_len(Requests::Urgency, 16))
                    .col(boolean(Requests::Express))
                    .col(boolean(Requests::Anonymous))
                    .col(big_integer(Requests::ReporterId))
                    .col(big_integer_null(Requests::FiledBy))
                    .col(text_null(Requests::Consent))
                    .col(string_null(Requests::ContactPhone))
                    .col(string_len(Requests::Status, 16))
                    .col(string_len(Requests::Level, 16))
                    .col(big_integer_null(Requests::DepartmentId))
                    .col(timestamp_with_time_zone(Requests::AssignDueAt))
                    .col(timestamp_with_time_zone_null(Requests::AcceptDueAt))
                    .col(timestamp_with_time_zone(Requests::ResolveDueAt))
                    .col(timestamp_with_time_zone_null(Requests::DueAt))
                    .col(timestamp_with_time_zone_null(Requests::OverdueSince))
                    .col(small_integer(Requests::Escalation).default(0))
                    .col(timestamp_with_time_zone_null(Requests::AssignedAt))
                    .col(timestamp_with_time_zone_null(Requests::AcceptedAt))
                    .col(big_integer_null(Requests::AcceptedBy))
                    .col(integer_null(Requests::AcceptSecs))
                    .col(timestamp_with_time_zone_null(Requests::ResolvedAt))
                    .col(big_integer_null(Requests::ResolvedBy))
                    .col(text_null(Requests::Resolution))
                    .col(integer_null(Requests::ResolveSecs))
                    .col(boolean_null(Requests::OnTime))
                    .col(string_len(Requests::ExtensionState, 16).default("none"))
                    .col(small_integer_null(Requests::ExtensionDays))
                    .col(text_null(Requests::ExtensionReason))
                    .col(integer(Requests::UrgeCount).default(0))
                    .col(string_len_null(Requests::LastUrgedOn, 10))
                    .col(small_integer(Requests::ReopenCount).default(0))
                    .col(small_integer_null(Requests::Rating))
                    .col(text_null(Requests::RatingComment))
                    .col(timestamp_with_time_zone_null(Requests::RatedAt))
                    .col(boolean(Requests::RatingAuto).default(false))
                    .col(timestamp_with_time_zone(Requests::SubmittedAt))
                    .col(string_len(Requests::SubmittedOn, 10))
                    .col(timestamp_with_time_zone(Requests::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Requests::Table, Requests::CommunityId)
                            .to(Communities::Table, Communities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Requests::Table, Requests::CategoryId)
                            .to(RequestCategories::Table, RequestCategories::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Requests::Table, Requests::ReporterId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let indexes: [(&str, Vec<Requests>); 8] = [
            (
                "idx_requests_community_status",
                vec![Requests::CommunityId, Requests::Status],
            ),
            (
                "idx_requests_department_status",
                vec![Requests::DepartmentId, Requests::Status],
            ),
            (
                "idx_requests_grid_status",
                vec![Requests::GridId, Requests::Status],
            ),
            ("idx_requests_reporter", vec![Requests::ReporterId]),
            ("idx_requests_filed_by", vec![Requests::FiledBy]),
            (
                "idx_requests_status_due",
                vec![Requests::Status, Requests::DueAt],
            ),
            (
                "idx_requests_status_resolved",
                vec![Requests::Status, Requests::ResolvedAt],
            ),
            (
                "idx_requests_community_submitted_on",
                vec![Requests::CommunityId, Requests::SubmittedOn],
            ),
        ];
        for (name, cols) in indexes {
            let mut index = Index::create();
            index.name(name).table(Requests::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(RequestPhotos::Table)
                    .col(big_integer(RequestPhotos::RequestId))
                    .col(string_len(RequestPhotos::Stage, 16))
                    .col(small_integer(RequestPhotos::Position))
                    .col(big_integer(RequestPhotos::UploadId))
                    .primary_key(
                        Index::create()
                            .col(RequestPhotos::RequestId)
                            .col(RequestPhotos::Stage)
                            .col(RequestPhotos::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RequestPhotos::Table, RequestPhotos::RequestId)
                            .to(Requests::Table, Requests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RequestEvents::Table)
                    .col(big_pk_auto(RequestEvents::Id))
                    .col(big_integer(RequestEvents::RequestId))
                    .col(string_len(RequestEvents::Kind, 32))
                    .col(big_integer_null(RequestEvents::ActorId))
                    .col(string_len(RequestEvents::ActorRole, 16))
                    .col(text(RequestEvents::Note))
                    .col(text(RequestEvents::Data))
                    .col(timestamp_with_time_zone(RequestEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RequestEvents::Table, RequestEvents::RequestId)
                            .to(Requests::Table, Requests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_request_events_request")
                    .table(RequestEvents::Table)
                    .col(RequestEvents::RequestId)
                    .col(RequestEvents::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RequestNotifications::Table)
                    .col(big_pk_auto(RequestNotifications::Id))
                    .col(big_integer(RequestNotifications::RequestId))
                    .col(big_integer(RequestNotifications::EventId))
                    .col(big_integer(RequestNotifications::UserId))
                    .col(timestamp_with_time_zone(RequestNotifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(RequestNotifications::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RequestNotifications::Table, RequestNotifications::EventId)
                            .to(RequestEvents::Table, RequestEvents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_request_notifications_event_user")
                    .table(RequestNotifications::Table)
                    .col(RequestNotifications::EventId)
                    .col(RequestNotifications::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_request_notifications_sent")
                    .table(RequestNotifications::Table)
                    .col(RequestNotifications::SentAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RequestNotifications::Table.into_iden(),
            RequestEvents::Table.into_iden(),
            RequestPhotos::Table.into_iden(),
            Requests::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Requests {
    Table,
    Id,
    CommunityId,
    GridId,
    BuildingId,
    ComponentId,
    Lat,
    Lng,
    Address,
    CategoryId,
    Content,
    Urgency,
    Express,
    Anonymous,
    ReporterId,
    FiledBy,
    Consent,
    ContactPhone,
    Status,
    Level,
    DepartmentId,
    AssignDueAt,
    AcceptDueAt,
    ResolveDueAt,
    DueAt,
    OverdueSince,
    Escalation,
    AssignedAt,
    AcceptedAt,
    AcceptedBy,
    AcceptSecs,
    ResolvedAt,
    ResolvedBy,
    Resolution,
    ResolveSecs,
    OnTime,
    ExtensionState,
    ExtensionDays,
    ExtensionReason,
    UrgeCount,
    LastUrgedOn,
    ReopenCount,
    Rating,
    RatingComment,
    RatedAt,
    RatingAuto,
    SubmittedAt,
    SubmittedOn,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RequestPhotos {
    Table,
    RequestId,
    Stage,
    Position,
    UploadId,
}

#[derive(DeriveIden)]
enum RequestEvents {
    Table,
    Id,
    RequestId,
    Kind,
    ActorId,
    ActorRole,
    Note,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RequestNotifications {
    Table,
    Id,
    RequestId,
    EventId,
    UserId,
    CreatedAt,
    SentAt,
}
