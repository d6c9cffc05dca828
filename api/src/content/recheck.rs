//! Text saved while WeChat could not judge it (`pending`) is asked about
//! again: one sweep over every kind of row that holds checked user text
//! (goods, merchants' shop text, booking reviews), each kind described by a
//! [`Moderated`] (the kinds are listed in `startup::recheck_texts`, above
//! the resources). `pass` publishes the row; `review` or `risky` leaves it to
//! an admin (`review`: it is saved already, so never refused now); still
//! unreachable leaves it for the next round.

use std::future::Future;

use chrono::{DateTime, Utc};
use entity::user;
use sea_orm::{DatabaseConnection, EntityTrait};

use super::{Scene, Unreached, Verdict, judge_text, text_state};
use crate::cache::Cache;
use crate::error::ApiResult;
use crate::state::AppState;

/// Rows of one kind looked at per round.
pub const BATCH: u64 = 50;

/// A row whose text waits for WeChat.
pub struct Waiting {
    pub id: i64,
    /// Whose openid WeChat is asked with.
    pub author_id: i64,
    pub texts: Vec<String>,
    /// When it was last written: settling is conditional on it, so an edit
    /// meanwhile (checked on its own) wins.
    pub updated_at: DateTime<Utc>,
}

/// A kind of row holding user text with a moderation state ([`text_state`]).
pub trait Moderated {
    /// The scene WeChat is told.
    const SCENE: Scene;

    /// Up to [`BATCH`] rows in [`text_state::PENDING`].
    fn waiting(db: &DatabaseConnection) -> impl Future<Output = ApiResult<Vec<Waiting>>> + Send;

    /// Moves `row` from pending to `to` if it is unchanged since it was
    /// read; answers how many rows moved (0 or 1).
    fn settle(
        db: &DatabaseConnection,
        row: &Waiting,
        to: &'static str,
    ) -> impl Future<Output = ApiResult<u64>> + Send;

    /// Drops the cached public reads the settled rows appear in.
    fn changed(cache: &Cache) -> impl Future<Output = ()> + Send;
}

/// Asks WeChat again about the waiting rows of kind `M`; answers how many
/// were settled.
pub async fn recheck<M: Moderated>(state: &AppState) -> ApiResult<u64> {
    if !state.settings.content.check_enabled {
        return Ok(0);
    }
    let db = &state.db;
    let mut settled = 0;
    for row in M::waiting(db).await? {
        let openid = user::Entity::find_by_id(row.author_id)
            .one(db)
            .await?
            .and_then(|u| u.openid);
        let Some(openid) = openid else {
            continue;
        };
        let to = match judge_all(state, &openid, M::SCENE, &row.texts).await {
            Ok(Verdict::Pass) => text_state::PASS,
            Ok(Verdict::Review | Verdict::Risky) => text_state::REVIEW,
            Err(Unreached) => continue,
        };
        settled += M::settle(db, &row, to).await?;
    }
    if settled > 0 {
        M::changed(&state.cache).await;
    }
    Ok(settled)
}

/// The worst verdict on `texts`; unreached only when nothing worse than
/// `pass` was heard.
async fn judge_all(
    state: &AppState,
    openid: &str,
    scene: Scene,
    texts: &[String],
) -> Result<Verdict, Unreached> {
    let mut worst = Ok(Verdict::Pass);
    for text in texts {
        match judge_text(&state.wechat, &state.settings.content, openid, scene, text).await {
            Ok(v) if v > Verdict::Pass => return Ok(v),
            Ok(_) => {}
            Err(Unreached) => worst = Err(Unreached),
        }
    }
    worst
}
