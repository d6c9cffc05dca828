//! OS file locks beside the database file. The kernel drops them when the
//! holding process dies, so a crash never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use super::BackupError;

/// Held shared by every server serving the database file (several instances
/// may share one file); `restore` takes it exclusively, so it cannot replace
/// a database under a running server, and no server starts during a restore.
pub struct ServeLock(#[allow(dead_code)] File);

impl ServeLock {
    /// For `serve`: fails while a restore holds the database.
    pub fn shared(db_file: &Path) -> Result<Self, BackupError> {
        let path = lock_path(db_file, "serve.lock");
        let file = open(&path)?;
        match file.try_lock_shared() {
            Ok(()) => Ok(Self(file)),
            Err(TryLockError::WouldBlock) => Err(BackupError::RestoreRunning(db_file.to_owned())),
            Err(TryLockError::Error(e)) => {
                Err(BackupError::io(format!("lock {}", path.display()), e))
            }
        }
    }

    /// For `restore`: fails while any server holds the database.
    pub fn exclusive(db_file: &Path) -> Result<Self, BackupError> {
        let path = lock_path(db_file, "serve.lock");
        let file = open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Self(file)),
            Err(TryLockError::WouldBlock) => Err(BackupError::ServerRunning(db_file.to_owned())),
            Err(TryLockError::Error(e)) => {
                Err(BackupError::io(format!("lock {}", path.display()), e))
            }
        }
    }
}

/// Held while one backup of the database is written (scheduled, by hand,
/// before migrations or during a restore): backups never overlap, across
/// instances and processes.
pub struct BackupLock(#[allow(dead_code)] File);

impl BackupLock {
    /// The lock if no other backup holds it.
    pub fn try_acquire(db_file: &Path) -> Result<Option<Self>, BackupError> {
        let path = lock_path(db_file, "backup.lock");
        let file = open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self(file))),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => {
                Err(BackupError::io(format!("lock {}", path.display()), e))
            }
        }
    }

    /// The lock, waiting for a backup in progress to finish.
    pub async fn acquire(db_file: &Path) -> Result<Self, BackupError> {
        let path = lock_path(db_file, "backup.lock");
        let file = open(&path)?;
        tokio::task::spawn_blocking(move || file.lock().map(|()| Self(file)))
            .await
            .map_err(|e| BackupError::io("wait for the backup lock", std::io::Error::other(e)))?
            .map_err(|e| BackupError::io(format!("lock {}", path.display()), e))
    }
}

/// `data/yizhan.db` → `data/yizhan.db.serve.lock`.
fn lock_path(db_file: &Path, suffix: &str) -> PathBuf {
    let mut name = db_file.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

fn open(path: &Path) -> Result<File, BackupError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| BackupError::io(format!("create {}", dir.display()), e))?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| BackupError::io(format!("open {}", path.display()), e))
}
