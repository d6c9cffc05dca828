//! Typed configuration: `config/default.toml`, then `config/{YIZHAN_ENV}.toml`,
//! then `YIZHAN__SECTION__KEY` environment variables.

use std::path::Path;

pub use entity::order::PaymentProvider;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The JWT secret shipped in `config/default.toml`; production refuses it.
pub const DEV_JWT_SECRET: &str = "dev-only-insecure-jwt-secret-change-me";

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
}

/// `log.*`: defined beside the logging they configure.
pub use crate::telemetry::{LogFormat, LogSettings};

#[derive(Clone, Debug, Deserialize)]
pub struct WechatSettings {
    pub api_base: String,
    pub app_id: String,
    pub app_secret: SecretString,
    pub timeout_ms: u64,
    pub templates: WechatTemplates,
}

#[derive(Clone, Debug, Deserialize)]
pub struct WechatTemplates {
    pub outage: String,
    pub group_buy: String,
    pub booking: String,
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

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Shown with its cause (`{:#}`), which names the key.
    #[error("configuration could not be read")]
    Load(#[from] config::ConfigError),
    #[error("refusing to start in production: {0}")]
    Unsafe(String),
    #[error("payments.provider is wechat but WeChat Pay is not configured: {0}")]
    WechatPay(crate::wechatpay::ConfigError),
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

    /// Refuses settings the server cannot run with: a selected payment
    /// provider that is not configured (in any environment), and in
    /// production what is only safe on a developer's machine.
    pub fn check(&self) -> Result<(), SettingsError> {
        match self.payments.provider {
            PaymentProvider::Offline => {}
            PaymentProvider::Wechat => {
                self.wechatpay
                    .load(&self.wechat.app_id)
                    .map_err(SettingsError::WechatPay)?;
            }
        }
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
