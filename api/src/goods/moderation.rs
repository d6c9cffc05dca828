//! Goods whose text is not public yet: an admin approves what WeChat sent
//! for review; a sweep asks WeChat again about text it could not check.

use entity::{goods, merchant, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::views::GoodsView;
use crate::auth::AuthUser;
use crate::cache::keys;
use crate::content::{self, Scene, Verdict, text_state};
use crate::error::{ApiResult, ErrorCode};
use crate::merchants::service as merchants;
use crate::state::AppState;
use crate::time;

/// An admin of a community the merchant serves (or a platform admin)
/// publishes goods whose text waits for review (`review` or `pending`);
/// approving public goods again changes nothing.
pub async fn approve(db: &impl ConnectionTrait, me: &AuthUser, id: i64) -> ApiResult<GoodsView> {
    let g = goods::Entity::find_by_id(id)
        .filter(goods::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or(ErrorCode::GoodsNotFound)?;
    merchants::require_admin_of_merchant(db, me, g.merchant_id).await?;
    goods::Entity::update_many()
        .col_expr(goods::Column::Moderation, Expr::value(text_state::PASS))
        .col_expr(goods::Column::UpdatedAt, Expr::value(time::now()))
        .filter(goods::Column::Id.eq(id))
        .filter(goods::Column::Moderation.ne(text_state::PASS))
        .exec(db)
        .await?;
    let g = goods::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ErrorCode::GoodsNotFound)?;
    Ok(g.into())
}

const RECHECK_BATCH: u64 = 50;

/// Asks WeChat again about goods saved while it was unreachable
/// (`pending`): `pass` publishes them, `review` or `risky` leaves them to an
/// admin (`review`), still unreachable leaves them for the next round.
/// Each update is conditional on the goods being unchanged since it was
/// read, so an edit meanwhile (checked on its own) wins. Answers how many
/// were settled.
pub async fn recheck_pending(state: &AppState) -> ApiResult<u64> {
    if !state.settings.content.check_enabled {
        return Ok(0);
    }
    let db = &state.db;
    let waiting = goods::Entity::find()
        .filter(goods::Column::Moderation.eq(text_state::PENDING))
        .filter(goods::Column::DeletedAt.is_null())
        .limit(RECHECK_BATCH)
        .all(db)
        .await?;
    let mut settled = 0;
    for g in waiting {
        let m: merchant::Model = merchants::find(db, g.merchant_id).await?;
        let openid = user::Entity::find_by_id(m.owner_user_id)
            .one(db)
            .await?
            .and_then(|u| u.openid);
        let Some(openid) = openid else {
            continue;
        };
        let mut worst = Verdict::Pass;
        let mut reached = true;
        for text in [&g.name, &g.description] {
            match content::judge_text(
                &state.wechat,
                &state.settings.content,
                &openid,
                Scene::Forum,
                text,
            )
            .await
            {
                Ok(v) => worst = worst.max(v),
                Err(_) => reached = false,
            }
        }
        let to = match (reached, worst) {
            (_, Verdict::Review | Verdict::Risky) => text_state::REVIEW,
            (true, Verdict::Pass) => text_state::PASS,
            (false, Verdict::Pass) => continue,
        };
        let done = goods::Entity::update_many()
            .col_expr(goods::Column::Moderation, Expr::value(to))
            .filter(goods::Column::Id.eq(g.id))
            .filter(goods::Column::Moderation.eq(text_state::PENDING))
            .filter(goods::Column::UpdatedAt.eq(g.updated_at))
            .exec(db)
            .await?;
        settled += done.rows_affected;
    }
    if settled > 0 {
        keys::goods_changed(&state.cache).await;
    }
    Ok(settled)
}

/// How often each instance asks WeChat again.
const RECHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

pub fn spawn_recheck(state: actix_web::web::Data<AppState>) {
    crate::jobs::repeat("goods text checks", RECHECK_EVERY, move || {
        let state = state.clone();
        async move { recheck_pending(&state).await }
    });
}
