//! Background jobs: each is a sweep of database rows run on a timer in every
//! API instance. Sweeps claim their rows with conditional updates, so any
//! number of instances may run them at once.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

/// Runs `round` now and then every `interval`, for the life of the process.
/// A failed round is logged and the next one tries again; a round that runs
/// long delays the next rather than piling up behind it.
pub fn repeat<F, Fut, T, E>(what: &'static str, interval: Duration, mut round: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, E>> + Send,
    E: Display,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(err) = round().await {
                tracing::warn!(job = what, error = %err, "background job failed; will retry");
            }
        }
    });
}
