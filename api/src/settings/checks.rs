//! What production refuses: the development values shipped in
//! `config/default.toml`, weak secrets, and settings no environment can run with.

use secrecy::ExposeSecret;

use super::{Environment, MediaBackend, MediaSettings, PaymentProvider, Settings, SettingsError};

/// The JWT secret shipped in `config/default.toml`; production refuses it.
pub const DEV_JWT_SECRET: &str = "dev-only-insecure-jwt-secret-change-me";
/// The mini-program app id shipped in `config/default.toml`: WeChat is not configured.
pub const DEV_WECHAT_APP_ID: &str = "wx_dev_app_id";

/// The mini-program app secret shipped in `config/default.toml`; production refuses it.
pub const DEV_WECHAT_APP_SECRET: &str = "dev_app_secret";

/// A secret production refuses: a shipped development value, shorter than
/// 32 bytes, or of low entropy (fewer than 8 distinct characters, or under
/// 100 bits by its character frequencies: `aaaa…`, `abab…`, `1234…`).
pub fn is_weak_secret(secret: &str, shipped: &str) -> bool {
    if secret == shipped || secret.len() < 32 {
        return true;
    }
    let mut counts = std::collections::HashMap::<char, usize>::new();
    for c in secret.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let n = secret.chars().count() as f64;
    let bits: f64 = counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum::<f64>()
        * n;
    counts.len() < 8 || bits < 100.0
}

/// The media URL signing key shipped in `config/default.toml`; production refuses it.
pub const DEV_MEDIA_SIGNING_KEY: &str = "dev-only-media-signing-key-change-me";

impl Settings {
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
        self.media.check()?;
        if self.env != Environment::Production {
            return Ok(());
        }
        if is_weak_secret(self.auth.jwt_secret.expose_secret(), DEV_JWT_SECRET) {
            return Err(SettingsError::Unsafe(
                "auth.jwt_secret is the development secret, shorter than 32 bytes or of low entropy; set YIZHAN__AUTH__JWT_SECRET".into(),
            ));
        }
        if self.auth.dev_login {
            return Err(SettingsError::Unsafe(
                "auth.dev_login is on; it must be off in production".into(),
            ));
        }
        let token = self.metrics.token.expose_secret();
        if !token.is_empty() && is_weak_secret(token, "") {
            return Err(SettingsError::Unsafe(
                "metrics.token is shorter than 32 bytes or of low entropy; set YIZHAN__METRICS__TOKEN".into(),
            ));
        }
        if self.wechat.app_secret.expose_secret() == DEV_WECHAT_APP_SECRET {
            return Err(SettingsError::Unsafe(
                "wechat.app_secret is the development value; set YIZHAN__WECHAT__APP_SECRET".into(),
            ));
        }
        if is_weak_secret(
            self.media.signing_key.expose_secret(),
            DEV_MEDIA_SIGNING_KEY,
        ) {
            return Err(SettingsError::Unsafe(
                "media.signing_key is the development key, shorter than 32 bytes or of low entropy; set YIZHAN__MEDIA__SIGNING_KEY".into(),
            ));
        }
        Ok(())
    }
}

impl MediaSettings {
    fn check(&self) -> Result<(), SettingsError> {
        if self.backend != MediaBackend::Fs && self.bucket.is_empty() {
            return Err(SettingsError::Invalid(format!(
                "media.bucket is required by media.backend = {:?}",
                self.backend
            )));
        }
        Ok(())
    }
}
