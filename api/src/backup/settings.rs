//! The `[backup]` configuration section.

use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct BackupSettings {
    /// Seconds between scheduled backups inside `yizhan serve` on SQLite;
    /// 0 turns the schedule off (`yizhan backup` still works).
    pub interval_secs: u64,
    /// Where backups are written; empty = `backups/` beside the database file.
    pub dir: PathBuf,
    /// The uploaded media tree archived with each backup (skipped when missing).
    pub media_dir: PathBuf,
    pub keep: KeepSettings,
    /// How often a failed off-machine copy is tried again (and how often the
    /// schedule checks whether a backup is due).
    pub upload_retry_secs: u64,
    #[serde(default)]
    pub destination: DestinationSettings,
}

/// Retention of the backups in `dir`: the newest `count`, none older than
/// `days` (0 = no limit on either). The newest backup is always kept.
#[derive(Clone, Debug, Deserialize)]
pub struct KeepSettings {
    pub count: usize,
    pub days: u32,
}

/// The off-machine copy of every backup, through OpenDAL.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct DestinationSettings {
    pub backend: DestinationBackend,
    pub bucket: String,
    /// e.g. `https://s3.us-east-1.amazonaws.com`, `https://cos.ap-guangzhou.myqcloud.com`,
    /// `https://oss-cn-hangzhou.aliyuncs.com`.
    pub endpoint: String,
    /// S3 only; empty = `us-east-1` (what most S3-compatible stores accept).
    pub region: String,
    /// A directory for `fs`; a key prefix in the bucket for the others.
    pub root: String,
    /// S3 / OSS access key id, COS SecretId.
    pub access_key_id: String,
    /// S3 secret access key, OSS access key secret, COS SecretKey.
    pub secret_access_key: SecretString,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DestinationBackend {
    /// No off-machine copy.
    #[default]
    None,
    Fs,
    S3,
    Cos,
    Oss,
}

impl BackupSettings {
    /// The backup directory for the database at `db_file`.
    pub fn dir_for(&self, db_file: &Path) -> PathBuf {
        if !self.dir.as_os_str().is_empty() {
            return self.dir.clone();
        }
        db_file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join("backups")
    }
}
