//! Every cache key, and every invalidation, in one place.
//!
//! A key's namespace is its text up to the first `:`; dropping a namespace
//! is one generation bump (see [`super::Cache::delete_prefix`]), whatever
//! the number of keys in it. Reads build their keys with the functions
//! below. Writes never name a namespace: after their commit they call the
//! invalidator named for what happened, so "what does suspending a merchant
//! drop?" has one answer, [`merchant_status_changed`].
//!
//! ```ignore
//! // a read
//! let key = keys::service_detail(id);
//! state.cache.get_or_load_json(&key, state.cache_ttl(), || service::get_public(db, id)).await
//! // a write, after its transaction committed
//! keys::goods_changed(&state.cache).await;
//! ```
//!
//! A new cached read: add its key function under its namespace (a new
//! [`Namespace`] if none fits), then make every event that changes what it
//! shows drop that namespace, here.

use std::fmt::Display;

use super::Cache;
use crate::pagination::Page;

/// The namespaces of cached public reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Namespace {
    /// The goods category tree and goods lists: dropped by every change to
    /// any goods.
    Goods,
    /// Every goods detail at once (its generation is part of each detail's
    /// key, [`goods_detail`]): dropped by what changes many goods at a time
    /// (a merchant's profile or status, a flagged picture). An edit of one
    /// goods drops that goods's detail only ([`goods_edited`]).
    GoodsDetails,
    /// Merchant lists and profiles.
    Merchants,
    /// Running promotions.
    Promotions,
    /// Group-buy lists and details, with their progress.
    GroupBuys,
    /// Campaigns as orders check them: terms fixed once opened, and
    /// visibility. Not dropped by every order, as the progress is.
    GroupBuyTerms,
    /// Each community's published notices (the feed).
    Notices,
    /// The helpers' service catalog.
    Catalog,
    /// Communities with their grids and buildings.
    Communities,
}

impl Namespace {
    /// The text every key of the namespace starts with.
    pub const fn prefix(self) -> &'static str {
        match self {
            Namespace::Goods => "goods:",
            Namespace::GoodsDetails => "goods_details:",
            Namespace::Merchants => "merchants:",
            Namespace::Promotions => "promotions:",
            Namespace::GroupBuys => "group_buys:",
            Namespace::GroupBuyTerms => "group_buy_terms:",
            Namespace::Notices => "notices:",
            Namespace::Catalog => "services:",
            Namespace::Communities => "communities:",
        }
    }
}

/// `Some(7)` → `7`, None → `-`: absent and present never read the same.
fn opt(v: Option<impl Display>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// Free text in a key: hex, so no `:` or space of a client's can shape it.
fn text(v: Option<&str>) -> String {
    v.map(hex::encode).unwrap_or_default()
}

fn page_part(page: Page) -> String {
    format!("p{}:{}", page.page, page.page_size)
}

// ---- goods ----

pub fn goods_categories() -> String {
    format!("{}categories", Namespace::Goods.prefix())
}

/// A public goods list; `query` is the normalised filter (`GoodsFilter::cache_key`).
pub fn goods_list(query: &str, page: Page) -> String {
    format!(
        "{}list:{query}:{}",
        Namespace::Goods.prefix(),
        page_part(page)
    )
}

/// The namespace of one goods's detail: an edit of that goods drops it
/// alone, so the details of the other goods stay cached.
fn goods_namespace(id: i64) -> String {
    format!("goods{id}:")
}

/// One goods's detail, as of the [`Namespace::GoodsDetails`] generation
/// (`details_generation`).
pub fn goods_detail(id: i64, details_generation: u64) -> String {
    format!("{}detail:w{details_generation}", goods_namespace(id))
}

// ---- merchants ----

pub fn merchant_list(
    community_id: Option<i64>,
    category: Option<&str>,
    q: Option<&str>,
    page: Page,
) -> String {
    format!(
        "{}list:c{}:{}:cat{}:q{}",
        Namespace::Merchants.prefix(),
        opt(community_id),
        page_part(page),
        text(category),
        text(q),
    )
}

pub fn merchant_detail(id: i64) -> String {
    format!("{}detail:{id}", Namespace::Merchants.prefix())
}

// ---- promotions ----

pub fn promotion_list(community_id: Option<i64>, merchant_id: Option<i64>, page: Page) -> String {
    format!(
        "{}list:c{}:m{}:{}",
        Namespace::Promotions.prefix(),
        opt(community_id),
        opt(merchant_id),
        page_part(page),
    )
}

// ---- group-buys ----

/// `status` is the validated filter's name (`ongoing`), None for open campaigns.
pub fn group_buy_list(community_id: Option<i64>, status: Option<&str>, page: Page) -> String {
    format!(
        "{}list:c{}:s{}:{}",
        Namespace::GroupBuys.prefix(),
        opt(community_id),
        opt(status),
        page_part(page),
    )
}

pub fn group_buy_detail(id: i64) -> String {
    format!("{}detail:{id}", Namespace::GroupBuys.prefix())
}

pub fn group_buy_terms(id: i64) -> String {
    format!("{}{id}", Namespace::GroupBuyTerms.prefix())
}

// ---- notices ----

pub fn notice_feed(community_id: i64) -> String {
    format!("{}feed:{community_id}", Namespace::Notices.prefix())
}

// ---- the inbox ----

/// The namespace of one user's inbox figures: one per user, so a message to
/// one resident drops only that resident's count.
fn inbox_namespace(user_id: i64) -> String {
    format!("inbox{user_id}:")
}

/// A user's unread count, as of the notices' generation
/// (`notices_generation`, the [`Namespace::Notices`] generation): a notice
/// published to a whole community drops every count by that one bump.
pub fn inbox_unread(user_id: i64, notices_generation: u64) -> String {
    format!("{}unread:n{notices_generation}", inbox_namespace(user_id))
}

// ---- the service catalog ----

pub fn service_list(
    community_id: Option<i64>,
    category: Option<&str>,
    helper_id: Option<i64>,
    page: Page,
) -> String {
    format!(
        "{}list:c{}:cat{}:h{}:{}",
        Namespace::Catalog.prefix(),
        opt(community_id),
        text(category),
        opt(helper_id),
        page_part(page),
    )
}

pub fn service_detail(id: i64) -> String {
    format!("{}detail:{id}", Namespace::Catalog.prefix())
}

// ---- communities ----

pub fn community_list(page: Page) -> String {
    format!(
        "{}list:{}",
        Namespace::Communities.prefix(),
        page_part(page)
    )
}

pub fn community_detail(id: i64) -> String {
    format!("{}detail:{id}", Namespace::Communities.prefix())
}

// ---- shared state that is not a public read (never invalidated by events) ----

/// WeChat's access token, shared by every instance.
pub const WECHAT_ACCESS_TOKEN: &str = "wechat:access_token";
/// Held by the one instance fetching a new access token.
pub const WECHAT_ACCESS_TOKEN_LOCK: &str = "wechat:access_token:lock";

/// The fixed-window counter of `action` by one subject: a client's
/// address, or a shop (pickup-code look-ups).
pub fn rate_limit(action: &str, subject: &str) -> String {
    format!("rl:{action}:{subject}")
}

// ---- events: what each write drops, after its commit ----

async fn drop_all(cache: &Cache, namespaces: &[Namespace]) {
    for ns in namespaces {
        cache.delete_prefix(ns.prefix()).await;
    }
}

/// Goods changed, which ones not being known here (orders handed over,
/// declined or expired took or gave back stock and sales): every list and
/// every detail.
pub async fn goods_changed(cache: &Cache) {
    drop_all(cache, &[Namespace::Goods, Namespace::GoodsDetails]).await;
}

/// These goods were listed, edited, shelved, deleted or sold: every list,
/// and their own details.
pub async fn goods_edited(cache: &Cache, ids: &[i64]) {
    drop_all(cache, &[Namespace::Goods]).await;
    for id in ids {
        cache.delete_prefix(&goods_namespace(*id)).await;
    }
}

/// An application was approved: a new merchant is listed.
pub async fn merchant_approved(cache: &Cache) {
    drop_all(cache, &[Namespace::Merchants]).await;
}

/// A merchant's profile changed: its name and details show in merchant,
/// goods and promotion reads.
pub async fn marketplace_changed(cache: &Cache) {
    drop_all(
        cache,
        &[
            Namespace::Merchants,
            Namespace::Goods,
            Namespace::GoodsDetails,
            Namespace::Promotions,
        ],
    )
    .await;
}

/// A merchant was suspended or reinstated: it, its goods, promotions and
/// campaigns vanish from (or return to) every public read, and orders stop
/// (or start again) being taken for its campaigns.
pub async fn merchant_status_changed(cache: &Cache) {
    drop_all(
        cache,
        &[
            Namespace::Merchants,
            Namespace::Goods,
            Namespace::GoodsDetails,
            Namespace::Promotions,
            Namespace::GroupBuys,
            Namespace::GroupBuyTerms,
        ],
    )
    .await;
}

/// A promotion was created or deleted.
pub async fn promotions_changed(cache: &Cache) {
    drop_all(cache, &[Namespace::Promotions]).await;
}

/// A campaign was opened.
pub async fn group_buy_opened(cache: &Cache) {
    drop_all(cache, &[Namespace::GroupBuys]).await;
}

/// Orders were placed, cancelled or expired: a campaign's progress moved.
pub async fn group_buy_progress_changed(cache: &Cache) {
    drop_all(cache, &[Namespace::GroupBuys]).await;
}

/// Campaigns were cancelled or settled: their state, and whether they take
/// orders, changed.
pub async fn group_buys_closed(cache: &Cache) {
    drop_all(cache, &[Namespace::GroupBuys, Namespace::GroupBuyTerms]).await;
}

/// A notice was edited, published (now or by the scheduler) or withdrawn.
/// Publishing wrote inbox items to its residents: their unread counts are
/// keyed by this generation too ([`inbox_unread`]).
pub async fn notices_changed(cache: &Cache) {
    drop_all(cache, &[Namespace::Notices]).await;
}

/// Messages were written to (or read by) `users`, and have committed.
pub async fn inbox_changed(cache: &Cache, users: &[i64]) {
    for user in users {
        cache.delete_prefix(&inbox_namespace(*user)).await;
    }
}

/// A service was offered or edited, or a booking's review changed its rating.
pub async fn catalog_changed(cache: &Cache) {
    drop_all(cache, &[Namespace::Catalog]).await;
}

/// WeChat flagged a picture: every public read that may show it (goods,
/// merchants' logos, notices, services) drops it at once.
pub async fn images_flagged(cache: &Cache) {
    drop_all(
        cache,
        &[
            Namespace::Goods,
            Namespace::GoodsDetails,
            Namespace::Merchants,
            Namespace::Notices,
            Namespace::Catalog,
        ],
    )
    .await;
}

/// A community, grid or building was added.
pub async fn community_map_changed(cache: &Cache) {
    drop_all(cache, &[Namespace::Communities]).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_in_its_namespace_and_parameters_never_collide() {
        let page = Page {
            page: 1,
            page_size: 20,
        };
        // A goods's detail has a namespace of its own, apart from the lists'.
        let detail = goods_detail(1, 0);
        let (ns, _) = super::super::split_namespace(&detail);
        assert_eq!(ns, "goods1:");
        assert_ne!(goods_detail(1, 0), goods_detail(1, 1));
        assert_ne!(goods_detail(1, 0), goods_detail(11, 0));
        assert!(group_buy_terms(1).starts_with(Namespace::GroupBuyTerms.prefix()));
        assert!(service_detail(1).starts_with(Namespace::Catalog.prefix()));
        assert_ne!(
            merchant_list(Some(1), None, None, page),
            merchant_list(None, None, None, page)
        );
        // A keyword cannot imitate another parameter.
        assert_ne!(
            merchant_list(None, Some("a"), Some("b"), page),
            merchant_list(None, Some("a:qb"), None, page)
        );
        assert_ne!(
            service_list(None, Some("x"), None, page),
            service_list(None, None, None, page)
        );
    }
}
