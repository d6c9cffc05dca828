//! The web console at `/console/`: its files, embedded in the binary and
//! served under a strict CSP (`assets`), its sessions (the refresh token in
//! an `HttpOnly` cookie, `session`) and scan-to-log-in tickets for merchants
//! (`tickets`, `code`). Everything else the console does goes through the
//! public JSON API.

pub mod assets;
pub mod code;
pub mod routes;
pub mod session;
pub mod tickets;

pub use assets::configure_files;
pub use routes::configure;
