//! Content security (内容安全): `wxa/msg_sec_check` for text and
//! `wxa/media_check_async` for images (its result arrives later at the
//! message-push URL), both version 2 with the author's openid.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{WechatClient, WechatError};

/// Where the content appears (WeChat's `scene`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scene {
    /// 资料: a profile (nickname, shop name and description, avatar, logo).
    Profile = 1,
    /// 评论: a comment or review.
    Comment = 2,
    /// 论坛: a post others read (goods, notices, requests).
    Forum = 3,
    /// 社交日志: a social log.
    SocialLog = 4,
}

/// WeChat's `suggest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suggest {
    Pass,
    Review,
    Risky,
}

impl Suggest {
    /// Anything WeChat adds later counts as `review`: never published unchecked.
    pub fn parse(s: &str) -> Suggest {
        match s {
            "pass" => Suggest::Pass,
            "risky" => Suggest::Risky,
            _ => Suggest::Review,
        }
    }
}

/// Most characters `msg_sec_check` takes at once.
pub const MAX_TEXT_CHARS: usize = 2500;

#[derive(Deserialize)]
struct CheckBody {
    result: Option<CheckResult>,
}

#[derive(Deserialize)]
struct CheckResult {
    suggest: Option<String>,
}

#[derive(Deserialize)]
struct TraceBody {
    trace_id: Option<String>,
}

impl WechatClient {
    /// `wxa/msg_sec_check` of at most [`MAX_TEXT_CHARS`] characters (longer
    /// text: see `content::check_text`). `errcode` is 0 even for risky text:
    /// the answer is `result.suggest`.
    pub async fn msg_sec_check(
        &self,
        openid: &str,
        scene: Scene,
        content: &str,
    ) -> Result<Suggest, WechatError> {
        let body = serde_json::json!({
            "content": content,
            "version": 2,
            "scene": scene as u8,
            "openid": openid,
        });
        let answer: CheckBody = self
            .post_with_token("msg_sec_check", "/wxa/msg_sec_check", body)
            .await?;
        let suggest = answer
            .result
            .and_then(|r| r.suggest)
            .ok_or_else(|| WechatError::Unavailable("answer without result.suggest".into()))?;
        Ok(Suggest::parse(&suggest))
    }

    /// `wxa/media_check_async` of the image at `media_url` (WeChat fetches
    /// it): answers the trace id its result will carry.
    pub async fn media_check_async(
        &self,
        openid: &str,
        scene: Scene,
        media_url: &str,
    ) -> Result<String, WechatError> {
        let body = serde_json::json!({
            "media_url": media_url,
            "media_type": 2,
            "version": 2,
            "scene": scene as u8,
            "openid": openid,
        });
        let answer: TraceBody = self
            .post_with_token("media_check_async", "/wxa/media_check_async", body)
            .await?;
        answer
            .trace_id
            .filter(|t| !t.is_empty())
            .ok_or_else(|| WechatError::Unavailable("answer without trace_id".into()))
    }

    /// POSTs `body` to `path` with the access token (refreshed once if WeChat
    /// says it expired).
    async fn post_with_token<T: DeserializeOwned>(
        &self,
        api: &str,
        path: &str,
        body: serde_json::Value,
    ) -> Result<T, WechatError> {
        self.with_token(|token| {
            let body = body.clone();
            async move {
                let req = self
                    .http
                    .post(format!("{}{path}", self.base))
                    .query(&[("access_token", token.as_str())])
                    .json(&body);
                self.send(api, req).await
            }
        })
        .await
    }
}

/// Whether a message push (or the URL check that echoes `echostr`) comes
/// from WeChat: `signature` is the SHA-1 of the token, `timestamp` and
/// `nonce` sorted and joined. An empty token trusts nothing.
pub fn push_signature_valid(token: &str, timestamp: &str, nonce: &str, signature: &str) -> bool {
    use sha1::{Digest, Sha1};
    use subtle::ConstantTimeEq;

    if token.is_empty() {
        return false;
    }
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    let expected = hex::encode(Sha1::digest(parts.concat().as_bytes()));
    let given = signature.to_ascii_lowercase();
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_signatures_are_the_sha1_of_the_sorted_parts() {
        // sorted: "1700000000" < "nonce" < "token"
        let sig = {
            use sha1::{Digest, Sha1};
            hex::encode(Sha1::digest(b"1700000000noncetoken"))
        };
        assert!(push_signature_valid("token", "1700000000", "nonce", &sig));
        assert!(push_signature_valid(
            "token",
            "1700000000",
            "nonce",
            &sig.to_uppercase()
        ));
        assert!(!push_signature_valid("token", "1700000001", "nonce", &sig));
        assert!(!push_signature_valid("other", "1700000000", "nonce", &sig));
        assert!(!push_signature_valid("", "", "", &{
            use sha1::{Digest, Sha1};
            hex::encode(Sha1::digest(b""))
        }));
    }

    #[test]
    fn unknown_suggestions_are_reviewed() {
        assert_eq!(Suggest::parse("pass"), Suggest::Pass);
        assert_eq!(Suggest::parse("risky"), Suggest::Risky);
        assert_eq!(Suggest::parse("review"), Suggest::Review);
        assert_eq!(Suggest::parse("later"), Suggest::Review);
    }
}
