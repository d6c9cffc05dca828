//! The `*_community` join tables: the communities a merchant, a campaign, a
//! helper, a service, an application or an admin is linked to. One set of
//! functions reads and writes all of them.
//!
//! ```ignore
//! use entity::merchant_community;
//! // the communities of a page of merchants, one query
//! let served = community_links::communities_of::<merchant_community::Entity>(db, &ids).await?;
//! // a new merchant's communities, one insert
//! community_links::link::<merchant_community::Entity>(&txn, merchant.id, &community_ids).await?;
//! // merchants serving a community, as a subquery
//! select.filter(merchant::Column::Id.in_subquery(community_links::linked_to::<merchant_community::Entity>([cid])))
//! ```
//!
//! A new join table: add its entity to the `community_link!` list below.

use std::collections::HashMap;

use entity::community;
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::error::{ApiError, ApiResult};
use crate::fields::FieldErrors;

/// A table linking something (its `OWNER` column) to communities.
pub trait CommunityLink: EntityTrait {
    /// The column holding the linked thing's id (`merchant_id`).
    const OWNER: Self::Column;
    /// The column holding the community's id.
    const COMMUNITY: Self::Column;
}

macro_rules! community_link {
    ($($table:ident => $owner:ident),+ $(,)?) => {
        $(impl CommunityLink for entity::$table::Entity {
            const OWNER: Self::Column = entity::$table::Column::$owner;
            const COMMUNITY: Self::Column = entity::$table::Column::CommunityId;
        })+
    };
}

community_link! {
    activity_community => ActivityId,
    canteen_community => CanteenId,
    admin_community => UserId,
    group_buy_community => GroupBuyId,
    helper_application_community => ApplicationId,
    helper_community => HelperId,
    merchant_application_community => ApplicationId,
    merchant_community => MerchantId,
    odd_job_community => JobId,
    service_community => ServiceId,
    survey_community => SurveyId,
}

/// The communities each of `owners` is linked to, in id order (an owner
/// without links is absent from the map).
pub async fn communities_of<L: CommunityLink>(
    db: &impl ConnectionTrait,
    owners: &[i64],
) -> ApiResult<HashMap<i64, Vec<i64>>> {
    if owners.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, i64)> = L::find()
        .select_only()
        .column(L::OWNER)
        .column(L::COMMUNITY)
        .filter(L::OWNER.is_in(owners.iter().copied()))
        .order_by_asc(L::COMMUNITY)
        .into_tuple()
        .all(db)
        .await?;
    let mut map: HashMap<i64, Vec<i64>> = HashMap::new();
    for (owner, community) in rows {
        map.entry(owner).or_default().push(community);
    }
    Ok(map)
}

/// The communities one owner is linked to, in id order.
pub async fn communities_of_one<L: CommunityLink>(
    db: &impl ConnectionTrait,
    owner: i64,
) -> ApiResult<Vec<i64>> {
    Ok(communities_of::<L>(db, &[owner])
        .await?
        .remove(&owner)
        .unwrap_or_default())
}

/// Links `owner` to each of `community_ids`, in one statement.
pub async fn link<L: CommunityLink>(
    db: &impl ConnectionTrait,
    owner: i64,
    community_ids: &[i64],
) -> ApiResult<()> {
    if community_ids.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert();
    insert
        .into_table(L::default().table_ref())
        .columns([L::OWNER, L::COMMUNITY]);
    for community in community_ids {
        insert
            .values([Expr::val(owner), Expr::val(*community)])
            .map_err(ApiError::internal)?;
    }
    db.execute(&insert).await?;
    Ok(())
}

/// Replaces `owner`'s links with `community_ids`.
pub async fn relink<L: CommunityLink>(
    db: &impl ConnectionTrait,
    owner: i64,
    community_ids: &[i64],
) -> ApiResult<()> {
    L::delete_many().filter(L::OWNER.eq(owner)).exec(db).await?;
    link::<L>(db, owner, community_ids).await
}

/// The owners linked to any of `community_ids`, as a subquery.
pub fn linked_to<L: CommunityLink>(
    community_ids: impl IntoIterator<Item = i64>,
) -> SelectStatement {
    Query::select()
        .column(L::OWNER)
        .from(L::default().table_ref())
        .and_where(L::COMMUNITY.is_in(community_ids))
        .to_owned()
}

pub async fn community_exists(db: &impl ConnectionTrait, id: i64) -> ApiResult<bool> {
    Ok(community::Entity::find_by_id(id).count(db).await? == 1)
}

/// The community ids a client sent under `community_ids`: 1 to `max` of
/// them, every one existing. Answers them sorted, without duplicates.
pub async fn check_community_ids(
    db: &impl ConnectionTrait,
    errors: &mut FieldErrors,
    ids: &[i64],
    max: usize,
) -> ApiResult<Vec<i64>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > max {
        errors.push("community_ids", format!("须指定 1-{max} 个社区"));
        return Ok(ids);
    }
    let found = community::Entity::find()
        .filter(community::Column::Id.is_in(ids.clone()))
        .count(db)
        .await?;
    if found != ids.len() as u64 {
        errors.push("community_ids", "包含不存在的社区");
    }
    Ok(ids)
}
