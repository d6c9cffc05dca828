//! Writing one backup: an online snapshot of the SQLite database by
//! `VACUUM INTO` (a read transaction: writers carry on), checked with
//! `PRAGMA integrity_check`, gzipped, named by UTC time; the media tree as a
//! tar beside it. Finding and pruning the backups in a directory is
//! `stored.rs`'s.

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sea_orm::sqlx::{Connection, SqliteConnection};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use super::BackupError;
use super::stored::{DATABASE_SUFFIX, MEDIA_SUFFIX, name_for};

/// What one backup wrote.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// `yizhan-20261201T230000.123Z`: the files are this plus `.db.gz` / `.media.tar`.
    pub name: String,
    pub taken_at: DateTime<Utc>,
    /// The gzipped database.
    pub database: PathBuf,
    pub database_bytes: u64,
    /// Size of the database copy before compression.
    pub uncompressed_bytes: u64,
    pub media: Option<MediaArchive>,
    pub took: Duration,
}

#[derive(Debug, Clone)]
pub struct MediaArchive {
    pub path: PathBuf,
    pub files: u64,
    pub bytes: u64,
}

impl Snapshot {
    /// Bytes written: the database and the media archive.
    pub fn bytes(&self) -> u64 {
        self.database_bytes + self.media.as_ref().map_or(0, |m| m.bytes)
    }
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wrote {} ({}, database {}, integrity ok)",
            self.database.display(),
            human_bytes(self.database_bytes),
            human_bytes(self.uncompressed_bytes)
        )?;
        if let Some(media) = &self.media {
            write!(
                f,
                " and {} ({} files, {})",
                media.path.display(),
                media.files,
                human_bytes(media.bytes)
            )?;
        }
        write!(f, " in {:.2}s", self.took.as_secs_f64())
    }
}

pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = "B";
    for u in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = u;
    }
    format!("{value:.1} {unit}")
}

/// Takes a backup of the SQLite database `db` into `dir`, with the media
/// tree at `media_dir` when it exists. Callers hold the [`super::BackupLock`].
pub async fn take(
    db: &DatabaseConnection,
    dir: &Path,
    media_dir: &Path,
) -> Result<Snapshot, BackupError> {
    let started = Instant::now();
    std::fs::create_dir_all(dir)
        .map_err(|e| BackupError::io(format!("create {}", dir.display()), e))?;
    // To the millisecond, as in the name it gets.
    let taken_at = Utc::now().trunc_subsecs(3);
    let name = name_for(taken_at);
    let database = dir.join(format!("{name}{DATABASE_SUFFIX}"));
    if database.exists() {
        return Err(BackupError::io(
            format!("write {}", database.display()),
            std::io::ErrorKind::AlreadyExists.into(),
        ));
    }
    let copy = dir.join(format!(".{name}.db.tmp"));
    let result = write_backup(db, &copy, &database, &name, dir, media_dir).await;
    let _ = std::fs::remove_file(&copy);
    let (uncompressed_bytes, database_bytes, media) = result?;
    Ok(Snapshot {
        name,
        taken_at,
        database,
        database_bytes,
        uncompressed_bytes,
        media,
        took: started.elapsed(),
    })
}

async fn write_backup(
    db: &DatabaseConnection,
    copy: &Path,
    database: &Path,
    name: &str,
    dir: &Path,
    media_dir: &Path,
) -> Result<(u64, u64, Option<MediaArchive>), BackupError> {
    let _ = std::fs::remove_file(copy);
    let copy_str = copy.to_str().ok_or_else(|| {
        BackupError::io(
            format!("{} is not UTF-8", copy.display()),
            std::io::ErrorKind::InvalidInput.into(),
        )
    })?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "VACUUM INTO ?",
        [copy_str.into()],
    ))
    .await?;
    check_database(copy).await?;

    // The media archive is finished before the database file appears under
    // its final name: a listed backup is always complete.
    let media = if media_dir.is_dir() {
        let tar = dir.join(format!("{name}{MEDIA_SUFFIX}"));
        let tmp = dir.join(format!(".{name}.media.tmp"));
        let (source, out) = (media_dir.to_owned(), tmp.clone());
        let archived = blocking(move || archive_media(&source, &out)).await;
        match archived.and_then(|(files, bytes)| {
            std::fs::rename(&tmp, &tar)
                .map_err(|e| BackupError::io(format!("rename to {}", tar.display()), e))?;
            Ok((files, bytes))
        }) {
            Ok((files, bytes)) => Some(MediaArchive {
                path: tar,
                files,
                bytes,
            }),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        }
    } else {
        None
    };

    let tmp = dir.join(format!(".{name}.gz.tmp"));
    let (source, out) = (copy.to_owned(), tmp.clone());
    let compressed = blocking(move || gzip(&source, &out))
        .await
        .and_then(|sizes| {
            std::fs::rename(&tmp, database)
                .map_err(|e| BackupError::io(format!("rename to {}", database.display()), e))?;
            sync_dir(dir)?;
            Ok(sizes)
        });
    match compressed {
        Ok((uncompressed, compressed)) => Ok((uncompressed, compressed, media)),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            if let Some(m) = &media {
                let _ = std::fs::remove_file(&m.path);
            }
            Err(e)
        }
    }
}

/// Opens a database copy, makes it one self-contained file (no `-wal`) and
/// runs `PRAGMA integrity_check`; anything but `ok` is an error.
pub async fn check_database(file: &Path) -> Result<(), BackupError> {
    let options = SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(false)
        .journal_mode(SqliteJournalMode::Delete);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| {
            BackupError::Damaged(format!("{} does not open as SQLite: {e}", file.display()))
        })?;
    let report: Result<Vec<String>, _> = sea_orm::sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await;
    let _ = conn.close().await;
    match report {
        Ok(lines) if lines == ["ok"] => Ok(()),
        Ok(lines) => Err(BackupError::Damaged(format!(
            "integrity check of {}: {}",
            file.display(),
            lines.join("; ")
        ))),
        Err(e) => Err(BackupError::Damaged(format!(
            "integrity check of {}: {e}",
            file.display()
        ))),
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BackupError> + Send + 'static,
) -> Result<T, BackupError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| BackupError::io("background task", std::io::Error::other(e)))?
}

/// Gzips `source` into `out`, synced; answers (bytes read, bytes written).
fn gzip(source: &Path, out: &Path) -> Result<(u64, u64), BackupError> {
    let ctx = |what: &str, p: &Path| format!("{what} {}", p.display());
    let mut input = File::open(source).map_err(|e| BackupError::io(ctx("open", source), e))?;
    let file = File::create(out).map_err(|e| BackupError::io(ctx("create", out), e))?;
    // Level 3: most of the size win of level 6 for a fraction of the CPU,
    // which the server shares with the backup.
    let mut encoder = GzEncoder::new(BufWriter::new(file), Compression::new(3));
    let read = std::io::copy(&mut input, &mut encoder)
        .map_err(|e| BackupError::io(ctx("compress into", out), e))?;
    let file = encoder
        .finish()
        .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
        .map_err(|e| BackupError::io(ctx("write", out), e))?;
    file.sync_all()
        .map_err(|e| BackupError::io(ctx("sync", out), e))?;
    let written = file
        .metadata()
        .map_err(|e| BackupError::io(ctx("stat", out), e))?
        .len();
    Ok((read, written))
}

/// Every regular file under `media_dir`, named relative to it, into a tar at
/// `out` (images are compressed already); answers (files, bytes written).
fn archive_media(media_dir: &Path, out: &Path) -> Result<(u64, u64), BackupError> {
    let ctx = |what: &str, p: &Path| format!("{what} {}", p.display());
    let file = File::create(out).map_err(|e| BackupError::io(ctx("create", out), e))?;
    let mut tar = tar::Builder::new(BufWriter::new(file));
    tar.follow_symlinks(false);
    let mut files = 0;
    let mut pending = vec![media_dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| BackupError::io(ctx("read", &dir), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| BackupError::io(ctx("read", &dir), e))?;
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|e| BackupError::io(ctx("stat", &path), e))?;
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                let relative = path.strip_prefix(media_dir).unwrap_or(&path);
                match tar.append_path_with_name(&path, relative) {
                    Ok(()) => files += 1,
                    // Deleted since it was listed (the orphan sweep): not part of this backup.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(BackupError::io(ctx("archive", &path), e)),
                }
            }
        }
    }
    let mut writer = tar
        .into_inner()
        .map_err(|e| BackupError::io(ctx("write", out), e))?;
    writer
        .flush()
        .map_err(|e| BackupError::io(ctx("write", out), e))?;
    let file = writer
        .into_inner()
        .map_err(|e| BackupError::io(ctx("write", out), e.into_error()))?;
    file.sync_all()
        .map_err(|e| BackupError::io(ctx("sync", out), e))?;
    let bytes = file
        .metadata()
        .map_err(|e| BackupError::io(ctx("stat", out), e))?
        .len();
    Ok((files, bytes))
}

fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| BackupError::io(format!("sync {}", dir.display()), e))
}
