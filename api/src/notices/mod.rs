//! Community notices (社区通知): drafts, scheduled publishing, building
//! targeting, the resident feed, read receipts and subscribe-message push.

pub mod push;
pub mod routes;
pub mod service;

pub use routes::configure;
