//! Which users' cached unread counts a request or a job round must drop
//! after its writes commit.
//!
//! [`super::post`] runs inside the event's transaction, where dropping the
//! cached count would be too early (a concurrent read could load the count
//! from before the commit and store it again). So it only notes the
//! recipient in the task's scope; [`scope`] drops the noted counts once the
//! request (every request runs in one, see [`middleware`]) or the job round
//! has finished, that is after every commit in it.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::{Arc, Mutex};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use crate::cache::{Cache, keys};
use crate::state::AppState;

type Noted = Arc<Mutex<BTreeSet<i64>>>;

tokio::task_local! {
    static NOTED: Noted;
}

/// Notes `users` in the running scope; outside one (a one-off tool), their
/// counts expire with the cache's TTL.
pub fn note(users: &[i64]) {
    let noted = NOTED.try_with(|n| {
        if let Ok(mut set) = n.lock() {
            set.extend(users.iter().copied());
        }
    });
    if noted.is_err() {
        tracing::debug!(count = users.len(), "inbox write outside a tracking scope");
    }
}

/// Runs `work`, then drops the cached unread count of every user it wrote to.
pub async fn scope<F: Future>(cache: &Cache, work: F) -> F::Output {
    let noted: Noted = Arc::default();
    let out = NOTED.scope(noted.clone(), work).await;
    let users: Vec<i64> = noted
        .lock()
        .map(|set| set.iter().copied().collect())
        .unwrap_or_default();
    keys::inbox_changed(cache, &users).await;
    out
}

/// Every request in a [`scope`]: the counts it changed are dropped before
/// the client has the answer.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    match req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.cache.clone())
    {
        Some(cache) => scope(&cache, next.call(req)).await,
        None => next.call(req).await,
    }
}
