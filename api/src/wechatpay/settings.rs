//! `wechatpay.*` settings, and the check that turns them into keys. With
//! `payments.provider = "wechat"` start-up runs [`WechatPaySettings::load`]
//! and refuses to start on any problem, naming the key and its variable.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::crypto::{ApiV3Key, MerchantKey, PlatformKey};

/// Empty strings mean "not set", since an environment variable cannot unset
/// a file's value.
#[derive(Clone, Debug, Deserialize)]
pub struct WechatPaySettings {
    pub api_base: String,
    #[serde(default)]
    pub mch_id: String,
    /// Empty: the mini-program's `wechat.app_id`.
    #[serde(default)]
    pub app_id: String,
    /// Serial number of the merchant API certificate (商户API证书序列号).
    #[serde(default)]
    pub mch_serial_no: String,
    /// PEM file of the merchant private key (`apiclient_key.pem`).
    #[serde(default)]
    pub private_key_path: String,
    /// The same key inline (PEM; `\n` escapes allowed), instead of the file.
    #[serde(default = "unset_secret")]
    pub private_key: SecretString,
    #[serde(default = "unset_secret")]
    pub api_v3_key: SecretString,
    /// The WeChat Pay public key (微信支付公钥) and its id `PUB_KEY_ID_...`;
    /// both unset: platform certificates are downloaded instead.
    #[serde(default)]
    pub public_key_path: String,
    #[serde(default)]
    pub public_key_id: String,
    /// Where WeChat Pay sends pay and refund notifies: https, no query.
    #[serde(default)]
    pub notify_url: String,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn unset_secret() -> SecretString {
    SecretString::from("")
}

fn default_timeout_ms() -> u64 {
    5000
}

/// How answers and notifies are verified.
#[derive(Clone, Debug)]
pub enum PlatformTrust {
    /// 微信支付公钥 mode: one configured key, named by its id.
    PublicKey(PlatformKey),
    /// Platform certificates from `GET /v3/certificates`, decrypted with the
    /// APIv3 key, cached and refreshed.
    Certificates,
}

/// Checked settings: everything the client needs, keys parsed.
#[derive(Clone, Debug)]
pub struct WechatPayConfig {
    /// Without a trailing `/`.
    pub api_base: String,
    pub mch_id: String,
    pub app_id: String,
    pub merchant_key: MerchantKey,
    pub api_v3_key: ApiV3Key,
    pub platform: PlatformTrust,
    pub notify_url: String,
    pub timeout: Duration,
}

/// Every problem found, each naming its key and environment variable.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("; "))]
pub struct ConfigError(pub Vec<String>);

#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, key: &str, problem: impl std::fmt::Display) {
        let var = format!("YIZHAN__{}", key.to_uppercase().replace('.', "__"));
        self.0.push(format!("{key} ({var}): {problem}"));
    }

    /// `value` unless it is empty, which is a problem.
    fn required<'a>(&mut self, key: &str, value: &'a str) -> Option<&'a str> {
        let value = value.trim();
        if value.is_empty() {
            self.add(key, "is not set");
            return None;
        }
        Some(value)
    }
}

fn read_pem(problems: &mut Problems, key: &str, path: &str) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(pem) => Some(pem),
        Err(err) => {
            problems.add(key, format_args!("cannot read {path:?}: {err}"));
            None
        }
    }
}

impl WechatPaySettings {
    /// Checks every setting and parses the keys; `default_app_id` is the
    /// mini-program's app id, used when `app_id` is empty.
    pub fn load(&self, default_app_id: &str) -> Result<WechatPayConfig, ConfigError> {
        let mut problems = Problems::default();

        let api_base = self.checked_api_base(&mut problems);
        let mch_id = problems
            .required("wechatpay.mch_id", &self.mch_id)
            .filter(|id| {
                let digits = id.chars().all(|c| c.is_ascii_digit());
                if !digits {
                    problems.add("wechatpay.mch_id", "must be the merchant number (digits)");
                }
                digits
            })
            .map(str::to_owned);
        let app_id = if self.app_id.trim().is_empty() {
            default_app_id
        } else {
            &self.app_id
        };
        let app_id = problems
            .required("wechatpay.app_id", app_id)
            .map(str::to_owned);
        let serial = problems
            .required("wechatpay.mch_serial_no", &self.mch_serial_no)
            .filter(|s| {
                let hex = s.chars().all(|c| c.is_ascii_hexdigit());
                if !hex {
                    problems.add(
                        "wechatpay.mch_serial_no",
                        "must be the certificate serial number (hexadecimal)",
                    );
                }
                hex
            });
        // The key is checked even without its serial, to report both.
        let merchant_key = self
            .merchant_key(&mut problems, serial.unwrap_or_default())
            .filter(|_| serial.is_some());
        let api_v3_key = problems
            .required("wechatpay.api_v3_key", self.api_v3_key.expose_secret())
            .and_then(|key| match ApiV3Key::new(key.as_bytes()) {
                Ok(key) => Some(key),
                Err(err) => {
                    problems.add("wechatpay.api_v3_key", err);
                    None
                }
            });
        let platform = self.platform_trust(&mut problems);
        let notify_url = self.checked_notify_url(&mut problems);
        if self.timeout_ms == 0 {
            problems.add("wechatpay.timeout_ms", "must be above 0");
        }

        match (
            api_base,
            mch_id,
            app_id,
            merchant_key,
            api_v3_key,
            platform,
            notify_url,
        ) {
            (
                Some(api_base),
                Some(mch_id),
                Some(app_id),
                Some(merchant_key),
                Some(api_v3_key),
                Some(platform),
                Some(notify_url),
            ) if problems.0.is_empty() => Ok(WechatPayConfig {
                api_base,
                mch_id,
                app_id,
                merchant_key,
                api_v3_key,
                platform,
                notify_url,
                timeout: Duration::from_millis(self.timeout_ms),
            }),
            _ => Err(ConfigError(problems.0)),
        }
    }

    fn checked_api_base(&self, problems: &mut Problems) -> Option<String> {
        let key = "wechatpay.api_base";
        let base = problems.required(key, &self.api_base)?;
        match reqwest::Url::parse(base) {
            Ok(url) if ["http", "https"].contains(&url.scheme()) && url.has_host() => {
                Some(base.trim_end_matches('/').to_owned())
            }
            _ => {
                problems.add(key, format_args!("{base:?} is not an http(s) URL"));
                None
            }
        }
    }

    fn merchant_key(&self, problems: &mut Problems, serial: &str) -> Option<MerchantKey> {
        let path = self.private_key_path.trim();
        let inline = self.private_key.expose_secret().trim();
        let (key, pem) = match (path.is_empty(), inline.is_empty()) {
            (false, true) => (
                "wechatpay.private_key_path",
                read_pem(problems, "wechatpay.private_key_path", path)?,
            ),
            // One-line environment variables carry the PEM's newlines as `\n`.
            (true, false) => ("wechatpay.private_key", inline.replace("\\n", "\n")),
            (true, true) => {
                problems.add(
                    "wechatpay.private_key_path",
                    "is not set (nor wechatpay.private_key)",
                );
                return None;
            }
            (false, false) => {
                problems.add(
                    "wechatpay.private_key",
                    "set only one of wechatpay.private_key_path and wechatpay.private_key",
                );
                return None;
            }
        };
        match MerchantKey::from_pem(&pem, serial) {
            Ok(merchant) => Some(merchant),
            Err(err) => {
                problems.add(key, err);
                None
            }
        }
    }

    fn platform_trust(&self, problems: &mut Problems) -> Option<PlatformTrust> {
        let path = self.public_key_path.trim();
        let id = self.public_key_id.trim();
        match (path.is_empty(), id.is_empty()) {
            (true, true) => Some(PlatformTrust::Certificates),
            (false, true) => {
                problems.add(
                    "wechatpay.public_key_id",
                    "is not set (the PUB_KEY_ID_... of wechatpay.public_key_path)",
                );
                None
            }
            (true, false) => {
                problems.add(
                    "wechatpay.public_key_path",
                    "is not set (the key of wechatpay.public_key_id)",
                );
                None
            }
            (false, false) => {
                if !id.starts_with("PUB_KEY_ID_") {
                    problems.add("wechatpay.public_key_id", "must start with PUB_KEY_ID_");
                    return None;
                }
                let pem = read_pem(problems, "wechatpay.public_key_path", path)?;
                match PlatformKey::from_public_key_pem(id, &pem) {
                    Ok(key) => Some(PlatformTrust::PublicKey(key)),
                    Err(err) => {
                        problems.add("wechatpay.public_key_path", err);
                        None
                    }
                }
            }
        }
    }

    fn checked_notify_url(&self, problems: &mut Problems) -> Option<String> {
        let key = "wechatpay.notify_url";
        let value = problems.required(key, &self.notify_url)?;
        let problem = match reqwest::Url::parse(value) {
            Err(err) => format!("{value:?} is not a URL: {err}"),
            Ok(url) if url.scheme() != "https" => format!("{value:?} must be https"),
            Ok(url) if !url.has_host() => format!("{value:?} has no host"),
            Ok(url) if url.query().is_some() || url.fragment().is_some() => {
                format!("{value:?} must not carry a query (WeChat Pay refuses one)")
            }
            Ok(_) => return Some(value.to_owned()),
        };
        problems.add(key, problem);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechatpay::crypto::tests::{FIXTURES, fixture};

    fn good() -> WechatPaySettings {
        WechatPaySettings {
            api_base: "https://api.mch.weixin.qq.com/".into(),
            mch_id: "1230000109".into(),
            app_id: String::new(),
            mch_serial_no: "5A1B2C3D4E5F".into(),
            private_key_path: format!("{FIXTURES}/merchant_key.pem"),
            private_key: unset_secret(),
            api_v3_key: SecretString::from("0123456789abcdefTESTONLYv3key-32"),
            public_key_path: format!("{FIXTURES}/platform_public.pem"),
            public_key_id: "PUB_KEY_ID_0114232134912410000000000000TEST".into(),
            notify_url: "https://yizhan.example.com/api/v1/payments/wechat/notify".into(),
            timeout_ms: 5000,
        }
    }

    fn problems(settings: &WechatPaySettings) -> String {
        settings.load("wx_mini").unwrap_err().to_string()
    }

    #[test]
    fn good_settings_load_and_app_id_defaults_to_the_mini_program() {
        let config = good().load("wx_mini").unwrap();
        assert_eq!(config.app_id, "wx_mini");
        assert_eq!(config.api_base, "https://api.mch.weixin.qq.com");
        assert!(matches!(config.platform, PlatformTrust::PublicKey(_)));
        let mut own = good();
        own.app_id = "wx_pay".into();
        assert_eq!(own.load("wx_mini").unwrap().app_id, "wx_pay");
        let mut certs = good();
        certs.public_key_path.clear();
        certs.public_key_id.clear();
        assert!(matches!(
            certs.load("wx_mini").unwrap().platform,
            PlatformTrust::Certificates
        ));
    }

    #[test]
    fn an_inline_key_works_with_escaped_newlines() {
        let mut s = good();
        s.private_key_path.clear();
        s.private_key = SecretString::from(fixture("merchant_key_pkcs1.pem").replace('\n', "\\n"));
        assert!(s.load("wx").is_ok());
        s.private_key_path = format!("{FIXTURES}/merchant_key.pem");
        assert!(problems(&s).contains("set only one of"));
    }

    #[test]
    fn nothing_set_names_every_missing_key() {
        let empty = WechatPaySettings {
            api_base: "https://api.mch.weixin.qq.com".into(),
            mch_id: String::new(),
            app_id: String::new(),
            mch_serial_no: String::new(),
            private_key_path: String::new(),
            private_key: unset_secret(),
            api_v3_key: unset_secret(),
            public_key_path: String::new(),
            public_key_id: String::new(),
            notify_url: String::new(),
            timeout_ms: 5000,
        };
        let text = empty.load("").unwrap_err().to_string();
        for key in [
            "wechatpay.mch_id (YIZHAN__WECHATPAY__MCH_ID)",
            "wechatpay.app_id",
            "wechatpay.mch_serial_no",
            "wechatpay.api_v3_key",
            "wechatpay.notify_url",
        ] {
            assert!(text.contains(key), "{key} in {text}");
        }
    }

    type Breakage = Box<dyn Fn(&mut WechatPaySettings)>;

    #[test]
    fn each_malformed_setting_is_named() {
        let cases: Vec<(&str, Breakage)> = vec![
            (
                "wechatpay.private_key_path (YIZHAN__WECHATPAY__PRIVATE_KEY_PATH): cannot read",
                Box::new(|s| s.private_key_path = "/nonexistent/key.pem".into()),
            ),
            (
                "wechatpay.private_key_path (YIZHAN__WECHATPAY__PRIVATE_KEY_PATH): not a PEM RSA private key",
                Box::new(|s| s.private_key_path = format!("{FIXTURES}/platform_cert.pem")),
            ),
            (
                "wechatpay.api_v3_key (YIZHAN__WECHATPAY__API_V3_KEY): 31 bytes",
                Box::new(|s| s.api_v3_key = SecretString::from("0123456789abcdefTESTONLYv3key-3")),
            ),
            (
                "wechatpay.notify_url (YIZHAN__WECHATPAY__NOTIFY_URL): \"http://yizhan.example.com/notify\" must be https",
                Box::new(|s| s.notify_url = "http://yizhan.example.com/notify".into()),
            ),
            (
                "wechatpay.notify_url (YIZHAN__WECHATPAY__NOTIFY_URL): \"https://yizhan.example.com/notify?x=1\" must not carry a query",
                Box::new(|s| s.notify_url = "https://yizhan.example.com/notify?x=1".into()),
            ),
            (
                "wechatpay.notify_url",
                Box::new(|s| s.notify_url = "not a url".into()),
            ),
            (
                "wechatpay.public_key_id (YIZHAN__WECHATPAY__PUBLIC_KEY_ID): is not set",
                Box::new(|s| s.public_key_id.clear()),
            ),
            (
                "wechatpay.public_key_path (YIZHAN__WECHATPAY__PUBLIC_KEY_PATH): is not set",
                Box::new(|s| s.public_key_path.clear()),
            ),
            (
                "wechatpay.public_key_id (YIZHAN__WECHATPAY__PUBLIC_KEY_ID): must start with PUB_KEY_ID_",
                Box::new(|s| s.public_key_id = "0114232134912410".into()),
            ),
            (
                "wechatpay.public_key_path (YIZHAN__WECHATPAY__PUBLIC_KEY_PATH): not a PEM RSA public key",
                Box::new(|s| s.public_key_path = format!("{FIXTURES}/sign_vector.msg")),
            ),
            (
                "wechatpay.mch_id (YIZHAN__WECHATPAY__MCH_ID): must be the merchant number",
                Box::new(|s| s.mch_id = "mch-1".into()),
            ),
            (
                "wechatpay.mch_serial_no (YIZHAN__WECHATPAY__MCH_SERIAL_NO): must be the certificate serial number",
                Box::new(|s| s.mch_serial_no = "1e+39".into()),
            ),
            (
                "wechatpay.api_base (YIZHAN__WECHATPAY__API_BASE)",
                Box::new(|s| s.api_base = "ftp://example.com".into()),
            ),
            ("wechatpay.timeout_ms", Box::new(|s| s.timeout_ms = 0)),
        ];
        for (expected, break_it) in cases {
            let mut settings = good();
            break_it(&mut settings);
            let text = problems(&settings);
            assert!(text.contains(expected), "expected {expected:?} in {text:?}");
        }
    }
}
