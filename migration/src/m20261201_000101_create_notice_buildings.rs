//! The buildings a notice targets become rows of `notice_buildings` instead
//! of a comma-separated `notices.building_ids` column. Existing targets are
//! carried over; a value that is not a list of ids stops the migration
//! (nothing was ever written that way, and dropping it would widen a notice
//! to the whole community). `down` writes the rows back into the column.

use std::collections::BTreeMap;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Rows per INSERT: well under SQLite's bound-variable limit.
const BATCH: usize = 500;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let targeted = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, building_ids FROM notices WHERE building_ids <> ''",
            ))
            .await?;
        let mut rows = Vec::new();
        for row in targeted {
            let id: i64 = row.try_get("", "id")?;
            let raw: String = row.try_get("", "building_ids")?;
            for part in raw.split(',') {
                let building: i64 = part.trim().parse().map_err(|_| {
                    DbErr::Migration(format!(
                        "notice {id}: building_ids {raw:?} is not a list of building ids"
                    ))
                })?;
                rows.push((id, building));
            }
        }
        rows.sort_unstable();
        rows.dedup();
        // Everything was read and understood before anything changes.
        manager
            .create_table(
                Table::create()
                    .table(NoticeBuildings::Table)
                    .col(
                        ColumnDef::new(NoticeBuildings::NoticeId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(NoticeBuildings::BuildingId)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(NoticeBuildings::NoticeId)
                            .col(NoticeBuildings::BuildingId),
                    )
                    .to_owned(),
            )
            .await?;
        for chunk in rows.chunks(BATCH) {
            let mut insert = Query::insert();
            insert
                .into_table(NoticeBuildings::Table)
                .columns([NoticeBuildings::NoticeId, NoticeBuildings::BuildingId]);
            for (notice, building) in chunk {
                insert
                    .values([(*notice).into(), (*building).into()])
                    .map_err(|e| DbErr::Migration(e.to_string()))?;
            }
            manager.exec_stmt(insert).await?;
        }
        db.execute_unprepared("ALTER TABLE notices DROP COLUMN building_ids")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        db.execute_unprepared(
            "ALTER TABLE notices ADD COLUMN building_ids TEXT NOT NULL DEFAULT ''",
        )
        .await?;
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT notice_id, building_id FROM notice_buildings ORDER BY notice_id, building_id",
            ))
            .await?;
        let mut targets: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for row in rows {
            let notice: i64 = row.try_get("", "notice_id")?;
            let building: i64 = row.try_get("", "building_id")?;
            targets
                .entry(notice)
                .or_default()
                .push(building.to_string());
        }
        for (notice, buildings) in targets {
            let update = Query::update()
                .table(Notices::Table)
                .value(Notices::BuildingIds, buildings.join(","))
                .and_where(Expr::col(Notices::Id).eq(notice))
                .to_owned();
            manager.exec_stmt(update).await?;
        }
        manager
            .drop_table(Table::drop().table(NoticeBuildings::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum NoticeBuildings {
    Table,
    NoticeId,
    BuildingId,
}

#[derive(DeriveIden)]
enum Notices {
    Table,
    Id,
    BuildingIds,
}
