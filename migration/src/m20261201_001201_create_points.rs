//! Volunteer points (积分制): each community's rule book, the append-only
//! ledger, the balance row kept with it, and the per-rule usage counters the
//! day and month caps are enforced on.
//!
//! - `point_entries.undoes_id` is UNIQUE: an entry is reversed or expired
//!   at most once.
//! - `point_entries (user_id, source_ref)` is UNIQUE: an award for one
//!   thing (a wish, an activity) reaches a user once.
//! - `point_balances.balance` only moves by conditional updates that keep it
//!   at or above zero.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PointRules::Table)
                    .col(big_pk_auto(PointRules::Id))
                    .col(big_integer(PointRules::CommunityId))
                    .col(string_len(PointRules::Class, 32))
                    .col(string_len(PointRules::Name, 60))
                    .col(integer(PointRules::Points))
                    .col(integer_null(PointRules::DailyCap))
                    .col(integer_null(PointRules::MonthlyCap))
                    .col(string_len_null(PointRules::Code, 32))
                    .col(boolean(PointRules::Active))
                    .col(integer(PointRules::Position))
                    .col(timestamp_with_time_zone(PointRules::CreatedAt))
                    .col(timestamp_with_time_zone(PointRules::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_point_rules_name")
                    .table(PointRules::Table)
                    .col(PointRules::CommunityId)
                    .col(PointRules::Class)
                    .col(PointRules::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_point_rules_code")
                    .table(PointRules::Table)
                    .col(PointRules::CommunityId)
                    .col(PointRules::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PointBalances::Table)
                    .col(big_integer(PointBalances::UserId))
                    .col(big_integer(PointBalances::CommunityId))
                    .col(big_integer(PointBalances::Balance))
                    .col(timestamp_with_time_zone(PointBalances::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(PointBalances::UserId)
                            .col(PointBalances::CommunityId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PointRuleUsage::Table)
                    .col(big_integer(PointRuleUsage::UserId))
                    .col(big_integer(PointRuleUsage::RuleId))
                    .col(string_len(PointRuleUsage::Period, 10))
                    .col(big_integer(PointRuleUsage::Points))
                    .primary_key(
                        Index::create()
                            .col(PointRuleUsage::UserId)
                            .col(PointRuleUsage::RuleId)
                            .col(PointRuleUsage::Period),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PointEntries::Table)
                    .col(big_pk_auto(PointEntries::Id))
                    .col(big_integer(PointEntries::UserId))
                    .col(big_integer(PointEntries::CommunityId))
                    .col(string_len(PointEntries::Kind, 16))
                    .col(big_integer(PointEntries::Points))
                    .col(string_len(PointEntries::Source, 16))
                    .col(string_len_null(PointEntries::SourceRef, 64))
                    .col(big_integer_null(PointEntries::RuleId))
                    .col(big_integer_null(PointEntries::GrantedBy))
                    .col(integer(PointEntries::Minutes))
                    .col(big_integer_null(PointEntries::PhotoUploadId))
                    .col(string_len(PointEntries::Note, 200))
                    .col(big_integer_null(PointEntries::UndoesId))
                    .col(timestamp_with_time_zone(PointEntries::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "idx_point_entries_user",
                vec![PointEntries::UserId, PointEntries::Id],
                false,
            ),
            (
                "idx_point_entries_community",
                vec![PointEntries::CommunityId, PointEntries::CreatedAt],
                false,
            ),
            (
                "uq_point_entries_undoes",
                vec![PointEntries::UndoesId],
                true,
            ),
            (
                "uq_point_entries_source",
                vec![PointEntries::UserId, PointEntries::SourceRef],
                true,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(PointEntries::Table);
            for c in cols {
                index.col(c);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PointEntries::Table.into_iden(),
            PointRuleUsage::Table.into_iden(),
            PointBalances::Table.into_iden(),
            PointRules::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum PointRules {
    Table,
    Id,
    CommunityId,
    Class,
    Name,
    Points,
    DailyCap,
    MonthlyCap,
    Code,
    Active,
    Position,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PointBalances {
    Table,
    UserId,
    CommunityId,
    Balance,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PointRuleUsage {
    Table,
    UserId,
    RuleId,
    Period,
    Points,
}

#[derive(DeriveIden)]
enum PointEntries {
    Table,
    Id,
    UserId,
    CommunityId,
    Kind,
    Points,
    Source,
    SourceRef,
    RuleId,
    GrantedBy,
    Minutes,
    PhotoUploadId,
    Note,
    UndoesId,
    CreatedAt,
}
