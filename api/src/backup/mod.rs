//! Backups of the embedded SQLite database (issue 22): `yizhan backup`,
//! scheduled backups inside `yizhan serve`, off-machine copies through
//! OpenDAL, `yizhan restore`, and a backup before every schema change.
//! On PostgreSQL, PostgreSQL's own tools do this (README "Backups").

mod destination;
mod lock;
mod restore;
mod schedule;
mod snapshot;
mod stored;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::{DatabaseConnection, DbErr};
use secrecy::ExposeSecret;

pub use destination::{Destination, Uploaded};
pub use lock::{BackupLock, ServeLock};
pub use restore::{Restored, restore};
pub use schedule::{BackupHealth, BackupMonitor, Round, Scheduler};
pub use snapshot::{MediaArchive, Snapshot, check_database};
pub use stored::{StoredBackup, expired, list, name_for, prune};

use crate::settings::{DatabaseSettings, Settings};
use crate::telemetry::Metrics;

/// What `yizhan backup` answers on PostgreSQL.
pub const POSTGRES_ADVICE: &str = "yizhan backup copies the embedded SQLite database; this server \
runs on PostgreSQL, whose own tools back it up: `pg_dump --format=custom` for a logical dump, \
or `pg_basebackup` with WAL archiving for point-in-time recovery (see README \"Backups\")";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{POSTGRES_ADVICE}")]
    Postgres,
    #[error("backups and restores are for a SQLite database file (database.url)")]
    NotSqlite,
    #[error("there is no database at {0}")]
    NoDatabase(PathBuf),
    #[error("a yizhan server is serving {0}; stop every server on it, then restore")]
    ServerRunning(PathBuf),
    #[error("a restore of {0} is in progress")]
    RestoreRunning(PathBuf),
    #[error("the backup is unusable: {0}")]
    Damaged(String),
    #[error("off-machine copy failed: {0}")]
    Destination(String),
    #[error("database: {0}")]
    Database(#[from] DbErr),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

impl BackupError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

/// The SQLite file of `settings`, or `None` on PostgreSQL and in-memory SQLite.
pub fn sqlite_file(settings: &DatabaseSettings) -> Option<PathBuf> {
    let url = settings.url.expose_secret();
    let rest = url.strip_prefix("sqlite:")?;
    if rest.trim_start_matches('/').starts_with(":memory:") || url.contains("mode=memory") {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    Some(options.get_filename().to_path_buf())
}

/// `yizhan backup [--to DIR]`: a backup now into `to` (default
/// `backup.dir`), copied to the destination when one is configured. The
/// answer is the backup and, when a copy was attempted, its outcome.
pub async fn backup_now(
    settings: &Settings,
    to: Option<&Path>,
) -> Result<(Snapshot, Option<Result<String, BackupError>>), BackupError> {
    if !settings.is_sqlite() {
        return Err(BackupError::Postgres);
    }
    let db_file = sqlite_file(&settings.database).ok_or(BackupError::NotSqlite)?;
    if !db_file.is_file() {
        return Err(BackupError::NoDatabase(db_file));
    }
    let dir = to.map_or_else(|| settings.backup.dir_for(&db_file), Path::to_owned);
    let db = crate::db::connect(&settings.database).await?;
    let taken = {
        let _lock = BackupLock::acquire(&db_file).await?;
        snapshot::take(&db, &dir, &settings.backup.media_dir).await
    };
    let _ = db.close().await;
    let snapshot = taken?;
    let copied = match Destination::open(&settings.backup.destination) {
        Ok(Some(destination)) => Some(copy_snapshot(&destination, &snapshot).await),
        Ok(None) => None,
        Err(err) => Some(Err(err)),
    };
    Ok((snapshot, copied))
}

async fn copy_snapshot(
    destination: &Destination,
    snapshot: &Snapshot,
) -> Result<String, BackupError> {
    let files = std::iter::once(&snapshot.database).chain(snapshot.media.as_ref().map(|m| &m.path));
    for file in files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        destination.ensure(file, name).await?;
    }
    Ok(destination.label.clone())
}

/// Which schema change a backup precedes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaChange {
    Up,
    Down,
}

/// The backup taken before migrations change the SQLite database `db`:
/// before `up` when migrations are pending, before `down` always; none on a
/// fresh database (nothing to lose) or on PostgreSQL.
pub async fn before_migrations(
    db: &DatabaseConnection,
    settings: &Settings,
    change: SchemaChange,
) -> Result<Option<Snapshot>, BackupError> {
    let Some(db_file) = sqlite_file(&settings.database) else {
        return Ok(None);
    };
    let applied = Migrator::get_applied_migrations_read_only(db).await?.len();
    let pending = Migrator::get_pending_migrations_read_only(db).await?.len();
    if applied == 0 || (change == SchemaChange::Up && pending == 0) {
        return Ok(None);
    }
    let _lock = BackupLock::acquire(&db_file).await?;
    let snapshot = snapshot::take(
        db,
        &settings.backup.dir_for(&db_file),
        &settings.backup.media_dir,
    )
    .await?;
    tracing::info!(backup = %snapshot.database.display(), "backup taken before migrations");
    Ok(Some(snapshot))
}

/// The backup side of a server: its monitor (for `/readyz` and `/metrics`),
/// and the schedule started when the database is a SQLite file and
/// `backup.interval_secs` is set.
pub fn start(
    settings: &Settings,
    db: &DatabaseConnection,
    metrics: &Metrics,
) -> anyhow::Result<web::Data<BackupMonitor>> {
    let db_file = sqlite_file(&settings.database).filter(|_| settings.backup.interval_secs > 0);
    let interval = db_file
        .as_ref()
        .map(|_| Duration::from_secs(settings.backup.interval_secs));
    let monitor = Arc::new(BackupMonitor::new(interval, metrics)?);
    if let Some(db_file) = db_file {
        let scheduler = Scheduler::new(db.clone(), db_file, &settings.backup, monitor.clone());
        schedule::spawn(scheduler);
    }
    Ok(web::Data::from(monitor))
}
