//! Content safety: user text is checked with WeChat before it is shown to
//! others ([`check_text`]); public images are checked asynchronously and
//! WeChat's verdict arrives at the message-push endpoint ([`routes`]).
//!
//! With `content.check_enabled` off (development, tests) text passes and
//! images are not sent.

pub mod routes;

pub use routes::configure;

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
    if !settings.check_enabled || text.trim().is_empty() {
        return Verdict::Pass;
    }
    let mut worst = Verdict::Pass;
    for piece in pieces(text, MAX_TEXT_CHARS) {
        let verdict = match wechat.msg_sec_check(openid, scene, piece).await {
            Ok(suggest) => Verdict::from(suggest),
            Err(err) => {
                tracing::warn!(error = %err, "msg_sec_check failed; the text waits for review");
                Verdict::Review
            }
        };
        worst = worst.max(verdict);
        if worst == Verdict::Risky {
            break;
        }
    }
    worst
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
