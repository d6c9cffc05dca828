//! One load per missing key at a time (single flight).
//!
//! When a write drops a namespace, every reader of a hot key misses at the
//! same moment. Without this, each of them runs the same query and prints
//! the same JSON: under load, dozens of identical loads per key per write.
//! With it, the first reader of a versioned key loads it and the readers that
//! arrive meanwhile wait for its text. A leader that fails, or whose request
//! is dropped, hands nothing over: its waiters load for themselves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

type Waiters = Vec<oneshot::Sender<Arc<str>>>;

/// The loads in flight, by versioned key.
#[derive(Default)]
pub struct Flights {
    loading: Mutex<HashMap<String, Waiters>>,
}

/// What a reader that missed `key` does.
pub enum Turn<'a> {
    /// Nobody is loading the key: this reader loads it, then [`Leader::done`].
    Lead(Leader<'a>),
    /// Another reader is loading it: wait for its text (None: load yourself).
    Wait(oneshot::Receiver<Arc<str>>),
}

impl Flights {
    fn map(&self) -> MutexGuard<'_, HashMap<String, Waiters>> {
        self.loading
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn join(&self, key: &str) -> Turn<'_> {
        let mut map = self.map();
        if let Some(waiters) = map.get_mut(key) {
            let (tx, rx) = oneshot::channel();
            waiters.push(tx);
            return Turn::Wait(rx);
        }
        map.insert(key.to_owned(), Vec::new());
        Turn::Lead(Leader {
            flights: self,
            key: key.to_owned(),
            finished: false,
        })
    }

    /// Loads in flight now (tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.map().len()
    }
}

/// The reader loading a key. Dropped without [`Leader::done`] (the load
/// failed, or the request went away), it releases the waiters empty-handed.
pub struct Leader<'a> {
    flights: &'a Flights,
    key: String,
    finished: bool,
}

impl Leader<'_> {
    /// Hands the loaded text to every reader waiting for it.
    pub fn done(mut self, text: &Arc<str>) {
        self.finished = true;
        let waiters = self.flights.map().remove(&self.key).unwrap_or_default();
        for waiter in waiters {
            let _ = waiter.send(text.clone());
        }
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        if !self.finished {
            // Dropping the senders wakes the waiters with an error.
            self.flights.map().remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiters_get_the_leaders_text_and_a_failed_leader_releases_them() {
        let flights = Flights::default();
        let Turn::Lead(leader) = flights.join("goods:1:list") else {
            panic!("the first reader leads");
        };
        let Turn::Wait(first) = flights.join("goods:1:list") else {
            panic!("the second reader waits");
        };
        let Turn::Wait(second) = flights.join("goods:1:list") else {
            panic!("the third reader waits");
        };
        // Another key is loaded on its own.
        let Turn::Lead(other) = flights.join("goods:1:detail:7") else {
            panic!("another key has its own leader");
        };
        leader.done(&Arc::from("[1]"));
        assert_eq!(first.await.ok().as_deref(), Some("[1]"));
        assert_eq!(second.await.ok().as_deref(), Some("[1]"));

        let Turn::Wait(orphan) = flights.join("goods:1:detail:7") else {
            panic!("the detail is still being loaded");
        };
        drop(other);
        assert!(orphan.await.is_err(), "a dropped leader hands nothing over");
        assert_eq!(flights.len(), 0);
    }
}
