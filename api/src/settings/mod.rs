//! Typed configuration: `config/default.toml`, then `config/{YIZHAN_ENV}.toml`,
//! then `YIZHAN__SECTION__KEY` environment variables.

mod checks;
mod sections;

use std::path::{Path, PathBuf};

pub use entity::order::PaymentProvider;
use secrecy::ExposeSecret;
use serde::Deserialize;

pub use checks::{
    DEV_JWT_SECRET, DEV_MEDIA_SIGNING_KEY, DEV_WECHAT_APP_ID, DEV_WECHAT_APP_SECRET, is_weak_secret,
};
pub use sections::{
    AuthSettings, BackupSettings, BookingSettings, CacheSettings, CalendarSettings,
    CanteenSettings, ConsoleSettings, ContentSettings, DatabaseSettings, DestinationBackend,
    DestinationSettings, JobSettings, KeepSettings, LogFormat, LogSettings, MediaBackend,
    MediaSettings, MetricsSettings, PaymentSettings, PointsSettings, RateLimitSettings,
    RedisSettings, RequestSettings, ServerSettings, ShopSettings, WechatPaySettings,
    WechatSettings, WechatTemplates,
};

#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub cache: CacheSettings,
    pub auth: AuthSettings,
    pub rate_limit: RateLimitSettings,
    pub log: LogSettings,
    pub wechat: WechatSettings,
    pub wechatpay: WechatPaySettings,
    pub payments: PaymentSettings,
    pub jobs: JobSettings,
    pub backup: BackupSettings,
    pub media: MediaSettings,
    pub content: ContentSettings,
    pub console: ConsoleSettings,
    #[serde(default)]
    pub calendar: CalendarSettings,
    #[serde(default)]
    pub requests: RequestSettings,
    #[serde(default)]
    pub bookings: BookingSettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
    #[serde(default)]
    pub shop: ShopSettings,
    #[serde(default)]
    pub points: PointsSettings,
    #[serde(default)]
    pub canteen: CanteenSettings,
    /// The environment the settings were loaded for (`YIZHAN_ENV`).
    pub env: Environment,
}

/// Which `config/{env}.toml` was layered on the defaults. Anything else is
/// refused at start-up rather than run with development defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Test,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Test => "test",
            Environment::Production => "production",
        }
    }
}

impl std::fmt::Display for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Shown with its cause (`{:#}`), which names the key.
    #[error("configuration could not be read")]
    Load(#[from] config::ConfigError),
    #[error("refusing to start in production: {0}")]
    Unsafe(String),
    #[error("payments.provider is wechat but WeChat Pay is not configured: {0}")]
    WechatPay(crate::wechatpay::ConfigError),
    /// Settings that cannot work in any environment.
    #[error("configuration is invalid: {0}")]
    Invalid(String),
}

impl Settings {
    /// Loads settings for `YIZHAN_ENV` (default `development`) from `config_dir`
    /// and the process environment.
    pub fn load(config_dir: &Path) -> Result<Self, SettingsError> {
        let env = std::env::var("YIZHAN_ENV").unwrap_or_else(|_| "development".to_owned());
        Self::load_for(config_dir, &env)
    }

    pub fn load_for(config_dir: &Path, env: &str) -> Result<Self, SettingsError> {
        let raw = config::Config::builder()
            .add_source(config::File::from(config_dir.join("default.toml")))
            .add_source(config::File::from(config_dir.join(format!("{env}.toml"))).required(false))
            .add_source(
                config::Environment::with_prefix("YIZHAN")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            )
            .set_override("env", env)?
            .build()?;
        let mut settings: Settings = raw.try_deserialize()?;
        if settings.backup.media_dir.as_os_str().is_empty()
            && settings.media.backend == MediaBackend::Fs
        {
            // The backup archives the uploads where the media store keeps them.
            settings.backup.media_dir = PathBuf::from(&settings.media.fs_root);
        }
        if settings.calendar.holidays_dir.is_none() {
            settings.calendar.holidays_dir = Some(config_dir.join("holidays"));
        }
        settings.check()?;
        Ok(settings)
    }

    /// Where the holiday calendars are read from.
    pub fn holidays_dir(&self) -> std::path::PathBuf {
        self.calendar
            .holidays_dir
            .clone()
            .unwrap_or_else(|| Path::new("config").join("holidays"))
    }

    pub fn is_sqlite(&self) -> bool {
        self.database.url.expose_secret().starts_with("sqlite:")
    }
}
