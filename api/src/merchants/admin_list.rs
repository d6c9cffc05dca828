//! The admin's merchant list: every status (a suspended shop must be found to
//! be reinstated), scoped to the communities the admin administers.

use entity::{merchant, merchant_community};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use utoipa::IntoParams;

use super::service::{MerchantStatus, MerchantView, view_all};
use crate::auth::AuthUser;
use crate::community_links::linked_to;
use crate::error::ApiResult;
use crate::fields::{self, query_text};
use crate::pagination::{Page, Paged};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminMerchantQuery {
    /// `active` or `suspended`; both when absent.
    pub status: Option<MerchantStatus>,
    /// Substring of the name (`%` and `_` match literally), up to 50 characters.
    #[param(max_length = 50)]
    pub q: Option<String>,
    /// Exact merchant category, e.g. `果蔬生鲜`.
    #[param(max_length = 50)]
    pub category: Option<String>,
    /// One of the admin's communities; all of them when absent.
    pub community_id: Option<i64>,
}

/// Merchants serving any of the admin's communities (all for a platform
/// admin), newest first. A community outside the admin's scope lists nothing.
pub async fn list(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    query: AdminMerchantQuery,
    page: Page,
) -> ApiResult<Paged<MerchantView>> {
    let q = query_text("q", query.q.as_deref(), 50)?;
    let category = query_text("category", query.category.as_deref(), 50)?;
    let scope: Option<Vec<i64>> = me.admin_scope(db, query.community_id).await?;
    let mut select = merchant::Entity::find();
    if let Some(scope) = scope {
        select = select.filter(
            merchant::Column::Id.in_subquery(linked_to::<merchant_community::Entity>(scope)),
        );
    }
    if let Some(status) = query.status {
        select = select.filter(merchant::Column::Status.eq(status));
    }
    if let Some(category) = category {
        select = select.filter(merchant::Column::Category.eq(category));
    }
    if let Some(q) = q {
        select = select.filter(merchant::Column::Name.like(fields::contains(&q)));
    }
    let rows = page
        .fetch(db, select.order_by_desc(merchant::Column::Id))
        .await?;
    rows.map_batch(|rows| view_all(db, rows)).await
}
