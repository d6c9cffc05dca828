//! Background jobs: each is a sweep of database rows run on a timer in every
//! API instance. Sweeps claim their rows with conditional updates, so any
//! number of instances may run them at once.
//!
//! Every job runs under a supervisor: a round that panics is caught, logged
//! with the job's name, counted in `yizhan_background_job_panics_total{job}`
//! and the loop goes on with the next round, so one bad row can never stop a
//! job (or any other) until the process restarts.

use std::fmt::Display;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::LazyLock;
use std::time::Duration;

use futures_util::FutureExt;
use prometheus::{IntCounterVec, Opts};

/// Panics caught in background jobs, by job name; process-wide, registered in
/// every instance's `/metrics` registry.
pub static JOB_PANICS: LazyLock<Option<IntCounterVec>> = LazyLock::new(|| {
    IntCounterVec::new(
        Opts::new(
            "background_job_panics_total",
            "Panics caught in background job rounds, by job",
        ),
        &["job"],
    )
    .ok()
});

/// Caught panics of the job named `what` so far.
pub fn panics_of(what: &str) -> u64 {
    JOB_PANICS
        .as_ref()
        .map(|c| c.with_label_values(&[what]).get())
        .unwrap_or(0)
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// Runs `round` now and then every `interval`, for the life of the process.
/// A failed round is logged and the next one tries again; a round that
/// panics is caught, logged and counted, and the next one runs as usual; a
/// round that runs long delays the next rather than piling up behind it.
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
            // The round's future is built inside the guard too: building it may panic.
            let outcome = AssertUnwindSafe(async { round().await })
                .catch_unwind()
                .await;
            match outcome {
                Ok(Ok(_)) => {}
                Ok(Err(err)) => {
                    tracing::warn!(job = what, error = %err, "background job failed; will retry");
                }
                Err(payload) => {
                    if let Some(c) = JOB_PANICS.as_ref() {
                        c.with_label_values(&[what]).inc();
                    }
                    tracing::error!(
                        job = what,
                        panic = %panic_message(payload.as_ref()),
                        "background job panicked; the loop goes on"
                    );
                }
            }
        }
    });
}
