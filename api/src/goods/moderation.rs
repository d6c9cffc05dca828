//! Goods whose text is not public yet: an admin approves what WeChat sent
//! for review; the sweep of [`content::recheck`] asks WeChat again about
//! text it could not check.

use std::collections::HashMap;

use entity::{goods, merchant};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};

use super::views::GoodsView;
use crate::auth::AuthUser;
use crate::cache::{Cache, keys};
use crate::content::recheck::{self, Moderated, Waiting};
use crate::content::{Scene, text_state};
use crate::error::{ApiResult, ErrorCode};
use crate::merchants::service as merchants;
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

/// Goods' name and description, for the sweep of [`content::recheck`].
pub struct GoodsText;

impl Moderated for GoodsText {
    const SCENE: Scene = Scene::Forum;

    async fn waiting(db: &DatabaseConnection) -> ApiResult<Vec<Waiting>> {
        let rows = goods::Entity::find()
            .filter(goods::Column::Moderation.eq(text_state::PENDING))
            .filter(goods::Column::DeletedAt.is_null())
            .limit(recheck::BATCH)
            .all(db)
            .await?;
        let owners: HashMap<i64, i64> = merchant::Entity::find()
            .select_only()
            .column(merchant::Column::Id)
            .column(merchant::Column::OwnerUserId)
            .filter(merchant::Column::Id.is_in(rows.iter().map(|g| g.merchant_id)))
            .into_tuple::<(i64, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        Ok(rows
            .into_iter()
            .filter_map(|g| {
                Some(Waiting {
                    id: g.id,
                    author_id: *owners.get(&g.merchant_id)?,
                    texts: vec![g.name, g.description],
                    updated_at: g.updated_at,
                })
            })
            .collect())
    }

    async fn settle(db: &DatabaseConnection, row: &Waiting, to: &'static str) -> ApiResult<u64> {
        let done = goods::Entity::update_many()
            .col_expr(goods::Column::Moderation, Expr::value(to))
            .filter(goods::Column::Id.eq(row.id))
            .filter(goods::Column::Moderation.eq(text_state::PENDING))
            .filter(goods::Column::UpdatedAt.eq(row.updated_at))
            .exec(db)
            .await?;
        Ok(done.rows_affected)
    }

    async fn changed(cache: &Cache) {
        keys::goods_changed(cache).await;
    }
}
