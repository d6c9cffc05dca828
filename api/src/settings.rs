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
    #[serde(default)]
    pub calendar: CalendarSettings,
    #[serde(default)]
    pub requests: RequestSettings,
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

#[derive(Clone, Debug, Deserialize)]
pub struct WechatTemplates {
    pub outage: String,
    pub group_buy: String,
    pub booking: String,
    /// Residents' requests: accepted, returned, resolved, extension decided, escalated.
    #[serde(default)]
    pub request: String,
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
        let mut settings: Settings = raw.try_deserialize()?;
        if settings.calendar.holidays_dir.is_none() {
            settings.calendar.holidays_dir = Some(config_dir.join("holidays"));
        }
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
