//! Database connection: SQLite (embedded default) or PostgreSQL, chosen by URL,
//! and the write transactions every mutation runs in.

use std::collections::HashMap;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::prelude::async_trait::async_trait;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, SqlErr, SqliteTransactionMode, SqlxSqliteConnector, Statement,
    TransactionOptions, TransactionTrait,
};
use secrecy::ExposeSecret;
use tokio::sync::OwnedMutexGuard;

use crate::error::{ApiResult, ErrorCode};
use crate::settings::DatabaseSettings;

pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let url = settings.url.expose_secret();
    if let Some(dir) = sqlite_parent_dir(url) {
        std::fs::create_dir_all(&dir)
            .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(settings.max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
        // Under a burst, requests queue for a connection rather than fail;
        // with the database away, they are answered 503 after this wait.
        .acquire_timeout(Duration::from_secs(settings.acquire_timeout_secs))
        // A ping on every checkout doubled the round trips of each query;
        // only a connection idle long enough to have been dropped is checked.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    Database::connect(opts).await
}

/// A transaction that writes.
///
/// SQLite lets one connection write at a time and makes the others wait in a
/// busy handler that sleeps 1, 2, 5 ... 100 ms between tries: under load a
/// writer can lose many rounds and wait hundreds of milliseconds. So on SQLite
/// writers first queue in-process, first come first served, for the file's
/// write gate, and then begin `IMMEDIATE` on the file's one writing
/// connection, taking the write lock before the first read. On PostgreSQL it
/// is a plain transaction; the database orders concurrent writers itself.
pub struct WriteTxn {
    // Dropped first: the transaction ends before the gate opens.
    txn: DatabaseTransaction,
    _gate: Option<OwnedMutexGuard<Option<DatabaseConnection>>>,
}

pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(WriteTxn {
            txn: db.begin().await?,
            _gate: None,
        });
    }
    let mut gate = sqlite_gate(db).lock_owned().await;
    let writer = match &*gate {
        Some(writer) => writer.clone(),
        None => gate.insert(writer_for(db).await?).clone(),
    };
    let txn = writer
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(WriteTxn {
        txn,
        _gate: Some(gate),
    })
}

/// The gate of each database file, shared by every pool on it in this
/// process, and behind it the file's writing connection (made on first use).
type Gate = Arc<tokio::sync::Mutex<Option<DatabaseConnection>>>;

static GATES: LazyLock<Mutex<HashMap<PathBuf, Gate>>> = LazyLock::new(Mutex::default);

/// Forgets the writing connection of `file`: after a restore replaced the
/// file, that connection still points at the one moved aside.
pub fn forget_sqlite_writer(file: &std::path::Path) {
    let mut gates = GATES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    gates.remove(file);
}

fn sqlite_gate(db: &DatabaseConnection) -> Gate {
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let mut gates = GATES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    gates.entry(file).or_default().clone()
}

/// One connection that every write transaction on the file runs on: write
/// statements (a batch insert is a statement per batch size) are prepared
/// and cached once rather than on every pooled connection, and writers never
/// wait for a connection the readers hold. An in-memory database has no file
/// to open twice; it writes through its own pool.
async fn writer_for(db: &DatabaseConnection) -> Result<DatabaseConnection, DbErr> {
    let options = db.get_sqlite_connection_pool().connect_options();
    if options.get_filename() == std::path::Path::new(":memory:") {
        return Ok(db.clone());
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with((*options).clone())
        .await
        .map_err(|e| DbErr::Custom(format!("cannot open the SQLite writer: {e}")))?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

/// True when `err` is a unique-constraint violation: the row is there already.
pub fn is_duplicate(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// What an insert gave, with a unique-constraint violation answered as
/// `code` (a pending application, a taken name, a booked slot).
pub fn or_conflict<T>(inserted: Result<T, DbErr>, code: ErrorCode) -> ApiResult<T> {
    match inserted {
        Err(err) if is_duplicate(&err) => Err(code.into()),
        other => Ok(other?),
    }
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// `sqlite://data/yizhan.db?mode=rwc` → `data`, so a fresh clone just runs.
fn sqlite_parent_dir(url: &str) -> Option<std::path::PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    let parent = std::path::Path::new(path).parent()?;
    (!parent.as_os_str().is_empty()).then(|| parent.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::sqlite_parent_dir;

    #[test]
    fn finds_the_directory_of_a_sqlite_file() {
        assert_eq!(
            sqlite_parent_dir("sqlite://data/yizhan.db?mode=rwc"),
            Some("data".into())
        );
        assert_eq!(sqlite_parent_dir("sqlite://yizhan.db"), None);
        assert_eq!(sqlite_parent_dir("sqlite::memory:"), None);
        assert_eq!(sqlite_parent_dir("postgres://localhost/x"), None);
    }
}
