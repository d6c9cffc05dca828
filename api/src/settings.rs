//! Typed configuration: `config/default.toml`, then `config/{YIZHAN_ENV}.toml`,
//! then `YIZHAN__SECTION__KEY` environment variables.

use std::path::Path;

pub use entity::order::PaymentProvider;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The JWT secret shipped in `config/default.toml`; production refuses it.
pub const DEV_JWT_SECRET: &str = "dev-only-insecure-jwt-secret-change-me";
/// The mini-program app id shipped in `config/default.toml`: WeChat is not configured.
pub const DEV_WECHAT_APP_ID: &str = "wx_dev_app_id";

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
    pub console: ConsoleSettings,
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

#[derive(Clone, Debug, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub body_limit: usize,
    pub trust_forwarded_for: bool,
    /// 0 = one worker per core.
    pub workers: usize,
}

#[derive(Clone, Debug, Deserialize)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
    pub connect_timeout_secs: u64,
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
    pub max_entries: u64,
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
}

#[derive(Clone, Debug, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line, for log collectors.
    Json,
    /// Human-readable lines, for a terminal.
    Pretty,
}

#[derive(Clone, Debug, Deserialize)]
pub struct WechatSettings {
    pub api_base: String,
    pub app_id: String,
    pub app_secret: SecretString,
    pub timeout_ms: u64,
    pub templates: WechatTemplates,
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
}

#[derive(Clone, Debug, Deserialize)]
pub struct WechatPaySettings {
    pub api_base: String,
    pub mch_id: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct PaymentSettings {
    /// The provider new orders are paid through.
    pub provider: PaymentProvider,
    /// Unpaid orders expire after this long and release their quantity.
    pub payment_timeout_secs: i64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct JobSettings {
    /// How often each instance runs the background sweeps: group-buy
    /// settlement and order expiry, scheduled notices and their push,
    /// subscribe messages owed.
    pub sweep_interval_ms: u64,
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

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Shown with its cause (`{:#}`), which names the key.
    #[error("configuration could not be read")]
    Load(#[from] config::ConfigError),
    #[error("refusing to start in production: {0}")]
    Unsafe(String),
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
        let settings: Settings = raw.try_deserialize()?;
        settings.check()?;
        Ok(settings)
    }

    /// Production refuses settings that are only safe on a developer's machine.
    pub fn check(&self) -> Result<(), SettingsError> {
        if self.env != Environment::Production {
            return Ok(());
        }
        let secret = self.auth.jwt_secret.expose_secret();
        if secret == DEV_JWT_SECRET || secret.len() < 32 {
            return Err(SettingsError::Unsafe(
                "auth.jwt_secret is the development secret or shorter than 32 bytes; set YIZHAN__AUTH__JWT_SECRET".into(),
            ));
        }
        if self.auth.dev_login {
            return Err(SettingsError::Unsafe(
                "auth.dev_login is on; it must be off in production".into(),
            ));
        }
        Ok(())
    }

    pub fn is_sqlite(&self) -> bool {
        self.database.url.expose_secret().starts_with("sqlite:")
    }
}
