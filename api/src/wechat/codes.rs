//! Mini-program codes (`wxa/getwxacodeunlimit`): the images a scanned code
//! opens the mini-program from.

use secrecy::ExposeSecret;

use super::{Envelope, WechatClient, WechatError};

/// The development placeholder app id of `config/default.toml`.
const DEV_APP_ID: &str = "wx_dev_app_id";

/// A mini-program code image as WeChat sent it.
pub struct CodeImage {
    pub bytes: Vec<u8>,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
}

impl WechatClient {
    /// Whether real mini-program credentials are configured (not the
    /// development placeholder), so WeChat can make mini-program codes.
    pub fn is_configured(&self) -> bool {
        !self.app_id.is_empty()
            && self.app_id != DEV_APP_ID
            && !self.app_secret.expose_secret().is_empty()
    }

    /// `wxa/getwxacodeunlimit`: the mini-program code, `width` pixels wide,
    /// that opens `page` with `scene` (at most 32 characters). Errors come
    /// back as JSON, images as bytes (PNG or JPEG, told by their magic).
    pub async fn wxacode_unlimited(
        &self,
        scene: &str,
        page: &str,
        width: u32,
    ) -> Result<CodeImage, WechatError> {
        // check_path off: codes are printed before the page's version is released.
        let body = serde_json::json!({
            "scene": scene,
            "page": page,
            "check_path": false,
            "env_version": "release",
            "width": width,
        });
        let result = self
            .with_token(|token| {
                let body = body.clone();
                async move {
                    let res = self
                        .http
                        .post(format!("{}/wxa/getwxacodeunlimit", self.base))
                        .query(&[("access_token", token.as_str())])
                        .json(&body)
                        .send()
                        .await
                        .map_err(|e| WechatError::Unavailable(e.without_url().to_string()))?;
                    if !res.status().is_success() {
                        return Err(WechatError::Unavailable(format!("HTTP {}", res.status())));
                    }
                    let content_type = res
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_ascii_lowercase();
                    let bytes = res
                        .bytes()
                        .await
                        .map_err(|e| WechatError::Unavailable(e.without_url().to_string()))?;
                    if content_type.contains("json") || bytes.first() == Some(&b'{') {
                        let envelope: Envelope<serde_json::Value> = serde_json::from_slice(&bytes)
                            .map_err(|e| {
                                WechatError::Unavailable(format!("unreadable answer: {e}"))
                            })?;
                        return Err(match envelope.errcode {
                            0 => WechatError::Unavailable("an answer without an image".into()),
                            code => WechatError::from_errcode(code, envelope.errmsg),
                        });
                    }
                    let content_type = if bytes.starts_with(b"\x89PNG") {
                        "image/png"
                    } else {
                        "image/jpeg"
                    };
                    Ok(CodeImage {
                        bytes: bytes.to_vec(),
                        content_type: content_type.to_owned(),
                    })
                }
            })
            .await;
        self.record(
            "getwxacodeunlimit",
            match &result {
                Ok(_) => "ok",
                Err(WechatError::Unavailable(_)) => "unavailable",
                Err(_) => "error",
            },
        );
        result
    }
}
