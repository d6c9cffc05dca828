//! The process's memory as the system allocator (glibc) keeps it.
//!
//! Two habits of glibc's malloc made a server that needs about 60 MB show
//! 150-200 MB resident (measured with `heaptrack` and `pmap`, see README
//! "Performance"):
//! - one arena per thread that ever contended for one (up to 8 per core),
//!   each keeping its own high-water mark;
//! - each HTTP worker builds its routes with their OpenAPI documents
//!   (`utoipa-actix-web` composes every schema per worker, about 18 MB at
//!   the peak) and frees them, and the freed pages stay with the arena.
//!
//! So the server caps the arenas at two before any thread starts, has its
//! workers build their routes one at a time, each giving the freed pages
//! back when done, and trims again shortly after start-up and every minute.

use std::time::Duration;

/// Arenas glibc's malloc may make (`M_ARENA_MAX`).
const ARENAS: i32 = 2;

/// How often free pages go back to the system.
const TRIM_EVERY: Duration = Duration::from_secs(60);

/// Caps glibc's arenas; call first thing in `main`, before any thread starts.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
    }
}

/// Gives the free pages of every arena back to the system.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes the arenas' own locks; safe to call from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Trims once the workers have built their routes, then every [`TRIM_EVERY`].
pub fn spawn_trims() {
    tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        loop {
            let _ = tokio::task::spawn_blocking(trim).await;
            tokio::time::sleep(TRIM_EVERY).await;
        }
    });
}
