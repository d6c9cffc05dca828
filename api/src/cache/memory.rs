//! The in-process backend: a bounded moka cache with a TTL per entry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moka::Expiry;
use moka::future::Cache;

use super::WindowCount;

#[derive(Clone)]
struct Entry {
    value: Arc<str>,
    ttl: Duration,
}

struct EntryExpiry;

impl Expiry<String, Entry> for EntryExpiry {
    fn expire_after_create(&self, _key: &String, entry: &Entry, _now: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _key: &String,
        entry: &Entry,
        _now: Instant,
        _current: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}

struct Counter {
    count: AtomicI64,
    started: Instant,
    window: Duration,
}

struct CounterExpiry;

impl Expiry<String, Arc<Counter>> for CounterExpiry {
    fn expire_after_create(
        &self,
        _key: &String,
        c: &Arc<Counter>,
        _now: Instant,
    ) -> Option<Duration> {
        Some(c.window)
    }
}

pub struct MemoryCache {
    entries: Cache<String, Entry>,
    counters: Cache<String, Arc<Counter>>,
    generations: Mutex<HashMap<String, u64>>,
}

/// What one cached value costs in memory, in bytes: its key, its text and
/// moka's bookkeeping (about 100 bytes an entry). Saturates at `u32::MAX`.
pub fn weight(key: &str, value: &str) -> u32 {
    u32::try_from(key.len() + value.len() + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
}

const ENTRY_OVERHEAD: usize = 128;

impl MemoryCache {
    /// Values weigh their bytes, `max_bytes` in all; counters are at most
    /// `max_counters` (each is the same small size).
    pub fn new(max_bytes: u64, max_counters: u64) -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &String, entry: &Entry| weight(key, &entry.value))
                .expire_after(EntryExpiry)
                .support_invalidation_closures()
                .build(),
            counters: Cache::builder()
                .max_capacity(max_counters)
                .expire_after(CounterExpiry)
                .build(),
            generations: Mutex::new(HashMap::new()),
        }
    }

    /// Bytes the cached values take now, by [`weight`].
    pub async fn weighted_size(&self) -> u64 {
        self.entries.run_pending_tasks().await;
        self.entries.weighted_size()
    }

    pub fn generation(&self, ns: &str) -> u64 {
        self.generations
            .lock()
            .map(|g| g.get(ns).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Moves namespace `ns` to its next generation, and lets go of the
    /// values of the one before: nobody reads them any more, and left to
    /// their TTL they would take the budget (and the process's memory) from
    /// live ones while writes come often.
    pub fn bump(&self, ns: &str) {
        let old = match self.generations.lock() {
            Ok(mut g) => {
                let generation = g.entry(ns.to_owned()).or_insert(0);
                *generation += 1;
                *generation - 1
            }
            Err(_) => return,
        };
        self.delete_prefix(&super::versioned_key(ns, old, ""));
    }

    pub async fn get_versioned(&self, ns: &str, rest: &str) -> (u64, Option<Arc<str>>) {
        let generation = self.generation(ns);
        let value = self.get(&super::versioned_key(ns, generation, rest)).await;
        (generation, value)
    }

    pub async fn get(&self, key: &str) -> Option<Arc<str>> {
        self.entries.get(key).await.map(|e| e.value)
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) {
        let entry = Entry {
            value: Arc::from(value),
            ttl,
        };
        self.entries.insert(key.to_owned(), entry).await;
    }

    pub async fn set_if_absent(&self, key: &str, value: &str, ttl: Duration) -> bool {
        let entry = Entry {
            value: Arc::from(value),
            ttl,
        };
        self.entries
            .entry(key.to_owned())
            .or_insert(entry)
            .await
            .is_fresh()
    }

    pub async fn delete(&self, key: &str) {
        self.entries.invalidate(key).await;
    }

    pub fn delete_prefix(&self, prefix: &str) {
        let prefix = prefix.to_owned();
        if let Err(err) = self
            .entries
            .invalidate_entries_if(move |k, _| k.starts_with(&prefix))
        {
            // Only possible without support_invalidation_closures(); fall back to clearing.
            tracing::warn!(%err, "prefix invalidation unavailable, clearing the cache");
            self.entries.invalidate_all();
        }
    }

    pub async fn incr_window(&self, key: &str, window: Duration) -> WindowCount {
        let counter = self
            .counters
            .get_with(key.to_owned(), async {
                Arc::new(Counter {
                    count: AtomicI64::new(0),
                    started: Instant::now(),
                    window,
                })
            })
            .await;
        let count = counter.count.fetch_add(1, Ordering::SeqCst) + 1;
        let resets_in = counter.window.saturating_sub(counter.started.elapsed());
        WindowCount { count, resets_in }
    }
}
