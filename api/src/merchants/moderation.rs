//! A shop's public text (name, description, announcement) checked by
//! WeChat: while an edit waits for an admin (`review`) or for WeChat
//! (`pending`), the public sees the last approved text, kept in
//! `merchants.approved_text`; the owner and admins see the edit.

use entity::merchant;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::profile::MerchantPatch;
use super::service::{self, MerchantView};
use crate::auth::AuthUser;
use crate::cache::{Cache, keys};
use crate::content::recheck::{self, Moderated, Waiting};
use crate::content::{Scene, text_state};
use crate::error::ApiResult;
use crate::time;

/// The texts of a shop the public reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopTexts {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub announcement: String,
}

impl ShopTexts {
    /// The texts as stored now (maybe not approved).
    pub fn current(m: &merchant::Model) -> Self {
        Self {
            name: m.name.clone(),
            description: m.description.clone(),
            announcement: m.announcement.clone(),
        }
    }

    /// What the public may read: the current texts once approved, else the
    /// last approved ones (none kept: the name alone, nothing else).
    pub fn public(m: &merchant::Model) -> Self {
        if m.moderation == text_state::PASS {
            return Self::current(m);
        }
        m.approved_text
            .as_deref()
            .and_then(|raw| serde_json::from_str(raw).ok())
            .unwrap_or_default()
    }

    fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The shop's texts after `patch`, when it changes any of them (WeChat
/// judges them together: an edit never publishes another text still waiting).
pub fn texts_after(m: &merchant::Model, patch: &MerchantPatch) -> Option<ShopTexts> {
    if patch.name.is_none() && patch.description.is_none() && patch.announcement.is_none() {
        return None;
    }
    let pick = |new: &Option<String>, old: &str| new.as_deref().unwrap_or(old).trim().to_owned();
    Some(ShopTexts {
        name: pick(&patch.name, &m.name),
        description: pick(&patch.description, &m.description),
        announcement: pick(&patch.announcement, &m.announcement),
    })
}

/// The `moderation` and `approved_text` to save with an edit whose texts
/// WeChat judged `state`. Leaving `pass` keeps the texts before the edit as
/// the approved ones; an edit while already waiting keeps the ones kept.
pub fn after_edit(before: &merchant::Model, state: &'static str) -> (&'static str, Option<String>) {
    if state == text_state::PASS {
        (text_state::PASS, None)
    } else if before.moderation == text_state::PASS {
        (state, Some(ShopTexts::current(before).to_json()))
    } else {
        (state, before.approved_text.clone())
    }
}

/// An admin of a community the merchant serves (or a platform admin)
/// approves its waiting text; approving approved text changes nothing.
pub async fn approve(db: &impl ConnectionTrait, me: &AuthUser, id: i64) -> ApiResult<MerchantView> {
    service::find(db, id).await?;
    service::require_admin_of_merchant(db, me, id).await?;
    merchant::Entity::update_many()
        .col_expr(merchant::Column::Moderation, Expr::value(text_state::PASS))
        .col_expr(merchant::Column::ApprovedText, Expr::value(None::<String>))
        .col_expr(merchant::Column::UpdatedAt, Expr::value(time::now()))
        .filter(merchant::Column::Id.eq(id))
        .filter(merchant::Column::Moderation.ne(text_state::PASS))
        .exec(db)
        .await?;
    service::full_view(db, service::find(db, id).await?).await
}

/// Shops' text, for the sweep of [`recheck`].
pub struct ShopText;

impl Moderated for ShopText {
    const SCENE: Scene = Scene::Profile;

    async fn waiting(db: &DatabaseConnection) -> ApiResult<Vec<Waiting>> {
        let rows = merchant::Entity::find()
            .filter(merchant::Column::Moderation.eq(text_state::PENDING))
            .limit(recheck::BATCH)
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|m| Waiting {
                id: m.id,
                author_id: m.owner_user_id,
                texts: vec![m.name, m.description, m.announcement],
                updated_at: m.updated_at,
            })
            .collect())
    }

    async fn settle(db: &DatabaseConnection, row: &Waiting, to: &'static str) -> ApiResult<u64> {
        let mut update = merchant::Entity::update_many()
            .col_expr(merchant::Column::Moderation, Expr::value(to))
            .filter(merchant::Column::Id.eq(row.id))
            .filter(merchant::Column::Moderation.eq(text_state::PENDING))
            .filter(merchant::Column::UpdatedAt.eq(row.updated_at));
        if to == text_state::PASS {
            update = update.col_expr(merchant::Column::ApprovedText, Expr::value(None::<String>));
        }
        Ok(update.exec(db).await?.rows_affected)
    }

    async fn changed(cache: &Cache) {
        keys::marketplace_changed(cache).await;
    }
}
