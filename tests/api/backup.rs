//! Backups and restore (issue 22). Backups are of the embedded SQLite file,
//! so these tests put each instance on a SQLite file of its own in both
//! passes (with Redis in the PostgreSQL + Redis pass); the PostgreSQL answer
//! is tested too.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use secrecy::ExposeSecret;
use serde_json::json;
use yizhan::backup::{self, BackupError, BackupMonitor, Round, Scheduler, ServeLock};
use yizhan::settings::{DestinationBackend, KeepSettings, Settings};
use yizhan::startup::Application;
use yizhan::telemetry::Metrics;

use crate::group_buys::{market, neighbour, open_campaign};
use crate::support::{TestApp, config_dir, spawn_app_with, spawn_sibling, test_settings};

/// A fresh directory of this test's own.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir()
        .join("yizhan-tests")
        .join(format!("backup-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("yizhan.db").display())
}

/// Test settings on a SQLite file in `dir`, with a media directory of its
/// own there (absent until a test creates it).
fn sqlite_settings(dir: &Path) -> Settings {
    let mut settings = test_settings();
    settings.database.url = sqlite_url(dir).into();
    settings.backup.media_dir = dir.join("media");
    settings
}

/// An instance on a SQLite file of its own (backups land in `backups/`
/// beside it); background sweeps slowed down, logins unlimited.
async fn sqlite_app(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = scratch();
    spawn_app_with(move |s| {
        s.database.url = sqlite_url(&dir).into();
        s.backup.media_dir = dir.join("media");
        s.jobs.sweep_interval_ms = 3_600_000;
        s.rate_limit.login_per_minute = 100_000;
        adjust(s);
    })
    .await
}

fn db_file(settings: &Settings) -> PathBuf {
    backup::sqlite_file(&settings.database).expect("a SQLite file")
}

fn backups_dir(settings: &Settings) -> PathBuf {
    settings.backup.dir_for(&db_file(settings))
}

/// Opens a backup the way an operator would: gunzipped by hand, opened,
/// `PRAGMA integrity_check` must say `ok`.
async fn open_backup(file: &Path) -> DatabaseConnection {
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(file).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    let copy = scratch().join("opened.db");
    std::fs::write(&copy, bytes).unwrap();
    let db = Database::connect(format!("sqlite://{}?mode=ro", copy.display()))
        .await
        .unwrap();
    let check = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.try_get_by_index::<String>(0).unwrap(), "ok");
    db
}

async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".lock"))
        .collect();
    names.sort();
    names
}

fn yizhan() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yizhan"));
    cmd.env("YIZHAN_CONFIG_DIR", config_dir())
        .env("YIZHAN_ENV", "test")
        .env_remove("YIZHAN__REDIS__URL")
        .env_remove("YIZHAN__DATABASE__URL");
    cmd
}

/// Waits until no server holds the database (a stopped server's task
/// releases its lock just after the stop returns).
async fn until_no_server_holds(file: &Path) {
    for _ in 0..200 {
        if ServeLock::exclusive(file).is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the stopped server still holds {}", file.display());
}

#[tokio::test]
async fn a_backup_taken_while_twenty_residents_order_holds_every_order_committed_before_it() {
    let app = sqlite_app(|_| {}).await;
    let m = market(&app, 100_000).await;
    let id = open_campaign(&app, &m, 100_000, 1, 100_000).await;
    let mut tokens = Vec::new();
    for i in 0..20 {
        tokens.push(neighbour(&app, &m, &format!("orderer-{i}")).await);
    }
    let path = format!("/group-buys/{id}/orders");
    let stop = AtomicBool::new(false);
    // (when the 201 arrived, order number)
    let placed: Mutex<Vec<(Instant, String)>> = Mutex::default();

    let client = |token: &String| {
        let (app, path, stop, placed) = (&app, &path, &stop, &placed);
        let token = token.clone();
        async move {
            while !stop.load(Ordering::Relaxed) {
                let r = app.post(path, Some(&token), json!({ "quantity": 1 })).await;
                assert_eq!(r.status, 201, "{}", r.text);
                let order_no = r.body["order_no"].as_str().unwrap().to_owned();
                placed.lock().unwrap().push((Instant::now(), order_no));
            }
        }
    };
    let backup_meanwhile = async {
        while placed.lock().unwrap().len() < 200 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let started = Instant::now();
        let taken = backup::backup_now(&app.settings, None).await;
        let ended = Instant::now();
        // Orders go on a little after the backup, then the clients stop.
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.store(true, Ordering::Relaxed);
        (started, ended, taken)
    };
    let (_, (started, ended, taken)) = tokio::join!(
        futures_util::future::join_all(tokens.iter().map(client)),
        backup_meanwhile
    );
    let (snapshot, copied) = taken.unwrap();
    assert!(copied.is_none(), "no destination configured");
    let placed = placed.into_inner().unwrap();
    let before: Vec<&String> = placed
        .iter()
        .filter(|(at, _)| *at < started)
        .map(|(_, n)| n)
        .collect();
    let during = placed
        .iter()
        .filter(|(at, _)| *at >= started && *at <= ended)
        .count();
    assert!(before.len() >= 200);
    assert!(
        placed.len() > before.len(),
        "orders kept being placed while the backup ran ({during} during it)"
    );

    let copy = open_backup(&snapshot.database).await;
    let in_backup: HashSet<String> = strings(&copy, "SELECT order_no FROM orders")
        .await
        .into_iter()
        .collect();
    let missing: Vec<_> = before.iter().filter(|n| !in_backup.contains(**n)).collect();
    assert!(
        missing.is_empty(),
        "orders missing from the backup: {missing:?}"
    );
    assert!(in_backup.len() <= placed.len());
    let live = strings(&app.db, "SELECT order_no FROM orders").await;
    assert_eq!(
        live.len(),
        placed.len(),
        "the live database has every order"
    );
    assert!(
        snapshot
            .database
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with(&format!("yizhan-{}", Utc::now().format("%Y%m%d"))),
        "named by UTC time: {}",
        snapshot.database.display()
    );
}

#[tokio::test]
async fn restore_round_trip_drops_later_writes_and_the_server_starts_on_it() {
    let media = scratch().join("media");
    std::fs::create_dir_all(media.join("ab")).unwrap();
    std::fs::write(media.join("ab/photo.jpg"), b"jpeg bytes").unwrap();
    let media_dir = media.clone();
    let a = sqlite_app(move |s| s.backup.media_dir = media_dir).await;
    let m = market(&a, 1_000).await;
    let early = open_campaign(&a, &m, 100, 1, 10).await;
    let buyer = neighbour(&a, &m, "early-buyer").await;
    let path = format!("/group-buys/{early}/orders");
    let first = a.post(&path, Some(&buyer), json!({ "quantity": 2 })).await;
    assert_eq!(first.status, 201, "{}", first.text);

    let (snapshot, _) = backup::backup_now(&a.settings, None).await.unwrap();
    let archived = snapshot.media.as_ref().expect("the media tree is archived");
    assert_eq!(archived.files, 1);

    // Written after the backup: a campaign, an order, and a lost photo.
    let late = open_campaign(&a, &m, 50, 1, 10).await;
    let second = a.post(&path, Some(&buyer), json!({ "quantity": 3 })).await;
    assert_eq!(second.status, 201, "{}", second.text);
    std::fs::remove_file(media.join("ab/photo.jpg")).unwrap();

    a.server.stop(true).await;
    a.db.clone().close().await.unwrap();
    let file = db_file(&a.settings);
    until_no_server_holds(&file).await;
    let restored = backup::restore(&a.settings, &snapshot.database)
        .await
        .unwrap();
    assert_eq!(restored.database, file);
    let previous = restored.previous.clone().expect("the old database is kept");
    assert!(previous.is_file(), "{}", previous.display());
    assert_eq!(restored.migrations_applied, 0);
    assert_eq!(restored.media_restored, 1);
    assert_eq!(
        std::fs::read(media.join("ab/photo.jpg")).unwrap(),
        b"jpeg bytes"
    );

    let b = spawn_sibling(&a).await;
    let ready = b.get("/readyz", None).await;
    assert_eq!(
        (ready.status.as_u16(), ready.body["status"].as_str()),
        (200, Some("ok"))
    );
    assert_eq!(
        b.get(&format!("/group-buys/{late}"), None).await.status,
        404
    );
    let gb = b.get(&format!("/group-buys/{early}"), None).await;
    assert_eq!(
        (
            gb.body["ordered_quantity"].as_i64(),
            gb.body["orders_count"].as_i64()
        ),
        (Some(2), Some(1)),
        "{}",
        gb.text
    );
    // It takes writes, and they land in the restored file.
    let third = b.post(&path, Some(&buyer), json!({ "quantity": 1 })).await;
    assert_eq!(third.status, 201, "{}", third.text);
    let on_disk = Database::connect(format!("sqlite://{}?mode=ro", file.display()))
        .await
        .unwrap();
    let mut orders = strings(&on_disk, "SELECT order_no FROM orders").await;
    orders.sort();
    let mut expected = vec![
        first.body["order_no"].as_str().unwrap().to_owned(),
        third.body["order_no"].as_str().unwrap().to_owned(),
    ];
    expected.sort();
    assert_eq!(orders, expected);
    // The database moved aside still holds what the restore dropped.
    let aside = Database::connect(format!("sqlite://{}?mode=ro", previous.display()))
        .await
        .unwrap();
    assert_eq!(
        strings(&aside, "SELECT order_no FROM orders").await.len(),
        2
    );
}

#[tokio::test]
async fn restore_is_refused_while_a_server_holds_the_database() {
    let app = sqlite_app(|_| {}).await;
    let platform = app.platform_admin().await;
    let (community, _, _) = app.community_with_building(&platform, "在线社区").await;
    let (snapshot, _) = backup::backup_now(&app.settings, None).await.unwrap();
    let file = db_file(&app.settings);
    let dir = file.parent().unwrap().to_owned();
    let before = file_names(&dir);

    let err = backup::restore(&app.settings, &snapshot.database)
        .await
        .unwrap_err();
    assert!(matches!(err, BackupError::ServerRunning(_)), "{err}");

    // The real binary, another process, is refused the same way.
    let out = yizhan()
        .env(
            "YIZHAN__DATABASE__URL",
            app.settings.database.url.expose_secret(),
        )
        .arg("restore")
        .arg(&snapshot.database)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("a yizhan server is serving"), "{stderr}");

    assert_eq!(file_names(&dir), before, "nothing moved or written");
    let c = app.get(&format!("/communities/{community}"), None).await;
    assert_eq!(c.status, 200, "the server carries on: {}", c.text);
}

#[tokio::test]
async fn restore_refuses_a_damaged_or_foreign_file_and_keeps_the_database() {
    let dir = scratch();
    let settings = sqlite_settings(&dir);
    let db = yizhan::db::connect(&settings.database).await.unwrap();
    yizhan::db::migrate(&db).await.unwrap();
    yizhan::admins::create_admin_account(
        &db,
        "keeper",
        "keeper-pass-1",
        yizhan::admins::AdminScope::Platform,
    )
    .await
    .unwrap();
    db.close().await.unwrap();
    let (snapshot, _) = backup::backup_now(&settings, None).await.unwrap();
    let good = std::fs::read(&snapshot.database).unwrap();

    let truncated = dir.join("truncated.db.gz");
    std::fs::write(&truncated, &good[..good.len() / 2]).unwrap();
    let text = dir.join("notes.db.gz");
    std::fs::write(&text, "not a database").unwrap();
    let foreign = dir.join("foreign.db");
    let other = Database::connect(format!("sqlite://{}?mode=rwc", foreign.display()))
        .await
        .unwrap();
    other
        .execute_unprepared("CREATE TABLE t (x INTEGER)")
        .await
        .unwrap();
    other.close().await.unwrap();

    let before = file_names(&dir);
    for bad in [&truncated, &text, &foreign] {
        let err = backup::restore(&settings, bad).await.unwrap_err();
        assert!(
            matches!(err, BackupError::Damaged(_)),
            "{}: {err}",
            bad.display()
        );
    }
    let missing = backup::restore(&settings, &dir.join("nope.db.gz"))
        .await
        .unwrap_err();
    assert!(matches!(missing, BackupError::Io { .. }), "{missing}");
    assert_eq!(
        file_names(&dir),
        before,
        "nothing moved, nothing left behind"
    );
    let db = yizhan::db::connect(&settings.database).await.unwrap();
    assert_eq!(
        strings(&db, "SELECT username FROM users WHERE username IS NOT NULL").await,
        ["keeper"]
    );
}

#[tokio::test]
async fn retention_keeps_exactly_the_newest_count_and_nothing_older_than_the_age() {
    let dir = scratch();
    let backups = dir.join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    let now = Utc::now();
    let name = |hours: i64| backup::name_for(now - TimeDelta::hours(hours));
    for hours in [1, 5, 30, 60, 100] {
        std::fs::write(backups.join(format!("{}.db.gz", name(hours))), "x").unwrap();
    }
    std::fs::write(backups.join(format!("{}.media.tar", name(5))), "x").unwrap();
    std::fs::write(backups.join(format!("{}.media.tar", name(60))), "x").unwrap();
    std::fs::write(backups.join("README.txt"), "not a backup").unwrap();

    let keep = KeepSettings { count: 3, days: 1 };
    let removed = backup::prune(&backups, &keep, now).unwrap();
    assert_eq!(
        removed.len(),
        3,
        "30 h and 60 h are past a day, 100 h past both"
    );
    let mut expected = vec![
        format!("{}.db.gz", name(1)),
        format!("{}.db.gz", name(5)),
        format!("{}.media.tar", name(5)),
        "README.txt".to_owned(),
    ];
    expected.sort();
    assert_eq!(file_names(&backups), expected);

    // A scheduled round applies the configured retention after its backup.
    let mut settings = sqlite_settings(&dir);
    settings.backup.interval_secs = 60;
    settings.backup.keep = KeepSettings { count: 2, days: 0 };
    let db = yizhan::db::connect(&settings.database).await.unwrap();
    yizhan::db::migrate(&db).await.unwrap();
    let scheduler = scheduler_for(&settings, &db);
    let Round::Took(taken) = scheduler.round().await.unwrap() else {
        panic!("a backup was due: the newest was an hour old");
    };
    let mut expected = vec![
        format!("{}.db.gz", taken.name),
        format!("{}.db.gz", name(1)),
        "README.txt".to_owned(),
    ];
    expected.sort();
    assert_eq!(file_names(&backups), expected);
}

fn scheduler_for(settings: &Settings, db: &DatabaseConnection) -> Scheduler {
    let metrics = Metrics::new().unwrap();
    let monitor = BackupMonitor::new(
        Some(Duration::from_secs(settings.backup.interval_secs)),
        &metrics,
    )
    .unwrap();
    Scheduler::new(
        db.clone(),
        db_file(settings),
        &settings.backup,
        std::sync::Arc::new(monitor),
    )
}

#[tokio::test]
async fn two_instances_never_run_the_scheduled_backup_at_once() {
    let dir = scratch();
    let mut settings = sqlite_settings(&dir);
    settings.backup.interval_secs = 3600;
    // Two instances: two pools on one file, each with its own schedule.
    let one = yizhan::db::connect(&settings.database).await.unwrap();
    yizhan::db::migrate(&one).await.unwrap();
    let two = yizhan::db::connect(&settings.database).await.unwrap();
    let (a, b) = (
        scheduler_for(&settings, &one),
        scheduler_for(&settings, &two),
    );

    let (ra, rb) = tokio::join!(a.round(), b.round());
    let outcomes = [ra.unwrap(), rb.unwrap()];
    let took = outcomes
        .iter()
        .filter(|r| matches!(r, Round::Took(_)))
        .count();
    let busy = outcomes.iter().filter(|r| matches!(r, Round::Busy)).count();
    assert_eq!((took, busy), (1, 1), "{outcomes:?}");
    assert!(matches!(b.round().await.unwrap(), Round::NotDue));
    assert!(matches!(a.round().await.unwrap(), Round::NotDue));
    let written = backup::list(&dir.join("backups")).unwrap();
    assert_eq!(written.len(), 1);
    // Both instances report the one backup.
    for s in [&a, &b] {
        let health = s.monitor().health(Utc::now()).unwrap();
        assert_eq!(health.status, "ok");
        assert_eq!(health.last_backup_at, Some(written[0].taken_at));
    }
}

#[tokio::test]
async fn two_running_instances_write_one_backup_per_interval() {
    let dir = scratch();
    let mut settings = sqlite_settings(&dir);
    settings.backup.interval_secs = 1;
    settings.backup.keep = KeepSettings { count: 0, days: 0 };
    let db = yizhan::db::connect(&settings.database).await.unwrap();
    yizhan::db::migrate(&db).await.unwrap();
    // Built together, so both schedules tick at the same moments.
    let (a, b) = tokio::join!(
        Application::build(settings.clone()),
        Application::build(settings.clone())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let ports = [a.port(), b.port()];
    tokio::spawn(a.run());
    tokio::spawn(b.run());
    tokio::time::sleep(Duration::from_millis(3_500)).await;

    // Holding the backup lock: no round writes while the counts are read.
    let _lock = backup::BackupLock::acquire(&db_file(&settings))
        .await
        .unwrap();
    let mut runs = 0;
    for port in ports {
        let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        runs += text
            .lines()
            .find_map(|l| l.strip_prefix(r#"yizhan_backup_runs_total{outcome="ok"} "#))
            .map_or(0, |n| n.parse::<usize>().unwrap());
    }
    let mut written = backup::list(&dir.join("backups")).unwrap();
    written.reverse();
    assert!(written.len() >= 2, "{written:?}");
    assert_eq!(runs, written.len(), "every run wrote one backup");
    for pair in written.windows(2) {
        let gap = pair[1].taken_at - pair[0].taken_at;
        assert!(
            gap >= TimeDelta::seconds(1),
            "two backups {} ms apart: {:?}",
            gap.num_milliseconds(),
            written.iter().map(|w| &w.name).collect::<Vec<_>>()
        );
    }
}

async fn readyz_until(
    app: &TestApp,
    what: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let r = app.get("/readyz", None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        if done(&r.body) {
            return r.body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "readyz never showed {what}: {}",
            r.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_failing_destination_shows_in_readyz_and_metrics_and_the_copy_lands_once_it_works() {
    let offsite = scratch();
    // A plain file where the destination's directory must go: even root
    // cannot create a directory under it.
    let blocker = offsite.join("nas");
    std::fs::write(&blocker, "not a directory").unwrap();
    let root = blocker.join("yizhan");
    let root_str = root.to_str().unwrap().to_owned();
    let app = sqlite_app(move |s| {
        s.backup.interval_secs = 3600;
        s.backup.upload_retry_secs = 1;
        s.backup.destination.backend = DestinationBackend::Fs;
        s.backup.destination.root = root_str;
    })
    .await;

    let body = readyz_until(&app, "a failed copy", |b| {
        b["backup"]["upload_error"].is_string()
    })
    .await;
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["backup"]["status"], "ok", "the backup itself worked");
    assert_eq!(body["backup"]["uploads_pending"], 1);
    assert!(body["backup"]["last_backup_at"].is_string());
    assert!(body["backup"]["last_backup_bytes"].as_u64().unwrap() > 0);
    let metrics = app.get("/metrics", None).await.text;
    for line in [
        r#"yizhan_backup_runs_total{outcome="ok"} 1"#,
        "yizhan_backup_uploads_pending 1",
        "yizhan_backup_last_failed 0",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    assert!(
        metrics.contains(r#"yizhan_backup_uploads_total{outcome="failed"}"#),
        "{metrics}"
    );
    let written = backup::list(&backups_dir(&app.settings)).unwrap();
    assert_eq!(written.len(), 1, "the local backup is there meanwhile");

    // The destination comes back: the next retry copies the backup.
    std::fs::remove_file(&blocker).unwrap();
    let body = readyz_until(&app, "the copy landing", |b| {
        b["backup"]["uploads_pending"] == 0
    })
    .await;
    assert_eq!(body["status"], "ok", "{body}");
    assert!(body["backup"]["upload_error"].is_null());
    let name = written[0].database.file_name().unwrap();
    assert_eq!(
        std::fs::read(root.join(name)).unwrap(),
        std::fs::read(&written[0].database).unwrap()
    );
    let metrics = app.get("/metrics", None).await.text;
    assert!(
        metrics.contains(r#"yizhan_backup_uploads_total{outcome="ok"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("yizhan_backup_uploads_pending 0"));
}

#[tokio::test]
async fn an_s3_destination_that_does_not_answer_fails_the_copy_and_keeps_the_backup() {
    let dir = scratch();
    let mut settings = sqlite_settings(&dir);
    let db = yizhan::db::connect(&settings.database).await.unwrap();
    yizhan::db::migrate(&db).await.unwrap();
    db.close().await.unwrap();
    let d = &mut settings.backup.destination;
    d.backend = DestinationBackend::S3;
    // Port 1 on loopback: nothing listens there.
    d.endpoint = "http://127.0.0.1:1".into();
    d.bucket = "yizhan-backups".into();
    d.access_key_id = "test-key".into();
    d.secret_access_key = "test-secret".to_owned().into();
    let (snapshot, copied) = backup::backup_now(&settings, None).await.unwrap();
    let err = copied.expect("a copy was attempted").unwrap_err();
    assert!(matches!(err, BackupError::Destination(_)), "{err}");
    assert!(
        err.to_string()
            .contains(snapshot.database.file_name().unwrap().to_str().unwrap()),
        "{err}"
    );
    assert!(snapshot.database.is_file(), "the local backup is kept");
}

#[tokio::test]
async fn migrate_up_backs_up_first_when_migrations_are_pending() {
    let dir = scratch();
    let settings = sqlite_settings(&dir);
    let db = yizhan::db::connect(&settings.database).await.unwrap();
    let up = backup::SchemaChange::Up;
    assert!(
        backup::before_migrations(&db, &settings, up)
            .await
            .unwrap()
            .is_none(),
        "a fresh database has nothing to lose"
    );
    yizhan::db::migrate(&db).await.unwrap();
    assert!(
        backup::before_migrations(&db, &settings, up)
            .await
            .unwrap()
            .is_none(),
        "nothing pending"
    );
    use migration::MigratorTrait;
    migration::Migrator::down(&db, Some(1)).await.unwrap();
    let taken = backup::before_migrations(&db, &settings, up)
        .await
        .unwrap()
        .expect("a migration is pending");
    let copy = open_backup(&taken.database).await;
    assert_eq!(
        strings(&copy, "SELECT version FROM seaql_migrations")
            .await
            .len(),
        migration::Migrator::migrations().len() - 1,
        "the backup is of the database before the migration"
    );
    let down = backup::before_migrations(&db, &settings, backup::SchemaChange::Down)
        .await
        .unwrap();
    assert!(down.is_some(), "a rollback is backed up too");
}

#[test]
fn the_command_line_backs_up_restores_and_backs_up_before_migrating() {
    let dir = scratch();
    let url = sqlite_url(&dir);
    let run = |args: &[&str]| {
        let out = yizhan()
            .env("YIZHAN__DATABASE__URL", &url)
            .env("ROOT_PW", "root-password-1")
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{args:?}: {stdout}{stderr}");
        stdout
    };
    let admin = |name: &str| {
        run(&[
            "create-admin",
            "--username",
            name,
            "--password-env",
            "ROOT_PW",
            "--platform",
        ]);
    };
    admin("before");
    let to = dir.join("elsewhere");
    let printed = run(&["backup", "--to", to.to_str().unwrap()]);
    assert!(printed.starts_with("backup: wrote "), "{printed}");
    assert!(
        printed.contains("integrity ok") && printed.contains(" in "),
        "{printed}"
    );
    let written = backup::list(&to).unwrap();
    assert_eq!(written.len(), 1);
    admin("after");

    let printed = run(&["restore", written[0].database.to_str().unwrap()]);
    assert!(printed.contains("restore: restored"), "{printed}");
    assert!(
        printed.contains("the previous database is kept at"),
        "{printed}"
    );
    let users = || {
        let db_path = dir.join("yizhan.db");
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let db = Database::connect(format!("sqlite://{}?mode=ro", db_path.display()))
                .await
                .unwrap();
            strings(
                &db,
                "SELECT username FROM users WHERE username IS NOT NULL ORDER BY username",
            )
            .await
        })
    };
    assert_eq!(users(), ["before"]);

    run(&["migrate", "down"]);
    let backups = dir.join("backups");
    let before_up = backup::list(&backups).unwrap().len();
    let printed = run(&["migrate", "up"]);
    assert!(
        printed.contains("backup before migrating: wrote"),
        "{printed}"
    );
    assert_eq!(backup::list(&backups).unwrap().len(), before_up + 1);
    let printed = run(&["migrate", "up"]);
    assert!(
        !printed.contains("backup before migrating"),
        "nothing pending: {printed}"
    );
}

#[tokio::test]
async fn on_postgresql_backup_says_that_postgresqls_own_tools_do_this() {
    let mut settings = test_settings();
    settings.database.url = "postgres://postgres@127.0.0.1:5432/test".to_owned().into();
    let err = backup::backup_now(&settings, None).await.unwrap_err();
    assert!(matches!(err, BackupError::Postgres));

    let out = yizhan()
        .env(
            "YIZHAN__DATABASE__URL",
            "postgres://postgres@127.0.0.1:5432/test",
        )
        .arg("backup")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for word in ["PostgreSQL", "pg_dump", "pg_basebackup", "README"] {
        assert!(stderr.contains(word), "{word} in {stderr}");
    }
    // A server on PostgreSQL schedules no backups and reports none.
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        let app = spawn_app_with(|s| s.backup.interval_secs = 60).await;
        let r = app.get("/readyz", None).await;
        assert_eq!(r.body["status"], "ok", "{}", r.text);
        assert!(r.body.get("backup").is_none(), "{}", r.text);
    }
}
