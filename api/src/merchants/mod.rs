//! Merchants: applications and their review, public profiles (cached), the
//! owner's edits, and suspension by community admins.

pub mod applications;
pub mod fields;
pub mod routes;
pub mod service;

pub use routes::configure;

use crate::cache::Cache;

/// Cache keys of merchant reads all start with this.
pub const CACHE_PREFIX: &str = "merchants:";

/// Drops every cached marketplace read (merchants, goods, promotions): what a
/// merchant's status or profile changes shows up in all three.
pub async fn invalidate_marketplace(cache: &Cache) {
    for prefix in [
        CACHE_PREFIX,
        crate::goods::CACHE_PREFIX,
        crate::promotions::CACHE_PREFIX,
    ] {
        cache.delete_prefix(prefix).await;
    }
}
