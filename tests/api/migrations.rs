//! Migrations that move data, run against rows in the shape before them.

use chrono::Utc;
use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::support::fresh_database_url;

const NOTICE_BUILDINGS: &str = "m20261201_000101_create_notice_buildings";

/// A database migrated up to, not including, `name`.
async fn migrated_before(name: &str) -> DatabaseConnection {
    let db = Database::connect(fresh_database_url().await)
        .await
        .expect("test database");
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == name)
        .expect("the migration is registered");
    Migrator::up(&db, Some(before as u32)).await.unwrap();
    db
}

/// A notice in the old shape, its targets a comma-separated column; answers its id.
async fn old_notice(db: &DatabaseConnection, building_ids: &str) -> i64 {
    let now = Utc::now();
    let insert = Query::insert()
        .into_table(Alias::new("notices"))
        .columns(
            [
                "community_id",
                "kind",
                "title",
                "content",
                "building_ids",
                "pinned",
                "push",
                "status",
                "created_by",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            1.into(),
            "general".into(),
            "t".into(),
            "c".into(),
            building_ids.into(),
            false.into(),
            false.into(),
            "draft".into(),
            1.into(),
            now.into(),
            now.into(),
        ])
        .to_owned();
    db.execute(&insert).await.unwrap();
    let backend = db.get_database_backend();
    db.query_one_raw(Statement::from_string(
        backend,
        "SELECT MAX(id) FROM notices",
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get_by_index::<i64>(0)
    .unwrap()
}

async fn targets(db: &DatabaseConnection) -> Vec<(i64, i64)> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_string(
        backend,
        "SELECT notice_id, building_id FROM notice_buildings ORDER BY notice_id, building_id",
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.try_get_by_index(0).unwrap(),
            r.try_get_by_index(1).unwrap(),
        )
    })
    .collect()
}

async fn column(db: &DatabaseConnection) -> Vec<(i64, String)> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_string(
        backend,
        "SELECT id, building_ids FROM notices ORDER BY id",
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.try_get_by_index(0).unwrap(),
            r.try_get_by_index(1).unwrap(),
        )
    })
    .collect()
}

#[tokio::test]
async fn notice_targets_move_from_the_column_to_rows_and_back() {
    let db = migrated_before(NOTICE_BUILDINGS).await;
    let whole = old_notice(&db, "").await;
    let two = old_notice(&db, "12,5").await;
    let spaced = old_notice(&db, " 7 , 7,8").await;

    Migrator::up(&db, Some(1)).await.unwrap();
    assert_eq!(
        targets(&db).await,
        vec![(two, 5), (two, 12), (spaced, 7), (spaced, 8)],
        "each listed building is a row; the whole community has none"
    );
    let gone = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT building_ids FROM notices",
        ))
        .await;
    assert!(gone.is_err(), "the column is dropped");

    Migrator::down(&db, Some(1)).await.unwrap();
    assert_eq!(
        column(&db).await,
        vec![
            (whole, String::new()),
            (two, "5,12".to_owned()),
            (spaced, "7,8".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_target_that_is_not_a_list_of_ids_stops_the_migration_and_changes_nothing() {
    let db = migrated_before(NOTICE_BUILDINGS).await;
    let good = old_notice(&db, "3").await;
    let bad = old_notice(&db, "3,x").await;
    let err = Migrator::up(&db, Some(1)).await.unwrap_err();
    assert!(err.to_string().contains(&format!("notice {bad}")), "{err}");
    assert_eq!(
        column(&db).await,
        vec![(good, "3".to_owned()), (bad, "3,x".to_owned())],
        "the notices keep their targets"
    );
    let table = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT notice_id FROM notice_buildings",
        ))
        .await;
    assert!(table.is_err(), "no table was made");
}
