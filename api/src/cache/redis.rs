//! The Redis backend: one multiplexed, self-reconnecting connection, every key
//! under the configured prefix, and a short back-off after a failure so a dead
//! Redis costs a request nothing but a skipped cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::oneshot;

use super::{CacheError, WindowCount};

/// After a failure, Redis is skipped for this long before it is tried again.
const BACKOFF_MS: i64 = 1000;

pub struct RedisCache {
    link: Arc<Link>,
    /// Values of versioned keys seen lately. A versioned key's value never
    /// changes (a write bumps the generation instead), so a local copy is
    /// safe while the generation, read from Redis on every lookup, still
    /// points at it: the big value is not shipped from Redis each time.
    local: moka::future::Cache<String, Arc<str>>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl From<redis::RedisError> for CacheError {
    fn from(err: redis::RedisError) -> Self {
        CacheError(err.to_string())
    }
}

/// The connection and what every user of it shares.
struct Link {
    conn: ConnectionManager,
    prefix: String,
    skip_until_ms: AtomicI64,
    generation_reads: Mutex<HashMap<String, GenerationReads>>,
}

/// Public reads of one namespace's generation waiting for the next GET.
#[derive(Default)]
struct GenerationReads {
    running: bool,
    waiting: Vec<oneshot::Sender<Result<u64, String>>>,
}

impl Link {
    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    fn generation_key(&self, ns: &str) -> String {
        format!("{}gen:{}", self.prefix, ns)
    }

    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, CacheError> {
        if now_ms() < self.skip_until_ms.load(Ordering::Relaxed) {
            return Err(CacheError("redis skipped after a recent failure".into()));
        }
        let mut conn = self.conn.clone();
        match cmd.query_async(&mut conn).await {
            Ok(v) => Ok(v),
            Err(err) => {
                if err.is_io_error()
                    || err.is_timeout()
                    || err.is_connection_dropped()
                    || err.is_connection_refusal()
                {
                    self.skip_until_ms
                        .store(now_ms() + BACKOFF_MS, Ordering::Relaxed);
                }
                Err(err.into())
            }
        }
    }

    async fn generation(&self, ns: &str) -> Result<u64, CacheError> {
        let g: Option<u64> = self
            .run(redis::cmd("GET").arg(self.generation_key(ns)))
            .await?;
        Ok(g.unwrap_or(0))
    }

    /// Sends one GET for everyone waiting, answers them, and goes on while
    /// more arrived meanwhile.
    async fn read_generations(self: Arc<Self>, ns: String) {
        let mut stopped = StopReading {
            link: &self,
            ns: &ns,
            finished: false,
        };
        loop {
            let batch = {
                let mut reads = self.reads();
                let queue = reads.entry(ns.clone()).or_default();
                if queue.waiting.is_empty() {
                    queue.running = false;
                    stopped.finished = true;
                    return;
                }
                std::mem::take(&mut queue.waiting)
            };
            let result = self.generation(&ns).await.map_err(|err| err.0);
            for waiter in batch {
                let _ = waiter.send(result.clone());
            }
        }
    }

    fn reads(&self) -> std::sync::MutexGuard<'_, HashMap<String, GenerationReads>> {
        self.generation_reads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Should the reading task be dropped mid-way (its runtime shutting down),
/// the readers it left waiting are let go (they use the database) and the
/// next reader starts a new task.
struct StopReading<'a> {
    link: &'a Link,
    ns: &'a str,
    finished: bool,
}

impl Drop for StopReading<'_> {
    fn drop(&mut self) {
        if !self.finished
            && let Some(queue) = self.link.reads().get_mut(self.ns)
        {
            queue.running = false;
            queue.waiting.clear();
        }
    }
}

impl RedisCache {
    /// Builds the client without connecting: the API starts even when Redis is down.
    /// `local_bytes` bounds the local copy of values, weighed as in memory.
    pub fn new(
        url: &str,
        prefix: &str,
        timeout: Duration,
        local_bytes: u64,
    ) -> Result<Self, CacheError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let conn = client.get_connection_manager_lazy(config)?;
        Ok(Self {
            link: Arc::new(Link {
                conn,
                prefix: prefix.to_owned(),
                skip_until_ms: AtomicI64::new(0),
                generation_reads: Mutex::default(),
            }),
            local: moka::future::Cache::builder()
                .max_capacity(local_bytes)
                .weigher(|key: &String, value: &Arc<str>| super::memory::weight(key, value))
                .time_to_live(Duration::from_secs(5))
                .build(),
        })
    }

    fn key(&self, key: &str) -> String {
        self.link.key(key)
    }

    /// Bytes the local copy of values takes now.
    pub async fn weighted_size(&self) -> u64 {
        self.local.run_pending_tasks().await;
        self.local.weighted_size()
    }

    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, CacheError> {
        self.link.run(cmd).await
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        self.run(redis::cmd("GET").arg(self.key(key))).await
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        let ms = ttl.as_millis().max(1) as u64;
        self.run::<()>(
            redis::cmd("SET")
                .arg(self.key(key))
                .arg(value)
                .arg("PX")
                .arg(ms),
        )
        .await
    }

    pub async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let ms = ttl.as_millis().max(1) as u64;
        let reply: Option<String> = self
            .run(
                redis::cmd("SET")
                    .arg(self.key(key))
                    .arg(value)
                    .arg("NX")
                    .arg("PX")
                    .arg(ms),
            )
            .await?;
        Ok(reply.is_some())
    }

    fn generation_key(&self, ns: &str) -> String {
        self.link.generation_key(ns)
    }

    pub async fn generation(&self, ns: &str) -> Result<u64, CacheError> {
        self.link.generation(ns).await
    }

    /// The namespace's generation for a public read. Reads that arrive
    /// while one is on its way to Redis share the next one, sent once they
    /// have all arrived: each still sees every write finished before it
    /// began, and Redis answers one GET per round trip instead of one per
    /// request.
    pub async fn generation_for_read(&self, ns: &str) -> Result<u64, CacheError> {
        let (tx, rx) = oneshot::channel();
        let first = {
            let mut reads = self.link.reads();
            let queue = reads.entry(ns.to_owned()).or_default();
            queue.waiting.push(tx);
            !std::mem::replace(&mut queue.running, true)
        };
        if first {
            tokio::spawn(self.link.clone().read_generations(ns.to_owned()));
        }
        rx.await
            .map_err(|_| CacheError("generation read abandoned".into()))?
            .map_err(CacheError)
    }

    /// The namespace's generation and the value under it, in one round trip.
    pub async fn get_versioned(
        &self,
        ns: &str,
        rest: &str,
    ) -> Result<(u64, Option<String>), CacheError> {
        const SCRIPT: &str = "local g = redis.call('GET', KEYS[1]) or '0' \
            return {g, redis.call('GET', ARGV[1] .. g .. ':' .. ARGV[2])}";
        let reply: Vec<Option<String>> = self
            .run(
                redis::cmd("EVAL")
                    .arg(SCRIPT)
                    .arg(1)
                    .arg(self.generation_key(ns))
                    .arg(self.key(ns))
                    .arg(rest),
            )
            .await?;
        let generation = reply
            .first()
            .cloned()
            .flatten()
            .and_then(|g| g.parse().ok())
            .unwrap_or(0);
        Ok((generation, reply.get(1).cloned().flatten()))
    }

    /// Like [`RedisCache::get_versioned`], for public reads: the generation
    /// comes from Redis, the value from the local copy when there is one.
    pub async fn get_versioned_read(
        &self,
        ns: &str,
        rest: &str,
    ) -> Result<(u64, Option<Arc<str>>), CacheError> {
        let generation = self.generation_for_read(ns).await?;
        let key = format!("{ns}{generation}:{rest}");
        if let Some(v) = self.local.get(&key).await {
            return Ok((generation, Some(v)));
        }
        let value: Option<String> = self.run(redis::cmd("GET").arg(self.key(&key))).await?;
        let value = value.map(Arc::<str>::from);
        if let Some(v) = &value {
            self.local.insert(key, v.clone()).await;
        }
        Ok((generation, value))
    }

    pub async fn set_versioned(
        &self,
        ns: &str,
        generation: u64,
        rest: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<(), CacheError> {
        let key = format!("{ns}{generation}:{rest}");
        self.set(&key, value, ttl).await
    }

    pub async fn delete_versioned(&self, ns: &str, rest: &str) -> Result<(), CacheError> {
        let generation = self.generation(ns).await?;
        self.delete(&format!("{ns}{generation}:{rest}")).await
    }

    /// Invalidates a whole namespace. Generation keys never expire, so an old
    /// generation can never come back.
    pub async fn bump(&self, ns: &str) -> Result<(), CacheError> {
        self.run::<i64>(redis::cmd("INCR").arg(self.generation_key(ns)))
            .await
            .map(drop)
    }

    pub async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.run::<i64>(redis::cmd("UNLINK").arg(self.key(key)))
            .await
            .map(drop)
    }

    pub async fn delete_prefix(&self, prefix: &str) -> Result<(), CacheError> {
        let pattern = format!("{}*", glob_escape(&self.key(prefix)));
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = self
                .run(
                    redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(&pattern)
                        .arg("COUNT")
                        .arg(1000),
                )
                .await?;
            if !keys.is_empty() {
                self.run::<i64>(redis::cmd("UNLINK").arg(&keys)).await?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }

    pub async fn incr_window(
        &self,
        key: &str,
        window: Duration,
    ) -> Result<WindowCount, CacheError> {
        if now_ms() < self.link.skip_until_ms.load(Ordering::Relaxed) {
            return Err(CacheError("redis skipped after a recent failure".into()));
        }
        let key = self.key(key);
        let ms = window.as_millis().max(1) as u64;
        let mut conn = self.link.conn.clone();
        let (count, _, pttl): (i64, i64, i64) = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg(&key)
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(ms)
            .arg("NX")
            .cmd("PTTL")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .inspect_err(|_| {
                self.link
                    .skip_until_ms
                    .store(now_ms() + BACKOFF_MS, Ordering::Relaxed)
            })?;
        Ok(WindowCount {
            count,
            resets_in: Duration::from_millis(pttl.max(0) as u64),
        })
    }

    pub async fn ping(&self) -> Result<(), CacheError> {
        let mut conn = self.link.conn.clone();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }
}

/// Escapes Redis glob characters so a key prefix matches literally.
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn glob_escape_makes_patterns_literal() {
        assert_eq!(
            super::glob_escape("goods:q=a*b?[x]"),
            "goods:q=a\\*b\\?\\[x\\]"
        );
    }
}
