//! Activities (四点半驿站, 义诊, 课堂) with sessions and places, residents'
//! family members, sign-ups with a waiting list, organisers authorised by a
//! community, and birth dates verified by an admin or a grid worker.
//!
//! One place per person per session holds in the database: `signups.live_key`
//! (`{session}:u{user}` or `{session}:f{member}`) is UNIQUE while the sign-up
//! is live and NULL once cancelled (both backends allow many NULLs).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_communities::Communities;
use crate::m20261122_000002_create_users_and_sessions::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: (Alias, Alias), to: (Alias, Alias)) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn a(s: &str) -> Alias {
    Alias::new(s)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(VerifiedBirthDates::Table)
                    .col(big_integer(VerifiedBirthDates::UserId).primary_key())
                    .col(date(VerifiedBirthDates::BirthDate))
                    .col(big_integer(VerifiedBirthDates::VerifiedBy))
                    .col(timestamp_with_time_zone(VerifiedBirthDates::VerifiedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(VerifiedBirthDates::Table, VerifiedBirthDates::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FamilyMembers::Table)
                    .col(big_pk_auto(FamilyMembers::Id))
                    .col(big_integer(FamilyMembers::GuardianId))
                    .col(string(FamilyMembers::Name))
                    .col(integer(FamilyMembers::BirthYear))
                    .col(string_len(FamilyMembers::Relation, 16))
                    .col(timestamp_with_time_zone_null(FamilyMembers::RemovedAt))
                    .col(timestamp_with_time_zone(FamilyMembers::CreatedAt))
                    .foreign_key(&mut fk(
                        (a("family_members"), a("guardian_id")),
                        (a("users"), a("id")),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ActivityOrganisers::Table)
                    .col(big_integer(ActivityOrganisers::CommunityId))
                    .col(big_integer(ActivityOrganisers::UserId))
                    .col(string(ActivityOrganisers::Name))
                    .col(timestamp_with_time_zone(ActivityOrganisers::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ActivityOrganisers::CommunityId)
                            .col(ActivityOrganisers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ActivityOrganisers::Table, ActivityOrganisers::CommunityId)
                            .to(Communities::Table, Communities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut fk(
                        (a("activity_organisers"), a("user_id")),
                        (a("users"), a("id")),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Activities::Table)
                    .col(big_pk_auto(Activities::Id))
                    .col(big_integer(Activities::CommunityId))
                    .col(string(Activities::Title))
                    .col(text(Activities::Description))
                    .col(text(Activities::Images))
                    .col(string(Activities::Place))
                    .col(integer_null(Activities::MinAge))
                    .col(integer_null(Activities::MaxAge))
                    .col(integer(Activities::Capacity))
                    .col(timestamp_with_time_zone(Activities::SignupOpensAt))
                    .col(timestamp_with_time_zone(Activities::SignupClosesAt))
                    .col(integer(Activities::CancelCutoffMinutes))
                    .col(boolean(Activities::Waitlist))
                    .col(integer(Activities::Points))
                    .col(string_len(Activities::Status, 16))
                    .col(big_integer(Activities::CreatedBy))
                    .col(timestamp_with_time_zone(Activities::CreatedAt))
                    .col(timestamp_with_time_zone(Activities::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Activities::Table, Activities::CommunityId)
                            .to(Communities::Table, Communities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ActivityCommunities::Table)
                    .col(big_integer(ActivityCommunities::ActivityId))
                    .col(big_integer(ActivityCommunities::CommunityId))
                    .primary_key(
                        Index::create()
                            .col(ActivityCommunities::ActivityId)
                            .col(ActivityCommunities::CommunityId),
                    )
                    .foreign_key(&mut fk(
                        (a("activity_communities"), a("activity_id")),
                        (a("activities"), a("id")),
                    ))
                    .foreign_key(&mut fk(
                        (a("activity_communities"), a("community_id")),
                        (a("communities"), a("id")),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ActivitySessions::Table)
                    .col(big_pk_auto(ActivitySessions::Id))
                    .col(big_integer(ActivitySessions::ActivityId))
                    .col(timestamp_with_time_zone(ActivitySessions::StartsAt))
                    .col(timestamp_with_time_zone(ActivitySessions::EndsAt))
                    .col(integer(ActivitySessions::Capacity))
                    .col(integer(ActivitySessions::Taken))
                    .col(string(ActivitySessions::CheckinSecret))
                    .col(timestamp_with_time_zone_null(
                        ActivitySessions::DayRemindedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        ActivitySessions::HourRemindedAt,
                    ))
                    .col(timestamp_with_time_zone_null(ActivitySessions::ClosedAt))
                    .foreign_key(&mut fk(
                        (a("activity_sessions"), a("activity_id")),
                        (a("activities"), a("id")),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Signups::Table)
                    .col(big_pk_auto(Signups::Id))
                    .col(big_integer(Signups::SessionId))
                    .col(big_integer(Signups::ActivityId))
                    .col(big_integer(Signups::UserId))
                    .col(big_integer_null(Signups::FamilyMemberId))
                    .col(string(Signups::ParticipantName))
                    .col(string_len(Signups::Status, 16))
                    .col(string_null(Signups::LiveKey).unique_key())
                    .col(string_null(Signups::CheckinCode))
                    .col(timestamp_with_time_zone_null(Signups::CheckedInAt))
                    .col(string_len_null(Signups::CheckinMethod, 16))
                    .col(timestamp_with_time_zone(Signups::CreatedAt))
                    .col(timestamp_with_time_zone(Signups::UpdatedAt))
                    .foreign_key(&mut fk(
                        (a("signups"), a("session_id")),
                        (a("activity_sessions"), a("id")),
                    ))
                    .foreign_key(&mut fk((a("signups"), a("user_id")), (a("users"), a("id"))))
                    .to_owned(),
            )
            .await?;
        for (name, table, cols) in [
            (
                "idx_family_members_guardian",
                a("family_members"),
                vec![a("guardian_id")],
            ),
            (
                "idx_activities_community",
                a("activities"),
                vec![a("community_id")],
            ),
            (
                "idx_activity_communities_community",
                a("activity_communities"),
                vec![a("community_id")],
            ),
            (
                "idx_activity_sessions_activity",
                a("activity_sessions"),
                vec![a("activity_id"), a("starts_at")],
            ),
            (
                "idx_activity_sessions_starts",
                a("activity_sessions"),
                vec![a("starts_at")],
            ),
            (
                "idx_signups_session",
                a("signups"),
                vec![a("session_id"), a("status"), a("id")],
            ),
            ("idx_signups_user", a("signups"), vec![a("user_id")]),
        ] {
            let mut index = Index::create().name(name).table(table).to_owned();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "signups",
            "activity_sessions",
            "activity_communities",
            "activities",
            "activity_organisers",
            "family_members",
            "verified_birth_dates",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum VerifiedBirthDates {
    Table,
    UserId,
    BirthDate,
    VerifiedBy,
    VerifiedAt,
}

#[derive(DeriveIden)]
enum FamilyMembers {
    Table,
    Id,
    GuardianId,
    Name,
    BirthYear,
    Relation,
    RemovedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ActivityOrganisers {
    Table,
    CommunityId,
    UserId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    CommunityId,
    Title,
    Description,
    Images,
    Place,
    MinAge,
    MaxAge,
    Capacity,
    SignupOpensAt,
    SignupClosesAt,
    CancelCutoffMinutes,
    Waitlist,
    Points,
    Status,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ActivityCommunities {
    Table,
    ActivityId,
    CommunityId,
}

#[derive(DeriveIden)]
enum ActivitySessions {
    Table,
    Id,
    ActivityId,
    StartsAt,
    EndsAt,
    Capacity,
    Taken,
    CheckinSecret,
    DayRemindedAt,
    HourRemindedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum Signups {
    Table,
    Id,
    SessionId,
    ActivityId,
    UserId,
    FamilyMemberId,
    ParticipantName,
    Status,
    LiveKey,
    CheckinCode,
    CheckedInAt,
    CheckinMethod,
    CreatedAt,
    UpdatedAt,
}
