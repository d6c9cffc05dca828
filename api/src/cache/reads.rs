//! Public reads through the cache: a hit answered from it, a miss loaded
//! once ([`super::flight`]) and stored under the generation seen before.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::flight::Turn;
use super::{Cache, JsonText, split_namespace, versioned_key};

impl Cache {
    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let raw = self.get(key).await?;
        serde_json::from_str(&raw).ok()
    }

    pub async fn set_json<T: Serialize>(&self, key: &str, value: &T, ttl: Duration) {
        if let Ok(raw) = serde_json::to_string(value) {
            self.set(key, &raw, ttl).await;
        }
    }

    /// Like [`Cache::get_or_load`], but answers the JSON text itself, so a hit
    /// goes to the client without being parsed and printed again. Handlers
    /// send it with [`JsonText`].
    pub async fn get_or_load_json<T, E, F, Fut>(
        &self,
        key: &str,
        ttl: Duration,
        load: F,
    ) -> Result<JsonText, E>
    where
        T: Serialize,
        E: From<serde_json::Error>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.read_through(
            key,
            ttl,
            load,
            |text| Some(JsonText(text.clone())),
            |value, text| match text {
                Some(text) => Ok(JsonText(text)),
                None => Ok(serde_json::to_string(&value)?.into()),
            },
        )
        .await
    }

    /// Answers from the cache, or computes, stores and answers. A zero TTL
    /// (`cache.ttl_secs = 0`) turns caching of reads off.
    pub async fn get_or_load<T, E, F, Fut>(&self, key: &str, ttl: Duration, load: F) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.read_through(
            key,
            ttl,
            load,
            |text| serde_json::from_str(text).ok(),
            |value, _| Ok(value),
        )
        .await
    }

    /// Like [`Cache::get_or_load`], for a value a read works on before it
    /// answers: the value is shared as parsed, so a hit costs no parse. The
    /// text is cached as by `get_or_load` (in Redis too); the parsed value
    /// is kept in this process under the same generation.
    pub async fn get_or_load_shared<T, E, F, Fut>(
        &self,
        key: &str,
        ttl: Duration,
        load: F,
    ) -> Result<Arc<T>, E>
    where
        T: Serialize + DeserializeOwned + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if ttl.is_zero() {
            return load().await.map(Arc::new);
        }
        let (ns, rest) = split_namespace(key);
        let Some(generation) = self.generation(ns).await else {
            return load().await.map(Arc::new);
        };
        let versioned = versioned_key(ns, generation, rest);
        if let Some(value) = self.parsed.get::<T>(&versioned).await {
            self.count("hit");
            return Ok(value);
        }
        let (value, text_bytes) = self
            .read_through(
                key,
                ttl,
                load,
                |text| {
                    serde_json::from_str(text)
                        .ok()
                        .map(|v| (Arc::new(v), text.len()))
                },
                |value, text| Ok((Arc::new(value), text.map_or(0, |t| t.len()))),
            )
            .await?;
        self.parsed
            .insert(versioned, value.clone(), text_bytes)
            .await;
        Ok(value)
    }

    /// The read-through both `get_or_load`s share. A hit is answered by
    /// `from_text` (None: unreadable, e.g. stored by an older release, so
    /// loaded again). On a miss, the first reader of the key loads it and
    /// stores the text under the generation it saw before loading (if a write
    /// bumped it meanwhile, this possibly stale value is never read); readers
    /// missing the same key meanwhile wait for that text instead of loading
    /// it again ([`flight`]).
    async fn read_through<T, R, E, F, Fut>(
        &self,
        key: &str,
        ttl: Duration,
        load: F,
        from_text: impl Fn(&Arc<str>) -> Option<R>,
        from_value: impl FnOnce(T, Option<Arc<str>>) -> Result<R, E>,
    ) -> Result<R, E>
    where
        T: Serialize,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if ttl.is_zero() {
            return from_value(load().await?, None);
        }
        let (generation, hit) = self.get_for_read(key).await;
        if let Some(found) = hit.as_ref().and_then(&from_text) {
            return Ok(found);
        }
        let Some(generation) = generation else {
            // The backend failed: load, store nothing.
            return from_value(load().await?, None);
        };
        let (ns, rest) = split_namespace(key);
        let leader = match self.flights.join(&versioned_key(ns, generation, rest)) {
            Turn::Lead(leader) => Some(leader),
            Turn::Wait(text) => match text.await.ok().as_ref().and_then(&from_text) {
                Some(found) => return Ok(found),
                None => None,
            },
        };
        let value = load().await?;
        let Ok(text) = serde_json::to_string(&value) else {
            return from_value(value, None);
        };
        let text: Arc<str> = Arc::from(text);
        self.set_versioned(key, generation, &text, ttl).await;
        if let Some(leader) = leader {
            leader.done(&text);
        }
        from_value(value, Some(text))
    }
}
