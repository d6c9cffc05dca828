//! Community admins' list of their communities' helpers, in every status.
//! (Suspension cancels bookings, so it lives in `bookings::helper_suspension`.)

use entity::helper::HelperStatus;
use entity::{helper, helper_community};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use utoipa::IntoParams;

use super::service::{HelperView, profile};
use crate::auth::{AuthUser, Role};
use crate::community_links::linked_to;
use crate::error::{ApiError, ApiResult};
use crate::fields::{self, query_text};
use crate::pagination::{Page, Paged};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminHelperQuery {
    /// `active` or `suspended`; both when absent.
    pub status: Option<HelperStatus>,
    /// Substring of the display name, up to 50 characters.
    pub q: Option<String>,
    /// One of the admin's communities; all of them when absent.
    pub community_id: Option<i64>,
}

/// Helpers serving any of the admin's communities (all for a platform
/// admin), newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    query: AdminHelperQuery,
    page: Page,
) -> ApiResult<Paged<HelperView>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let q = query_text("q", query.q.as_deref(), 50)?;
    let scope = me.admin_scope(db, query.community_id).await?;
    let mut select = helper::Entity::find();
    if let Some(scope) = scope {
        select = select
            .filter(helper::Column::Id.in_subquery(linked_to::<helper_community::Entity>(scope)));
    }
    if let Some(status) = query.status {
        select = select.filter(helper::Column::Status.eq(status));
    }
    if let Some(q) = q {
        select = select.filter(helper::Column::DisplayName.like(fields::contains(&q)));
    }
    let rows = page
        .fetch(db, select.order_by_desc(helper::Column::Id))
        .await?;
    rows.map_batch(|rows| async move {
        let mut views = Vec::with_capacity(rows.len());
        for h in rows {
            views.push(profile(db, h).await?);
        }
        Ok::<_, ApiError>(views)
    })
    .await
}
