//! Approving or rejecting a request: one way for the shop's desk (a
//! requested one) and for a community admin (an escalated one). The caller
//! has found the request it may decide; here the reason is checked, the
//! decision taken, whoever is owed a message told after the commit (and an
//! approved WeChat Pay refund sent soon), and the request shown.

use actix_web::web;
use entity::after_sale;

use super::decide::{self, Approver, reason_of};
use super::messages::{self, after_commit};
use super::views::{AfterSaleView, view_of};
use crate::error::ApiResult;
use crate::media::MediaStore;
use crate::state::AppState;

/// Who decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decider {
    /// The merchant's desk (owner or clerk), on a requested one.
    Desk,
    /// A community admin (user id), on an escalated one.
    Admin(i64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Reject,
}

/// Decides `a` as `by`. A rejection needs a reason (1-200 characters); an
/// admin may give one when approving; the desk approves without.
pub async fn answer(
    state: &web::Data<AppState>,
    media: &MediaStore,
    a: after_sale::Model,
    by: Decider,
    verdict: Verdict,
    reason: &str,
) -> ApiResult<web::Json<AfterSaleView>> {
    let now = state.clock.now();
    let db = &state.db;
    let (a, owed) = match (verdict, by) {
        (Verdict::Approve, Decider::Desk) => {
            decide::approve(db, &a, Approver::Merchant, None, now).await?
        }
        (Verdict::Approve, Decider::Admin(admin)) => {
            let reason = reason_of("reason", reason, 0)?;
            let reason = (!reason.is_empty()).then_some(reason);
            decide::approve(db, &a, Approver::Admin(admin), reason, now).await?
        }
        (Verdict::Reject, Decider::Desk) => {
            decide::reject(db, &a, reason_of("reason", reason, 1)?, now).await?
        }
        (Verdict::Reject, Decider::Admin(admin)) => {
            decide::close(db, &a, admin, reason_of("reason", reason, 1)?, now).await?
        }
    };
    match verdict {
        Verdict::Approve => after_commit(state, owed),
        Verdict::Reject => messages::push(state, owed),
    }
    Ok(web::Json(view_of(db, media, a).await?))
}
