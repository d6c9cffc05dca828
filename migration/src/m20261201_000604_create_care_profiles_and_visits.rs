//! The grid worker's tools: care profiles of residents (the five-colour care
//! tier, the "三必访" tags, a guardian for offline residents) and the visit
//! log. Offline residents (elderly without WeChat) are `users` rows without
//! an openid, created by an admin, so requests and bookings can name them
//! like anyone else.

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
                    .table(CareProfiles::Table)
                    .col(big_integer(CareProfiles::UserId).primary_key())
                    .col(string_len_null(CareProfiles::Tier, 8))
                    .col(string(CareProfiles::Tags).default(""))
                    .col(string_null(CareProfiles::GuardianName))
                    .col(string_null(CareProfiles::GuardianPhone))
                    .col(text(CareProfiles::Note))
                    .col(boolean(CareProfiles::Offline).default(false))
                    .col(string_len_null(CareProfiles::LastVisitedOn, 10))
                    .col(string_len_null(CareProfiles::NextVisitDue, 10))
                    .col(big_integer(CareProfiles::CreatedBy))
                    .col(timestamp_with_time_zone(CareProfiles::CreatedAt))
                    .col(timestamp_with_time_zone(CareProfiles::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CareProfiles::Table, CareProfiles::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_care_profiles_next_visit")
                    .table(CareProfiles::Table)
                    .col(CareProfiles::NextVisitDue)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Visits::Table)
                    .col(big_pk_auto(Visits::Id))
                    .col(big_integer(Visits::ResidentId))
                    .col(big_integer(Visits::GridId))
                    .col(big_integer(Visits::WorkerId))
                    .col(string_len(Visits::VisitedOn, 10))
                    .col(text(Visits::Notes))
                    .col(text(Visits::Needs))
                    .col(big_integer_null(Visits::RequestId))
                    .col(timestamp_with_time_zone(Visits::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Visits::Table, Visits::ResidentId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_visits_resident",
                [Visits::ResidentId, Visits::VisitedOn],
            ),
            ("idx_visits_grid", [Visits::GridId, Visits::VisitedOn]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Visits::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Visits::Table.into_iden(), CareProfiles::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum CareProfiles {
    Table,
    UserId,
    Tier,
    Tags,
    GuardianName,
    GuardianPhone,
    Note,
    Offline,
    LastVisitedOn,
    NextVisitDue,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Visits {
    Table,
    Id,
    ResidentId,
    GridId,
    WorkerId,
    VisitedOn,
    Notes,
    Needs,
    RequestId,
    CreatedAt,
}
