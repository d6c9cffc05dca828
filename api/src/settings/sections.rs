//! The sections of the configuration, one struct each (`[server]`,
//! `[database]`, … `[canteen]`), with their defaults.

use std::path::{Path, PathBuf};

use entity::upload::Purpose;
use secrecy::SecretString;
use serde::Deserialize;

use super::{DEV_WECHAT_APP_ID, PaymentProvider};

#[derive(Clone, Debug, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub body_limit: usize,
    pub trust_forwarded_for: bool,
    /// With `trust_forwarded_for`: how many proxies we run in front of the
    /// API, each appending to `X-Forwarded-For`; the client is the hop this
    /// many places from the right end (what the client wrote itself is ignored).
    pub trusted_proxies: usize,
    /// 0 = one worker per core.
    pub workers: usize,
}

#[derive(Clone, Debug, Deserialize)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
    pub connect_timeout_secs: u64,
    /// How long a request waits for a free connection (or for a database
    /// that is down to come back) before it is answered 503.
    pub acquire_timeout_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct RedisSettings {
    pub url: Option<SecretString>,
    pub key_prefix: String,
    pub timeout_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CacheSettings {
    pub ttl_secs: u64,
    /// Rate-limit counters kept in process (without Redis, or while it is down).
    pub max_entries: u64,
    /// Bytes the cached values held in this process may take in all (keys,
    /// texts and bookkeeping): the in-process cache, or Redis's local copy.
    #[serde(default = "default_cache_max_bytes")]
    pub max_bytes: u64,
    /// Answers larger than this are not cached (in process or in Redis).
    #[serde(default = "default_cache_max_value_bytes")]
    pub max_value_bytes: usize,
}

#[derive(Clone, Debug, Deserialize)]
pub struct AuthSettings {
    pub jwt_secret: SecretString,
    pub access_ttl_secs: i64,
    pub refresh_ttl_days: i64,
    pub dev_login: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub struct RateLimitSettings {
    pub login_per_minute: i64,
    /// Pickup-code look-ups per merchant per minute (codes are 8 digits).
    pub pickup_lookup_per_minute: i64,
    /// Writes (POST, PUT, PATCH, DELETE under `/api/v1`, logins aside) per
    /// signed-in user per minute.
    #[serde(default = "default_writes_per_user")]
    pub writes_per_minute_per_user: i64,
    /// The same per client address (a whole compound may share one).
    #[serde(default = "default_writes_per_ip")]
    pub writes_per_minute_per_ip: i64,
    /// Requests to routes that spend WeChat quota (`POST /me/phone`, QR
    /// codes, console login tickets) per user, and ten times that per address.
    #[serde(default = "default_wechat_per_minute")]
    pub wechat_per_minute: i64,
}

fn default_writes_per_user() -> i64 {
    600
}

fn default_writes_per_ip() -> i64 {
    6000
}

fn default_wechat_per_minute() -> i64 {
    30
}

/// `[log]`: defined beside the subscriber it configures.
pub use crate::telemetry::{LogFormat, LogSettings};

#[derive(Clone, Debug, Deserialize)]
pub struct WechatSettings {
    pub api_base: String,
    pub app_id: String,
    pub app_secret: SecretString,
    pub timeout_ms: u64,
    pub templates: WechatTemplates,
    /// The token of the message-push (消息推送) URL configured in the
    /// mini-program console; empty refuses every push.
    pub push_token: SecretString,
}

impl WechatSettings {
    /// Real credentials are set (not the shipped development app id).
    pub fn is_configured(&self) -> bool {
        self.app_id != DEV_WECHAT_APP_ID && !self.app_id.is_empty()
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct WechatTemplates {
    pub outage: String,
    pub group_buy: String,
    pub booking: String,
    /// Residents' requests: accepted, returned, resolved, extension decided, escalated.
    #[serde(default)]
    pub request: String,
    /// Shop orders: a change the other party made (accepted, declined, ready,
    /// delivering, completed, cancelled, expired).
    #[serde(default)]
    pub order: String,
    /// Activity reminders, the day before and the hour before a session:
    /// `thing1` activity, `time2` start, `thing3` place.
    #[serde(default)]
    pub activity: String,
}

/// `wechatpay.*`: defined and checked beside the client.
pub use crate::wechatpay::WechatPaySettings;

#[derive(Clone, Debug, Deserialize)]
pub struct PaymentSettings {
    /// The provider new orders are paid through.
    pub provider: PaymentProvider,
    /// Unpaid orders expire after this long and release their quantity.
    pub payment_timeout_secs: i64,
    /// A prepaid order whose notify has not come this long after its prepay
    /// is asked about (and asked again at most this often).
    pub reconcile_after_secs: i64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct JobSettings {
    /// How often each instance runs the background sweeps: group-buy
    /// settlement and order expiry, scheduled notices and their push,
    /// subscribe messages owed.
    pub sweep_interval_ms: u64,
    /// How often each instance runs the WeChat Pay sweeps: reconciliation
    /// of unpaid orders (query, close, expire) and refunds (send, query).
    pub payment_sweep_interval_ms: u64,
}

/// Backups of the SQLite database (the `[backup]` section; see the `backup` module).
#[derive(Clone, Debug, Deserialize)]
pub struct BackupSettings {
    /// Seconds between scheduled backups inside `yizhan serve` on SQLite;
    /// 0 turns the schedule off (`yizhan backup` still works).
    pub interval_secs: u64,
    /// Where backups are written; empty = `backups/` beside the database file.
    pub dir: PathBuf,
    /// The uploaded media tree archived with each backup (skipped when
    /// missing); empty = `media.fs_root` when `media.backend = "fs"`, none
    /// otherwise (the bucket keeps its own copies).
    pub media_dir: PathBuf,
    pub keep: KeepSettings,
    /// How often a failed off-machine copy is tried again (and how often the
    /// schedule checks whether a backup is due).
    pub upload_retry_secs: u64,
    #[serde(default)]
    pub destination: DestinationSettings,
}

/// Retention of the backups in `dir`: the newest `count`, none older than
/// `days` (0 = no limit on either). The newest backup is always kept.
#[derive(Clone, Debug, Deserialize)]
pub struct KeepSettings {
    pub count: usize,
    pub days: u32,
}

/// The off-machine copy of every backup, through OpenDAL.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct DestinationSettings {
    pub backend: DestinationBackend,
    pub bucket: String,
    /// e.g. `https://s3.us-east-1.amazonaws.com`, `https://cos.ap-guangzhou.myqcloud.com`,
    /// `https://oss-cn-hangzhou.aliyuncs.com`.
    pub endpoint: String,
    /// S3 only; empty = `us-east-1` (what most S3-compatible stores accept).
    pub region: String,
    /// A directory for `fs`; a key prefix in the bucket for the others.
    pub root: String,
    /// S3 / OSS access key id, COS SecretId.
    pub access_key_id: String,
    /// S3 secret access key, OSS access key secret, COS SecretKey.
    pub secret_access_key: SecretString,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DestinationBackend {
    /// No off-machine copy.
    #[default]
    None,
    Fs,
    S3,
    Cos,
    Oss,
}

impl BackupSettings {
    /// The backup directory for the database at `db_file`.
    pub fn dir_for(&self, db_file: &Path) -> PathBuf {
        if !self.dir.as_os_str().is_empty() {
            return self.dir.clone();
        }
        db_file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join("backups")
    }
}

/// Where uploaded images are stored and how they are served (`[media]`).
#[derive(Clone, Debug, Deserialize)]
pub struct MediaSettings {
    pub backend: MediaBackend,
    /// Root directory of the `fs` backend (the backup reads this name too).
    pub fs_root: String,
    /// Bucket of `s3`, `cos` and `oss`.
    pub bucket: String,
    /// Endpoint of `s3` (empty = AWS), `cos` and `oss`.
    pub endpoint: String,
    /// Region of `s3`.
    pub region: String,
    /// Prefix inside the bucket.
    pub root: String,
    /// Access key id (`s3`, `oss`) or SecretId (`cos`).
    pub access_key_id: String,
    /// Secret access key (`s3`), AccessKeySecret (`oss`) or SecretKey (`cos`).
    pub secret_access_key: SecretString,
    /// Base URL (a CDN) in front of the public objects; empty: public URLs
    /// are `/media/{key}` on this server.
    pub public_base_url: String,
    /// HMAC key of private URLs; production refuses the default.
    pub signing_key: SecretString,
    pub signed_url_ttl_secs: u64,
    /// Largest decoded image, in pixels (width × height).
    pub max_pixels: u64,
    /// Upload size limit of a purpose without its own entry in `limits`.
    pub default_limit_bytes: usize,
    /// Upload size limit per purpose (`goods_image = 5242880`); a name that
    /// is no purpose is refused at start-up.
    #[serde(default)]
    pub limits: std::collections::HashMap<Purpose, usize>,
    /// Public objects kept in memory by each instance for `GET /media/{key}`.
    pub serve_cache_bytes: u64,
}

/// Where uploads are stored (`media.backend`); switching needs no code change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaBackend {
    /// A directory (`media.fs_root`).
    Fs,
    /// Amazon S3 or any S3-compatible store.
    S3,
    /// Tencent Cloud COS.
    Cos,
    /// Aliyun OSS.
    Oss,
}

/// WeChat content-security checks (`[content]`).
#[derive(Clone, Debug, Deserialize)]
pub struct ContentSettings {
    /// Off: text passes and images are not sent to WeChat (development, tests).
    pub check_enabled: bool,
}

/// The web console at `/console/`.
#[derive(Clone, Debug, Deserialize)]
pub struct ConsoleSettings {
    /// How long a scan-to-log-in ticket can be confirmed.
    pub ticket_ttl_secs: i64,
    /// The mini-program page a `wxa/getwxacodeunlimit` code opens (scene = the ticket).
    pub wxacode_page: String,
    /// Without WeChat credentials the ticket is a plain QR code of this link
    /// plus `?ticket=<id>` (a 普通链接二维码 rule opens the mini-program on it).
    pub qr_link: String,
    /// Mark the refresh cookie `Secure`; only a plain-HTTP host other than
    /// localhost needs this off.
    pub secure_cookie: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CalendarSettings {
    /// Directory of the `{year}.toml` holiday files; unset = `holidays/` in
    /// the configuration directory.
    pub holidays_dir: Option<std::path::PathBuf>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct RequestSettings {
    /// The mini-program page a scanned building or city-component code opens
    /// (the report form), for `wxa/getwxacodeunlimit`.
    pub report_page: String,
    /// Without WeChat credentials, the plain QR codes carry
    /// `{qr_link_base}?scene=...`: the URL prefix registered for the
    /// mini-program's "扫普通链接二维码打开小程序".
    pub qr_link_base: String,
}

impl Default for RequestSettings {
    fn default() -> Self {
        Self {
            report_page: "pages/requests/new".to_owned(),
            qr_link_base: "https://yizhan.example.com/qr".to_owned(),
        }
    }
}

/// Who may read `/metrics`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct MetricsSettings {
    /// `host:port` of a listener serving only `GET /metrics` (an address
    /// the scraper reaches and the public does not). Set: the main listener
    /// answers 404 there.
    pub addr: String,
    /// Without `addr`: `GET /metrics` on the main listener needs
    /// `Authorization: Bearer <token>`. With neither, production answers
    /// 404 (development and test answer everyone).
    pub token: SecretString,
}

fn default_cache_max_bytes() -> u64 {
    64 * 1024 * 1024
}

fn default_cache_max_value_bytes() -> usize {
    1024 * 1024
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct BookingSettings {
    /// Live bookings (requested, accepted, in service) one resident may hold
    /// at once; one more is 409 `TOO_MANY_OPEN_BOOKINGS`.
    pub max_open_per_resident: u64,
}

impl Default for BookingSettings {
    fn default() -> Self {
        Self {
            max_open_per_resident: 5,
        }
    }
}

/// `shop.*`: shop orders' deadlines.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct ShopSettings {
    /// A delivery order the resident has not confirmed completes this long
    /// after it left the shop.
    pub auto_complete_after_secs: i64,
}

impl Default for ShopSettings {
    fn default() -> Self {
        Self {
            auto_complete_after_secs: 48 * 3600,
        }
    }
}

/// `points.*`: volunteer points and the wish wall.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct PointsSettings {
    /// Earned points expire this many days after they were earned (what is
    /// left of them in the balance); 0 = never.
    pub expire_after_days: i64,
    /// A claimed wish not fulfilled within this many days returns to the wall.
    pub wish_claim_days: i64,
}

impl Default for PointsSettings {
    fn default() -> Self {
        Self {
            expire_after_days: 0,
            wish_claim_days: 7,
        }
    }
}

/// `canteen.*`: the elders' canteen.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct CanteenSettings {
    /// Subsidy per meal for verified residents aged 60+, where the elder's
    /// community has not set its own (`"3.00"`).
    pub subsidy_per_meal: crate::money::Money,
}

impl Default for CanteenSettings {
    fn default() -> Self {
        Self {
            subsidy_per_meal: crate::money::Money::from_fen(300),
        }
    }
}
