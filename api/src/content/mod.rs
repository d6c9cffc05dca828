//! Content safety: user text is checked with WeChat before it is shown to
//! others ([`check_text`]); public images are checked asynchronously and
//! WeChat's verdict arrives at the message-push endpoint ([`routes`]).
//!
//! With `content.check_enabled` off (development, tests) text passes and
//! images are not sent.

pub mod recheck;
pub mod routes;

pub use routes::configure;

use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::settings::ContentSettings;
use crate::wechat::WechatClient;
pub use crate::wechat::security::Scene;
use crate::wechat::security::{MAX_TEXT_CHARS, Suggest};

/// What to do with a piece of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Show it.
    Pass,
    /// Save it, hidden from the public until an admin approves it (also
    /// the answer when WeChat could not be asked: never published unchecked).
    Review,
    /// Refuse it (422 `CONTENT_REJECTED`).
    Risky,
}

impl From<Suggest> for Verdict {
    fn from(s: Suggest) -> Self {
        match s {
            Suggest::Pass => Verdict::Pass,
            Suggest::Review => Verdict::Review,
            Suggest::Risky => Verdict::Risky,
        }
    }
}

/// Checks `text` written by the user with `openid`, shown in `scene`. Text
/// longer than WeChat takes is checked in pieces and the worst verdict wins.
/// WeChat unreachable or refusing the call: [`Verdict::Review`].
pub async fn check_text(
    wechat: &WechatClient,
    settings: &ContentSettings,
    openid: &str,
    scene: Scene,
    text: &str,
) -> Verdict {
    judge_text(wechat, settings, openid, scene, text)
        .await
        .unwrap_or(Verdict::Review)
}

/// [`check_text`], telling apart WeChat's verdict (`Ok`) and no verdict at
/// all (`Err`: WeChat unreachable or refusing the call, worth asking again).
pub async fn judge_text(
    wechat: &WechatClient,
    settings: &ContentSettings,
    openid: &str,
    scene: Scene,
    text: &str,
) -> Result<Verdict, Unreached> {
    if !settings.check_enabled || text.trim().is_empty() {
        return Ok(Verdict::Pass);
    }
    let mut worst = Verdict::Pass;
    for piece in pieces(text, MAX_TEXT_CHARS) {
        let verdict = match wechat.msg_sec_check(openid, scene, piece).await {
            Ok(suggest) => Verdict::from(suggest),
            Err(err) => {
                tracing::warn!(error = %err, "msg_sec_check failed; the text waits for review");
                return Err(Unreached);
            }
        };
        worst = worst.max(verdict);
        if worst == Verdict::Risky {
            break;
        }
    }
    Ok(worst)
}

/// WeChat could not judge the text (unreachable, or refused the call).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unreached;

/// Where user text shown to others stands (a `moderation` column).
pub mod text_state {
    /// Checked (or checks off): shown.
    pub const PASS: &str = "pass";
    /// WeChat asked for a person: hidden until an admin approves.
    pub const REVIEW: &str = "review";
    /// WeChat could not be asked: hidden, checked again by a sweep.
    pub const PENDING: &str = "pending";
}

/// Checks every piece of `texts` an author saves together (a name and a
/// description): `risky` anywhere is 422 `CONTENT_REJECTED` naming the
/// fields (`details.fields`, as validation errors do); otherwise the state to save ([`text_state`]). An author without
/// an openid (an admin account) is not sent to WeChat: [`text_state::PASS`].
pub async fn moderate_texts(
    wechat: &WechatClient,
    settings: &ContentSettings,
    openid: Option<&str>,
    scene: Scene,
    texts: &[(&str, &str)],
) -> ApiResult<&'static str> {
    let Some(openid) = openid else {
        return Ok(text_state::PASS);
    };
    let mut state = text_state::PASS;
    let mut rejected = Vec::new();
    for (field, text) in texts {
        match judge_text(wechat, settings, openid, scene, text).await {
            Ok(Verdict::Pass) => {}
            Ok(Verdict::Review) => state = text_state::REVIEW,
            Ok(Verdict::Risky) => rejected.push(*field),
            Err(Unreached) if state == text_state::PASS => state = text_state::PENDING,
            Err(Unreached) => {}
        }
    }
    if rejected.is_empty() {
        Ok(state)
    } else {
        let fields: Vec<FieldError> = rejected
            .into_iter()
            .map(|f| FieldError::new(f, "内容含有违规信息"))
            .collect();
        Err(ApiError::new(ErrorCode::ContentRejected)
            .details(serde_json::json!({ "fields": fields })))
    }
}

/// `text` cut into pieces of at most `max` characters (never inside a character).
fn pieces(text: &str, max: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_by_characters() {
        let text = "好".repeat(5001);
        let parts: Vec<&str> = pieces(&text, 2500).collect();
        assert_eq!(
            parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(),
            vec![2500, 2500, 1]
        );
        assert_eq!(parts.concat(), text);
        assert_eq!(pieces("short", 2500).collect::<Vec<_>>(), vec!["short"]);
        assert_eq!(pieces("", 2500).count(), 0);
    }

    #[test]
    fn the_worst_verdict_wins() {
        assert!(Verdict::Risky > Verdict::Review);
        assert!(Verdict::Review > Verdict::Pass);
    }
}
