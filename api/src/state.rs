//! What every handler can reach: registered once as `web::Data<AppState>`.
//!
//! It sits at the bottom of the crate: it knows the database, the cache, the
//! settings, the WeChat and WeChat Pay clients, and the clock and working-day
//! calendar request deadlines run on; no resource. What only one extractor,
//! middleware or route needs is registered as its own `app_data` by
//! `startup` instead of living here: the JWT keys (`web::Data<JwtKeys>`), the
//! metrics (`web::Data<Metrics>`), the order batcher (`web::Data<OrderBatcher>`),
//! the route table and the OpenAPI document, and the body limit.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::cache::Cache;
use crate::calendar::Calendar;
use crate::settings::Settings;
use crate::time::Clock;
use crate::wechat::WechatClient;
use crate::wechatpay::WechatPayClient;

pub struct AppState {
    pub db: DatabaseConnection,
    pub cache: Cache,
    pub settings: Arc<Settings>,
    pub wechat: WechatClient,
    /// The WeChat Pay client, when `payments.provider = "wechat"` and
    /// `wechatpay.*` is configured.
    pub wechatpay: Option<WechatPayClient>,
    /// The clock request deadlines run on (tests fix and move it).
    pub clock: Clock,
    /// Working days, for request deadlines.
    pub calendar: Arc<Calendar>,
}

impl AppState {
    /// How long public reads stay cached (`cache.ttl_secs`; 0 turns caching off).
    pub fn cache_ttl(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.settings.cache.ttl_secs)
    }
}
