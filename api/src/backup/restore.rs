//! `yizhan restore FILE`: puts a backup in place of the SQLite database.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use chrono::Utc;
use flate2::read::GzDecoder;
use migration::{Migrator, MigratorTrait};
use sea_orm::SqlxSqliteConnector;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use super::lock::{BackupLock, ServeLock};
use super::snapshot::check_database;
use super::stored;
use super::{BackupError, sqlite_file};
use crate::settings::Settings;

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub database: PathBuf,
    pub from: PathBuf,
    /// Where the database that was in place went (with its `-wal`/`-shm`).
    pub previous: Option<PathBuf>,
    /// Migrations applied to the restored database (it was older than this binary).
    pub migrations_applied: usize,
    /// Media files put back from the backup's media archive (existing ones are kept).
    pub media_restored: u64,
}

impl fmt::Display for Restored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "restored {} from {}",
            self.database.display(),
            self.from.display()
        )?;
        match &self.previous {
            Some(previous) => write!(
                f,
                "; the previous database is kept at {}",
                previous.display()
            )?,
            None => write!(f, "; there was no database before")?,
        }
        write!(
            f,
            "; {} migration(s) applied; {} media file(s) put back",
            self.migrations_applied, self.media_restored
        )
    }
}

/// Restores `file` (a `.db.gz` backup, or a plain SQLite file) as the
/// database of `settings`: refused while a server holds the database; the
/// file is unpacked beside the database and verified (integrity check, a
/// yizhan schema this binary knows) before anything is moved; the current
/// database is renamed aside, never overwritten; then pending migrations run
/// and media files missing from `backup.media_dir` are put back.
pub async fn restore(settings: &Settings, file: &Path) -> Result<Restored, BackupError> {
    let db_file = sqlite_file(&settings.database).ok_or(BackupError::NotSqlite)?;
    let _serving = ServeLock::exclusive(&db_file)?;
    let _backing_up = BackupLock::acquire(&db_file).await?;
    if !file.is_file() {
        return Err(BackupError::io(
            format!("read {}", file.display()),
            std::io::ErrorKind::NotFound.into(),
        ));
    }
    let dir = db_file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| BackupError::io(format!("create {}", dir.display()), e))?;
    let staged = dir.join(format!(
        ".{}.restoring",
        db_file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("database")
    ));
    let result = stage_and_install(file, &staged, &db_file).await;
    let _ = std::fs::remove_file(&staged);
    let previous = result?;

    // The restored file is new to this process: drop a writing connection
    // still open on the file that was moved aside.
    crate::db::forget_sqlite_writer(&db_file);
    let options = SqliteConnectOptions::new()
        .filename(&db_file)
        .create_if_missing(false);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| BackupError::Damaged(format!("{}: {e}", db_file.display())))?;
    let db = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
    let pending = Migrator::get_pending_migrations(&db).await?.len();
    Migrator::up(&db, None).await?;
    let _ = db.close().await;

    let media_restored = match stored::media_archive_of(file) {
        Some(archive) if !settings.backup.media_dir.as_os_str().is_empty() => {
            let media_dir = settings.backup.media_dir.clone();
            tokio::task::spawn_blocking(move || put_back_media(&archive, &media_dir))
                .await
                .map_err(|e| BackupError::io("restore media", std::io::Error::other(e)))??
        }
        _ => 0,
    };
    Ok(Restored {
        database: db_file,
        from: file.to_owned(),
        previous,
        migrations_applied: pending,
        media_restored,
    })
}

/// Unpacks and verifies `file` at `staged`, moves the current database
/// aside and renames `staged` into its place; answers where the old one went.
async fn stage_and_install(
    file: &Path,
    staged: &Path,
    db_file: &Path,
) -> Result<Option<PathBuf>, BackupError> {
    let (source, out) = (file.to_owned(), staged.to_owned());
    tokio::task::spawn_blocking(move || unpack(&source, &out))
        .await
        .map_err(|e| BackupError::io("unpack", std::io::Error::other(e)))??;
    check_database(staged).await?;
    check_schema(staged).await?;

    let previous = if db_file.exists() {
        let mut aside = db_file.as_os_str().to_owned();
        aside.push(format!(
            ".before-restore-{}",
            Utc::now().format("%Y%m%dT%H%M%SZ")
        ));
        let aside = PathBuf::from(aside);
        // The -wal and -shm keep their database's name, or SQLite would not
        // pair them again when the moved file is opened.
        for suffix in ["", "-wal", "-shm"] {
            let from = with_suffix(db_file, suffix);
            if from.exists() {
                let to = with_suffix(&aside, suffix);
                std::fs::rename(&from, &to).map_err(|e| {
                    BackupError::io(format!("move {} to {}", from.display(), to.display()), e)
                })?;
            }
        }
        Some(aside)
    } else {
        None
    };
    std::fs::rename(staged, db_file)
        .map_err(|e| BackupError::io(format!("move {} into place", staged.display()), e))?;
    if let Some(dir) = db_file.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(previous)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Copies `file` to `out`, gunzipping it when it is gzip.
fn unpack(file: &Path, out: &Path) -> Result<(), BackupError> {
    let ctx = |what: &str, p: &Path| format!("{what} {}", p.display());
    let mut input =
        BufReader::new(File::open(file).map_err(|e| BackupError::io(ctx("open", file), e))?);
    let gzipped = input
        .fill_buf()
        .map_err(|e| BackupError::io(ctx("read", file), e))?
        .starts_with(&[0x1f, 0x8b]);
    let mut output = File::create(out).map_err(|e| BackupError::io(ctx("create", out), e))?;
    let copied = if gzipped {
        std::io::copy(&mut GzDecoder::new(input), &mut output)
    } else {
        std::io::copy(&mut input, &mut output)
    };
    copied.map_err(|e| BackupError::Damaged(format!("{} does not unpack: {e}", file.display())))?;
    output
        .sync_all()
        .map_err(|e| BackupError::io(ctx("sync", out), e))
}

/// A yizhan database whose every applied migration this binary knows.
async fn check_schema(file: &Path) -> Result<(), BackupError> {
    let options = SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(false)
        .read_only(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| BackupError::Damaged(format!("{}: {e}", file.display())))?;
    let db = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
    let status = Migrator::get_applied_migrations_read_only(&db).await;
    let _ = db.close().await;
    match status {
        Ok(applied) if applied.is_empty() => Err(BackupError::Damaged(format!(
            "{} is not a yizhan database (no migrations applied)",
            file.display()
        ))),
        Ok(_) => Ok(()),
        Err(e) => Err(BackupError::Damaged(format!(
            "{} has a schema this yizhan does not know (made by a newer version?): {e}",
            file.display()
        ))),
    }
}

/// Unpacks the files of `archive` that `media_dir` lacks; answers how many.
fn put_back_media(archive: &Path, media_dir: &Path) -> Result<u64, BackupError> {
    let ctx = |what: &str, p: &Path| format!("{what} {}", p.display());
    std::fs::create_dir_all(media_dir).map_err(|e| BackupError::io(ctx("create", media_dir), e))?;
    let file = File::open(archive).map_err(|e| BackupError::io(ctx("open", archive), e))?;
    let mut tar = tar::Archive::new(BufReader::new(file));
    let mut restored = 0;
    for entry in tar
        .entries()
        .map_err(|e| BackupError::io(ctx("read", archive), e))?
    {
        let mut entry = entry.map_err(|e| BackupError::io(ctx("read", archive), e))?;
        let path = entry
            .path()
            .map_err(|e| BackupError::io(ctx("read", archive), e))?
            .into_owned();
        if media_dir.join(&path).exists() {
            continue;
        }
        // unpack_in refuses paths that would leave media_dir.
        if entry
            .unpack_in(media_dir)
            .map_err(|e| BackupError::io(ctx("unpack into", media_dir), e))?
        {
            restored += 1;
        }
    }
    Ok(restored)
}
