//! The cache in front of hot public reads, and the shared counters behind rate
//! limits: Redis in production, an in-process cache by default, one interface.
//!
//! Invalidation is by namespace generation: a key's namespace is its text up
//! to the first `:` (`goods:` in `goods:list:…`), every stored key carries the
//! namespace's current generation, and `delete_prefix("goods:")` bumps the
//! generation: O(1) on any number of keys, instant for every instance sharing
//! the Redis, and a reader that loaded from the database before the bump
//! stores its (now stale) answer under the old generation, where nobody looks.
//!
//! The cache is never the source of truth. Every read falls through to the
//! database when the backend fails, and such failures are logged and counted
//! (`yizhan_cache_operations_total{outcome="error"}`), never returned to clients.

mod flight;
pub mod keys;
pub(crate) mod memory;
mod parsed;
mod reads;
mod redis;

use std::sync::Arc;
use std::time::Duration;

use self::flight::Flights;
pub use self::memory::MemoryCache;
use self::parsed::Parsed;
pub use self::redis::RedisCache;
use crate::telemetry::Metrics;

/// A JSON document already serialised (a cache hit): answered as
/// `200 application/json` without another round of serde, and without a copy:
/// the body shares the text the cache holds.
pub struct JsonText(pub Arc<str>);

impl From<String> for JsonText {
    fn from(text: String) -> Self {
        Self(Arc::from(text))
    }
}

/// The cached text as the bytes of a response body.
struct SharedText(Arc<str>);

impl AsRef<[u8]> for SharedText {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl actix_web::Responder for JsonText {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _req: &actix_web::HttpRequest) -> actix_web::HttpResponse {
        actix_web::HttpResponse::Ok()
            .content_type(actix_web::http::header::ContentType::json())
            .body(actix_web::web::Bytes::from_owner(SharedText(self.0)))
    }
}

/// `"goods:list:1"` → (`"goods:"`, `"list:1"`); no colon → no namespace.
fn split_namespace(key: &str) -> (&str, &str) {
    match key.find(':') {
        Some(i) => key.split_at(i + 1),
        None => ("", key),
    }
}

/// The stored form of `rest` in namespace `ns` at `generation`.
fn versioned_key(ns: &str, generation: u64, rest: &str) -> String {
    format!("{ns}{generation}:{rest}")
}

#[derive(Debug, thiserror::Error)]
#[error("cache backend failed: {0}")]
pub struct CacheError(pub String);

/// The result of an atomic counter increment in a fixed window.
#[derive(Clone, Copy, Debug)]
pub struct WindowCount {
    pub count: i64,
    /// Time until the window resets.
    pub resets_in: Duration,
}

enum Backend {
    Memory(MemoryCache),
    Redis(RedisCache),
}

#[derive(Clone)]
pub struct Cache {
    backend: Arc<Backend>,
    metrics: Arc<Metrics>,
    /// Larger values are not stored (`cache.max_value_bytes`): one huge
    /// answer cannot push the rest out or fill Redis.
    max_value_bytes: usize,
    /// With Redis: rate-limit counters kept here while Redis is down.
    fallback_counters: Option<Arc<MemoryCache>>,
    /// Loads of missing keys in flight in this process.
    flights: Arc<Flights>,
    /// Values as parsed, for [`Cache::get_or_load_shared`].
    parsed: Arc<Parsed>,
}

/// The parsed values' budget: their texts' bytes (a parsed value takes a few
/// times its text).
const PARSED_TEXT_BYTES: u64 = 4 * 1024 * 1024;

/// Counters kept in process while Redis is down.
const FALLBACK_COUNTERS: u64 = 100_000;

/// The largest value stored when none is configured (unit tests).
const DEFAULT_MAX_VALUE_BYTES: usize = 1024 * 1024;

impl Cache {
    /// The in-process cache: values `max_bytes` in all, `max_counters` rate-limit counters.
    pub fn memory(max_bytes: u64, max_counters: u64, metrics: Arc<Metrics>) -> Self {
        Self {
            backend: Arc::new(Backend::Memory(MemoryCache::new(max_bytes, max_counters))),
            metrics,
            max_value_bytes: DEFAULT_MAX_VALUE_BYTES,
            fallback_counters: None,
            flights: Arc::default(),
            parsed: Arc::new(Parsed::new(PARSED_TEXT_BYTES)),
        }
    }

    pub fn redis(redis: RedisCache, metrics: Arc<Metrics>) -> Self {
        Self {
            backend: Arc::new(Backend::Redis(redis)),
            metrics,
            max_value_bytes: DEFAULT_MAX_VALUE_BYTES,
            fallback_counters: Some(Arc::new(MemoryCache::new(0, FALLBACK_COUNTERS))),
            flights: Arc::default(),
            parsed: Arc::new(Parsed::new(PARSED_TEXT_BYTES)),
        }
    }

    /// Values over `bytes` are answered but not stored.
    pub fn with_max_value_bytes(mut self, bytes: usize) -> Self {
        self.max_value_bytes = bytes;
        self
    }

    /// Bytes the values held in this process take (the in-process cache, or
    /// Redis's local copy), by their weight: never above the budget.
    pub async fn weighted_size(&self) -> u64 {
        match &*self.backend {
            Backend::Memory(m) => m.weighted_size().await,
            Backend::Redis(r) => r.weighted_size().await,
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match &*self.backend {
            Backend::Memory(_) => "memory",
            Backend::Redis(_) => "redis",
        }
    }

    fn count(&self, outcome: &str) {
        self.metrics.cache_ops.with_label_values(&[outcome]).inc();
    }

    fn failed(&self, op: &str, err: &CacheError) {
        self.count("error");
        tracing::warn!(op, %err, backend = self.backend_name(), "cache unavailable, using the database");
    }

    pub async fn get(&self, key: &str) -> Option<String> {
        self.get_versioned(key).await.1.map(|v| v.to_string())
    }

    /// The value under `key` and the generation it was looked up in; the
    /// generation is None when the backend failed (then nothing is stored).
    async fn get_versioned(&self, key: &str) -> (Option<u64>, Option<Arc<str>>) {
        self.lookup(key, false).await
    }

    /// The public-read lookup: on Redis, the value may come from the local copy.
    async fn get_for_read(&self, key: &str) -> (Option<u64>, Option<Arc<str>>) {
        self.lookup(key, true).await
    }

    async fn lookup(&self, key: &str, for_read: bool) -> (Option<u64>, Option<Arc<str>>) {
        let (ns, rest) = split_namespace(key);
        let result = match &*self.backend {
            Backend::Memory(m) => Ok(m.get_versioned(ns, rest).await),
            Backend::Redis(r) if for_read => r.get_versioned_read(ns, rest).await,
            Backend::Redis(r) => r
                .get_versioned(ns, rest)
                .await
                .map(|(g, v)| (g, v.map(Arc::from))),
        };
        match result {
            Ok((generation, Some(v))) => {
                self.count("hit");
                (Some(generation), Some(v))
            }
            Ok((generation, None)) => {
                self.count("miss");
                (Some(generation), None)
            }
            Err(err) => {
                self.failed("get", &err);
                (None, None)
            }
        }
    }

    async fn set_versioned(&self, key: &str, generation: u64, value: &str, ttl: Duration) {
        if value.len() > self.max_value_bytes {
            self.count("too_large");
            return;
        }
        let (ns, rest) = split_namespace(key);
        let result = match &*self.backend {
            Backend::Memory(m) => {
                m.set(&versioned_key(ns, generation, rest), value, ttl)
                    .await;
                Ok(())
            }
            Backend::Redis(r) => r.set_versioned(ns, generation, rest, value, ttl).await,
        };
        if let Err(err) = result {
            self.failed("set", &err);
        }
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) {
        let (ns, _) = split_namespace(key);
        let generation = match &*self.backend {
            Backend::Memory(m) => Ok(m.generation(ns)),
            Backend::Redis(r) => r.generation(ns).await,
        };
        match generation {
            Ok(generation) => self.set_versioned(key, generation, value, ttl).await,
            Err(err) => self.failed("set", &err),
        }
    }

    /// The current generation of namespace `ns`, for a key of another
    /// namespace that must also change whenever `ns` is dropped; None when
    /// the backend failed (then nothing should be stored).
    /// On Redis, reads arriving together share one GET.
    pub async fn generation(&self, ns: &str) -> Option<u64> {
        let generation = match &*self.backend {
            Backend::Memory(m) => Ok(m.generation(ns)),
            Backend::Redis(r) => r.generation_for_read(ns).await,
        };
        match generation {
            Ok(g) => Some(g),
            Err(err) => {
                self.failed("generation", &err);
                None
            }
        }
    }

    /// Sets `key` only when absent; true when this call set it. Used as a short lock.
    pub async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        match &*self.backend {
            Backend::Memory(m) => Ok(m.set_if_absent(key, value, ttl).await),
            Backend::Redis(r) => r.set_if_absent(key, value, ttl).await,
        }
    }

    pub async fn delete(&self, key: &str) {
        let (ns, rest) = split_namespace(key);
        let result = match &*self.backend {
            Backend::Memory(m) => {
                let generation = m.generation(ns);
                m.delete(&versioned_key(ns, generation, rest)).await;
                Ok(())
            }
            Backend::Redis(r) => r.delete_versioned(ns, rest).await,
        };
        if let Err(err) = result {
            self.failed("delete", &err);
        }
    }

    /// Invalidates every key that starts with `prefix`, before the caller
    /// answers. A whole namespace (`"goods:"`) is one generation bump; a
    /// narrower prefix is deleted key by key.
    pub async fn delete_prefix(&self, prefix: &str) {
        let (ns, rest) = split_namespace(prefix);
        let result = match (&*self.backend, rest.is_empty() && !ns.is_empty()) {
            (Backend::Memory(m), true) => {
                m.bump(ns);
                Ok(())
            }
            (Backend::Redis(r), true) => r.bump(ns).await,
            (Backend::Memory(m), false) => {
                m.delete_prefix(&versioned_key(ns, m.generation(ns), rest));
                Ok(())
            }
            (Backend::Redis(r), false) => match r.generation(ns).await {
                Ok(generation) => r.delete_prefix(&versioned_key(ns, generation, rest)).await,
                Err(err) => Err(err),
            },
        };
        if let Err(err) = result {
            self.failed("delete_prefix", &err);
        }
    }

    /// Atomically increments the counter `key` in a fixed window that starts
    /// with the first increment. While Redis fails, the count is this
    /// instance's own (kept in process), so limits hold per instance.
    pub async fn incr_window(
        &self,
        key: &str,
        window: Duration,
    ) -> Result<WindowCount, CacheError> {
        let result = match &*self.backend {
            Backend::Memory(m) => Ok(m.incr_window(key, window).await),
            Backend::Redis(r) => r.incr_window(key, window).await,
        };
        match (result, &self.fallback_counters) {
            (Ok(count), _) => Ok(count),
            (Err(err), Some(local)) => {
                self.failed("incr", &err);
                Ok(local.incr_window(key, window).await)
            }
            (Err(err), None) => {
                self.failed("incr", &err);
                Err(err)
            }
        }
    }

    /// Whether the backend answers; always true for the in-process cache.
    pub async fn ping(&self) -> Result<(), CacheError> {
        match &*self.backend {
            Backend::Memory(_) => Ok(()),
            Backend::Redis(r) => r.ping().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> Cache {
        Cache::memory(1 << 20, 1000, Arc::new(Metrics::new().unwrap()))
    }

    #[test]
    fn namespaces_are_split_at_the_first_colon() {
        assert_eq!(split_namespace("goods:list:1"), ("goods:", "list:1"));
        assert_eq!(split_namespace("goods:"), ("goods:", ""));
        assert_eq!(split_namespace("plain"), ("", "plain"));
    }

    #[tokio::test]
    async fn a_namespace_bump_hides_every_key_and_a_stale_load_stays_hidden() {
        let c = cache();
        let ttl = Duration::from_secs(60);
        c.set("goods:a", "1", ttl).await;
        c.set("merchants:a", "m", ttl).await;
        assert_eq!(c.get("goods:a").await.as_deref(), Some("1"));
        c.delete_prefix("goods:").await;
        assert_eq!(c.get("goods:a").await, None);
        assert_eq!(c.get("merchants:a").await.as_deref(), Some("m"));

        // A reader that looked before a write stores under the old generation.
        let (generation, _) = c.get_versioned("goods:b").await;
        c.delete_prefix("goods:").await;
        c.set_versioned("goods:b", generation.unwrap(), "stale", ttl)
            .await;
        assert_eq!(c.get("goods:b").await, None);

        c.set("goods:list:1", "x", ttl).await;
        c.set("goods:detail:1", "y", ttl).await;
        c.delete_prefix("goods:list:").await;
        assert_eq!(c.get("goods:list:1").await, None);
        assert_eq!(c.get("goods:detail:1").await.as_deref(), Some("y"));
        c.delete("goods:detail:1").await;
        assert_eq!(c.get("goods:detail:1").await, None);
    }

    #[tokio::test]
    async fn readers_missing_one_key_together_load_it_once() {
        let c = cache();
        let ttl = Duration::from_secs(60);
        let loads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let read = |n: i64| {
            let (c, loads) = (c.clone(), loads.clone());
            async move {
                c.get_or_load_json("goods:list:hot", ttl, || async move {
                    loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok::<_, serde_json::Error>(vec![n])
                })
                .await
                .map(|text| text.0.to_string())
            }
        };
        let answers = futures_util::future::join_all((0..20).map(read)).await;
        assert_eq!(loads.load(std::sync::atomic::Ordering::SeqCst), 1);
        for answer in answers {
            assert_eq!(answer.ok().as_deref(), Some("[0]"));
        }
        // After a write, the next reader loads again.
        c.delete_prefix("goods:").await;
        assert_eq!(read(7).await.ok().as_deref(), Some("[7]"));
        assert_eq!(loads.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_shared_value_is_parsed_once_and_a_bump_loads_it_anew() {
        let c = cache();
        let ttl = Duration::from_secs(60);
        let read = |n: i64| {
            let c = c.clone();
            async move {
                c.get_or_load_shared("notices:feed:1", ttl, || async move {
                    Ok::<_, serde_json::Error>(vec![n])
                })
                .await
            }
        };
        let first = read(1).await.ok();
        let again = read(2).await.ok();
        assert_eq!(first.as_deref(), Some(&vec![1]));
        assert!(matches!((&first, &again), (Some(a), Some(b)) if Arc::ptr_eq(a, b)));
        c.delete_prefix("notices:").await;
        assert_eq!(read(3).await.ok().as_deref(), Some(&vec![3]));
    }

    #[tokio::test]
    async fn a_bump_lets_go_of_the_values_of_the_generation_before() {
        let c = cache();
        let ttl = Duration::from_secs(60);
        for i in 0..100 {
            c.set(&format!("goods:list:{i}"), &"x".repeat(1000), ttl)
                .await;
        }
        c.set("goods1:detail", "one goods", ttl).await;
        c.set("goods10:detail", "another goods", ttl).await;
        assert!(c.weighted_size().await > 100_000);
        c.delete_prefix("goods:").await;
        c.delete_prefix("goods1:").await;
        let left = c.weighted_size().await;
        assert!(left < 1_000, "{left} bytes still held");
        assert_eq!(c.get("goods:list:1").await, None);
        assert_eq!(c.get("goods1:detail").await, None);
        assert_eq!(
            c.get("goods10:detail").await.as_deref(),
            Some("another goods")
        );
    }

    #[tokio::test]
    async fn values_are_bounded_by_bytes_and_large_ones_not_stored() {
        let budget = 64 * 1024;
        let c = Cache::memory(budget, 1000, Arc::new(Metrics::new().unwrap()))
            .with_max_value_bytes(4096);
        let ttl = Duration::from_secs(60);
        let value = "x".repeat(1000);
        for i in 0..1000 {
            c.set(&format!("goods:list:{i}"), &value, ttl).await;
        }
        let used = c.weighted_size().await;
        assert!(used <= budget && used > budget / 2, "{used}");
        c.set("goods:big", &"y".repeat(4097), ttl).await;
        assert_eq!(c.get("goods:big").await, None);
        c.set("goods:fits", &"y".repeat(4096), ttl).await;
        assert!(c.get("goods:fits").await.is_some());
    }
}
