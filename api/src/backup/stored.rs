//! The backups in a directory: their names (UTC time to the millisecond),
//! listing, retention, and the leftovers of a backup that died half-way.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

use super::BackupError;
use crate::settings::KeepSettings;

const PREFIX: &str = "yizhan-";
pub(super) const DATABASE_SUFFIX: &str = ".db.gz";
pub(super) const MEDIA_SUFFIX: &str = ".media.tar";
/// Name time format: `yizhan-20261201T230000.123Z`.
const TIME_FORMAT: &str = "%Y%m%dT%H%M%S%.3f";

pub fn name_for(at: DateTime<Utc>) -> String {
    format!("{PREFIX}{}Z", at.format(TIME_FORMAT))
}

/// The time in a backup's file name, if it is one of ours.
pub fn parse_name(file_name: &str) -> Option<(String, DateTime<Utc>)> {
    let name = file_name.strip_suffix(DATABASE_SUFFIX)?;
    let time = name.strip_prefix(PREFIX)?.strip_suffix('Z')?;
    let at = NaiveDateTime::parse_from_str(time, TIME_FORMAT)
        .ok()?
        .and_utc();
    Some((name.to_owned(), at))
}

/// A backup found in a directory.
#[derive(Debug, Clone)]
pub struct StoredBackup {
    pub name: String,
    pub taken_at: DateTime<Utc>,
    pub database: PathBuf,
    pub media: Option<PathBuf>,
}

impl StoredBackup {
    /// Its files: the database, then the media archive if any.
    pub fn files(&self) -> Vec<PathBuf> {
        std::iter::once(self.database.clone())
            .chain(self.media.clone())
            .collect()
    }

    pub fn bytes(&self) -> u64 {
        self.files()
            .iter()
            .filter_map(|f| f.metadata().ok())
            .map(|m| m.len())
            .sum()
    }
}

/// The backups in `dir`, newest first; none when `dir` does not exist.
pub fn list(dir: &Path) -> Result<Vec<StoredBackup>, BackupError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(BackupError::io(format!("read {}", dir.display()), e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| BackupError::io(format!("read {}", dir.display()), e))?;
        let file_name = entry.file_name();
        let Some((name, taken_at)) = file_name.to_str().and_then(parse_name) else {
            continue;
        };
        let media = dir.join(format!("{name}{MEDIA_SUFFIX}"));
        found.push(StoredBackup {
            database: entry.path(),
            media: media.is_file().then_some(media),
            name,
            taken_at,
        });
    }
    found.sort_by(|a, b| b.taken_at.cmp(&a.taken_at).then(b.name.cmp(&a.name)));
    Ok(found)
}

/// Which of `backups` (newest first) retention removes: everything past the
/// newest `keep.count`, and everything older than `keep.days`; never the newest.
pub fn expired<'a>(
    backups: &'a [StoredBackup],
    keep: &KeepSettings,
    now: DateTime<Utc>,
) -> Vec<&'a StoredBackup> {
    let oldest_kept = TimeDelta::try_days(i64::from(keep.days))
        .filter(|_| keep.days > 0)
        .and_then(|age| now.checked_sub_signed(age));
    backups
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(i, b)| {
            (keep.count > 0 && *i >= keep.count) || oldest_kept.is_some_and(|t| b.taken_at < t)
        })
        .map(|(_, b)| b)
        .collect()
}

/// Applies retention to `dir`; answers what it removed.
pub fn prune(
    dir: &Path,
    keep: &KeepSettings,
    now: DateTime<Utc>,
) -> Result<Vec<StoredBackup>, BackupError> {
    let backups = list(dir)?;
    let mut removed = Vec::new();
    for backup in expired(&backups, keep, now) {
        // The media archive first: a listed database never lacks its media.
        for file in backup.files().iter().rev() {
            std::fs::remove_file(file)
                .map_err(|e| BackupError::io(format!("remove {}", file.display()), e))?;
        }
        removed.push(backup.clone());
    }
    Ok(removed)
}

/// Removes the temporary files of a backup that died half-way (callers hold
/// the backup lock, so no backup is writing them).
pub fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&format!(".{PREFIX}")) && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The media archive that belongs to the backup file `database`, if any.
pub fn media_archive_of(database: &Path) -> Option<PathBuf> {
    let file_name = database.file_name()?.to_str()?;
    let name = file_name.strip_suffix(DATABASE_SUFFIX)?;
    let media = database.with_file_name(format!("{name}{MEDIA_SUFFIX}"));
    media.is_file().then_some(media)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(at: DateTime<Utc>) -> StoredBackup {
        StoredBackup {
            name: name_for(at),
            taken_at: at,
            database: PathBuf::new(),
            media: None,
        }
    }

    #[test]
    fn names_carry_the_utc_time_to_the_millisecond() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T23:04:05.678Z")
            .unwrap()
            .to_utc();
        assert_eq!(name_for(at), "yizhan-20261201T230405.678Z");
        assert_eq!(
            parse_name("yizhan-20261201T230405.678Z.db.gz"),
            Some(("yizhan-20261201T230405.678Z".to_owned(), at))
        );
        assert_eq!(parse_name("yizhan-20261201T230405.678Z.media.tar"), None);
        assert_eq!(parse_name(".yizhan-20261201T230405.678Z.gz.tmp"), None);
        assert_eq!(parse_name("notes.db.gz"), None);
    }

    #[test]
    fn retention_drops_past_the_count_and_the_age_but_never_the_newest() {
        let now = Utc::now();
        let hours = |h: i64| stored(now - TimeDelta::hours(h));
        let backups: Vec<_> = [1, 2, 30, 60, 100].map(hours).into();
        let names = |v: Vec<&StoredBackup>| v.iter().map(|b| b.taken_at).collect::<Vec<_>>();
        let keep = |count, days| KeepSettings { count, days };
        assert!(
            expired(&backups, &keep(0, u32::MAX), now).is_empty(),
            "no overflow"
        );
        assert_eq!(
            names(expired(&backups, &keep(3, 0), now)),
            [backups[3].taken_at, backups[4].taken_at]
        );
        assert_eq!(
            names(expired(&backups, &keep(0, 2), now)),
            [backups[3].taken_at, backups[4].taken_at]
        );
        assert_eq!(names(expired(&backups, &keep(2, 2), now)).len(), 3);
        assert!(expired(&backups, &keep(0, 0), now).is_empty());
        let old: Vec<_> = [200, 300].map(hours).into();
        assert_eq!(
            names(expired(&old, &keep(5, 1), now)),
            [old[1].taken_at],
            "the newest stays"
        );
    }
}
