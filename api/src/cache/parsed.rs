//! Cached values as parsed, in this process, for reads that work on the
//! value rather than send its text (the feed sorts a community's notices and
//! pages them for each reader): a hit costs no JSON parse.
//!
//! Entries are keyed by the versioned key, like the text they were parsed
//! from: a bump of the namespace leaves them unread, and they age out by the
//! same TTL and a byte budget of their own.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

type Value = Arc<dyn Any + Send + Sync>;

#[derive(Clone)]
struct Entry {
    value: Value,
    /// The length of the text it was parsed from: its weight.
    text_bytes: usize,
}

pub struct Parsed {
    values: moka::future::Cache<String, Entry>,
}

/// How long a parsed value is kept at most (its text may live longer).
const TTL: Duration = Duration::from_secs(60);

impl Parsed {
    /// Parsed values of texts `max_text_bytes` long in all (a parsed value
    /// takes a few times its text).
    pub fn new(max_text_bytes: u64) -> Self {
        Self {
            values: moka::future::Cache::builder()
                .max_capacity(max_text_bytes)
                .weigher(|key: &String, e: &Entry| {
                    u32::try_from(key.len() + e.text_bytes + 128).unwrap_or(u32::MAX)
                })
                .time_to_live(TTL)
                .build(),
        }
    }

    pub async fn get<T: Send + Sync + 'static>(&self, versioned_key: &str) -> Option<Arc<T>> {
        let entry = self.values.get(versioned_key).await?;
        entry.value.downcast::<T>().ok()
    }

    pub async fn insert<T: Send + Sync + 'static>(
        &self,
        versioned_key: String,
        value: Arc<T>,
        text_bytes: usize,
    ) {
        self.values
            .insert(versioned_key, Entry { value, text_bytes })
            .await;
    }
}
