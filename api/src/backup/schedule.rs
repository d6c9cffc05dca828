//! Scheduled backups inside `yizhan serve` on SQLite, and what they report.
//!
//! Every instance ticks; a tick takes the database's backup lock (skipped
//! when another instance holds it), backs up when the newest backup in the
//! directory is at least an interval old, applies retention and copies what
//! the destination lacks. So whichever instances share a database file, one
//! backup is written per interval, never two at once, and the copies a
//! failed upload left behind are retried on every tick until they land.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use prometheus::{Gauge, IntCounterVec, IntGauge, Opts};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::ToSchema;

use super::BackupError;
use super::destination::Destination;
use super::lock::BackupLock;
use super::snapshot::{self, Snapshot};
use super::stored::{self, StoredBackup};
use crate::settings::{BackupSettings, DestinationBackend};
use crate::telemetry::Metrics;

/// The backup state of this instance, for `/readyz` and `/metrics`.
pub struct BackupMonitor {
    /// The schedule's interval; `None` when this instance schedules no backups.
    interval: Option<Duration>,
    started_at: DateTime<Utc>,
    status: Mutex<Status>,
    metrics: BackupMetrics,
}

#[derive(Default)]
struct Status {
    last: Option<(DateTime<Utc>, u64)>,
    /// When and why the last attempt failed; cleared by a newer backup.
    failure: Option<(DateTime<Utc>, String)>,
    uploads_pending: u64,
    upload_error: Option<String>,
}

struct BackupMetrics {
    last_success: IntGauge,
    last_bytes: IntGauge,
    last_duration: Gauge,
    last_failed: IntGauge,
    runs: IntCounterVec,
    uploads: IntCounterVec,
    uploads_pending: IntGauge,
}

/// The `backup` part of `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BackupHealth {
    /// `ok`; `pending` (no backup yet since start, not overdue); `failed` (the
    /// last attempt failed); `stale` (the newest backup is older than twice
    /// the interval). `failed` and `stale` make `/readyz` `degraded`.
    pub status: String,
    pub last_backup_at: Option<DateTime<Utc>>,
    /// Bytes of the newest backup (database and media archive).
    pub last_backup_bytes: Option<u64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Backup files not yet copied to the off-machine destination.
    pub uploads_pending: u64,
    /// Why the last copy failed, while copies are pending (also `degraded`).
    pub upload_error: Option<String>,
}

impl BackupHealth {
    pub fn degrades(&self) -> bool {
        matches!(self.status.as_str(), "failed" | "stale") || self.upload_error.is_some()
    }
}

impl BackupMonitor {
    /// Registers the backup metrics in `metrics`.
    pub fn new(interval: Option<Duration>, metrics: &Metrics) -> Result<Self, prometheus::Error> {
        let gauge = |name: &str, help: &str| IntGauge::new(name, help);
        let m = BackupMetrics {
            last_success: gauge(
                "backup_last_success_timestamp_seconds",
                "Unix time of the newest backup",
            )?,
            last_bytes: gauge("backup_last_size_bytes", "Bytes of the newest backup")?,
            last_duration: Gauge::new(
                "backup_last_duration_seconds",
                "How long this instance's last backup took",
            )?,
            last_failed: gauge(
                "backup_last_failed",
                "1 when the last backup attempt failed",
            )?,
            runs: IntCounterVec::new(
                Opts::new(
                    "backup_runs_total",
                    "Backups this instance wrote, by outcome",
                ),
                &["outcome"],
            )?,
            uploads: IntCounterVec::new(
                Opts::new(
                    "backup_uploads_total",
                    "Copies of backup files to the destination, by outcome",
                ),
                &["outcome"],
            )?,
            uploads_pending: gauge(
                "backup_uploads_pending",
                "Backup files not yet copied to the destination",
            )?,
        };
        metrics.register(m.last_success.clone())?;
        metrics.register(m.last_bytes.clone())?;
        metrics.register(m.last_duration.clone())?;
        metrics.register(m.last_failed.clone())?;
        metrics.register(m.runs.clone())?;
        metrics.register(m.uploads.clone())?;
        metrics.register(m.uploads_pending.clone())?;
        Ok(Self {
            interval,
            started_at: Utc::now(),
            status: Mutex::default(),
            metrics: m,
        })
    }

    fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The newest backup on disk, whoever wrote it.
    fn saw(&self, newest: Option<&StoredBackup>) {
        let Some(newest) = newest else { return };
        let mut status = self.status();
        if status
            .failure
            .as_ref()
            .is_some_and(|(at, _)| *at < newest.taken_at)
        {
            // Another instance (or `yizhan backup`) has written one since.
            status.failure = None;
            self.metrics.last_failed.set(0);
        }
        if status.last.is_some_and(|(at, _)| at >= newest.taken_at) {
            return;
        }
        let bytes = newest.bytes();
        status.last = Some((newest.taken_at, bytes));
        self.metrics.last_success.set(newest.taken_at.timestamp());
        self.metrics.last_bytes.set(bytes as i64);
    }

    fn succeeded(&self, snapshot: &Snapshot) {
        let mut status = self.status();
        status.last = Some((snapshot.taken_at, snapshot.bytes()));
        status.failure = None;
        self.metrics.last_success.set(snapshot.taken_at.timestamp());
        self.metrics.last_bytes.set(snapshot.bytes() as i64);
        self.metrics.last_duration.set(snapshot.took.as_secs_f64());
        self.metrics.last_failed.set(0);
        self.metrics.runs.with_label_values(&["ok"]).inc();
    }

    fn failed(&self, err: &BackupError) {
        self.status().failure = Some((Utc::now(), err.to_string()));
        self.metrics.last_failed.set(1);
        self.metrics.runs.with_label_values(&["failed"]).inc();
    }

    fn uploaded(&self, ok: bool) {
        let outcome = if ok { "ok" } else { "failed" };
        self.metrics.uploads.with_label_values(&[outcome]).inc();
    }

    fn uploads(&self, pending: u64, error: Option<String>) {
        let mut status = self.status();
        status.uploads_pending = pending;
        status.upload_error = error.filter(|_| pending > 0);
        self.metrics.uploads_pending.set(pending as i64);
    }

    /// The `backup` part of `/readyz`; `None` when this instance schedules no backups.
    pub fn health(&self, now: DateTime<Utc>) -> Option<BackupHealth> {
        let interval = TimeDelta::from_std(self.interval?).unwrap_or(TimeDelta::MAX);
        let overdue =
            |since: DateTime<Utc>| now - since > interval.checked_mul(2).unwrap_or(TimeDelta::MAX);
        let status = self.status();
        let state = match (&status.failure, status.last) {
            (Some(_), _) => "failed",
            (None, Some((at, _))) if overdue(at) => "stale",
            (None, Some(_)) => "ok",
            (None, None) if overdue(self.started_at) => "stale",
            (None, None) => "pending",
        };
        Some(BackupHealth {
            status: state.into(),
            last_backup_at: status.last.map(|(at, _)| at),
            last_backup_bytes: status.last.map(|(_, bytes)| bytes),
            last_error: status.failure.as_ref().map(|(_, e)| e.clone()),
            uploads_pending: status.uploads_pending,
            upload_error: status.upload_error.clone(),
        })
    }
}

/// What one tick of the schedule did.
#[derive(Debug)]
pub enum Round {
    /// Another backup (another instance, or `yizhan backup`) holds the lock.
    Busy,
    /// The newest backup is younger than the interval.
    NotDue,
    Took(Snapshot),
}

/// The schedule of one instance.
pub struct Scheduler {
    db: DatabaseConnection,
    db_file: PathBuf,
    dir: PathBuf,
    settings: BackupSettings,
    monitor: Arc<BackupMonitor>,
    /// Files known to be at the destination, so each is checked there once.
    uploaded: tokio::sync::Mutex<HashSet<String>>,
}

impl Scheduler {
    pub fn new(
        db: DatabaseConnection,
        db_file: PathBuf,
        settings: &BackupSettings,
        monitor: Arc<BackupMonitor>,
    ) -> Self {
        Self {
            dir: settings.dir_for(&db_file),
            db,
            db_file,
            settings: settings.clone(),
            monitor,
            uploaded: Default::default(),
        }
    }

    pub fn monitor(&self) -> &Arc<BackupMonitor> {
        &self.monitor
    }

    /// The period of the ticks: the interval, or the upload retry when
    /// shorter; at most a day (longer intervals are kept by the backups' age).
    pub fn tick(&self) -> Duration {
        let secs = self
            .settings
            .interval_secs
            .min(self.settings.upload_retry_secs.max(1))
            .clamp(1, 86_400);
        Duration::from_secs(secs)
    }

    /// One tick: see the module documentation.
    pub async fn round(&self) -> Result<Round, BackupError> {
        let Some(_lock) = BackupLock::try_acquire(&self.db_file)? else {
            self.monitor.saw(stored::list(&self.dir)?.first());
            return Ok(Round::Busy);
        };
        stored::remove_leftovers(&self.dir);
        let now = Utc::now();
        let newest = stored::list(&self.dir)?.into_iter().next();
        let interval = i64::try_from(self.settings.interval_secs)
            .ok()
            .and_then(TimeDelta::try_seconds)
            .unwrap_or(TimeDelta::MAX);
        let due = newest.as_ref().is_none_or(|b| now - b.taken_at >= interval);
        let outcome = if due {
            match snapshot::take(&self.db, &self.dir, &self.settings.media_dir).await {
                Ok(snapshot) => {
                    tracing::info!(backup = %snapshot.database.display(), bytes = snapshot.bytes(),
                        took_ms = snapshot.took.as_millis() as u64, "backup written");
                    self.monitor.succeeded(&snapshot);
                    Ok(Round::Took(snapshot))
                }
                Err(err) => {
                    tracing::error!(error = %err, "backup failed");
                    self.monitor.failed(&err);
                    Err(err)
                }
            }
        } else {
            self.monitor.saw(newest.as_ref());
            Ok(Round::NotDue)
        };
        match stored::prune(&self.dir, &self.settings.keep, Utc::now()) {
            Ok(removed) => {
                for backup in removed {
                    tracing::info!(backup = %backup.name, "old backup removed (retention)");
                }
            }
            Err(err) => tracing::warn!(error = %err, "backup retention failed"),
        }
        self.copy_off_machine().await;
        outcome
    }

    /// Copies every retained backup file the destination lacks, newest
    /// first; stops at the first failure (the next tick tries again).
    async fn copy_off_machine(&self) {
        if self.settings.destination.backend == DestinationBackend::None {
            return;
        }
        let backups = match stored::list(&self.dir) {
            Ok(backups) => backups,
            Err(err) => {
                self.monitor.uploads(0, Some(err.to_string()));
                return;
            }
        };
        let files: Vec<(String, PathBuf)> = backups
            .iter()
            .flat_map(|b| b.files())
            .filter_map(|f| Some((f.file_name()?.to_str()?.to_owned(), f)))
            .collect();
        let mut uploaded = self.uploaded.lock().await;
        uploaded.retain(|name| files.iter().any(|(n, _)| n == name));
        let mut pending: Vec<_> = files
            .iter()
            .filter(|(n, _)| !uploaded.contains(n))
            .collect();
        if pending.is_empty() {
            self.monitor.uploads(0, None);
            return;
        }
        // Opened on each pass: a destination that cannot even be opened
        // (a directory that cannot be created) is a failed copy, retried.
        let destination = match Destination::open(&self.settings.destination) {
            Ok(Some(destination)) => destination,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(error = %err, pending = pending.len(), "backup destination unusable; will retry");
                self.monitor.uploaded(false);
                self.monitor
                    .uploads(pending.len() as u64, Some(err.to_string()));
                return;
            }
        };
        let mut error = None;
        while let Some((name, path)) = pending.first() {
            match destination.ensure(path, name).await {
                Ok(done) => {
                    if done != super::destination::Uploaded::AlreadyThere {
                        tracing::info!(file = %name, destination = %destination.label, "backup copied off-machine");
                        self.monitor.uploaded(true);
                    }
                    uploaded.insert(name.clone());
                    pending.remove(0);
                }
                Err(err) => {
                    tracing::warn!(file = %name, error = %err, pending = pending.len(),
                        "backup copy failed; will retry");
                    self.monitor.uploaded(false);
                    error = Some(err.to_string());
                    break;
                }
            }
        }
        self.monitor.uploads(pending.len() as u64, error);
    }
}

/// Runs `scheduler` for the life of the process.
pub fn spawn(scheduler: Scheduler) {
    let scheduler = Arc::new(scheduler);
    crate::jobs::repeat("backup", scheduler.tick(), move || {
        let scheduler = scheduler.clone();
        async move { scheduler.round().await.map(|_| ()) }
    });
}
