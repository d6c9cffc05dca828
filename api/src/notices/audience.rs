//! The residents a notice concerns: bound to its community (to one of its
//! targeted buildings when it names some). The one definition behind the
//! inbox fan-out, the push recipients, the admin's read counts and the list
//! of residents who have not read it.

use entity::{notice, notice_read, user};
use sea_orm::sea_query::SelectStatement;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    QueryTrait, Select,
};

use super::targets::TargetBuildings;
use crate::error::ApiResult;

/// The users `n` (targeting `targets`) concerns. A binding still awaiting
/// approval does not count.
pub fn residents(n: &notice::Model, targets: &TargetBuildings) -> Select<user::Entity> {
    let mut select = user::Entity::find()
        .filter(user::Column::CommunityId.eq(n.community_id))
        .filter(user::Column::BindingPending.eq(false));
    if let TargetBuildings::Only(buildings) = targets {
        select = select.filter(user::Column::BuildingId.is_in(buildings.iter().copied()));
    }
    select
}

/// Their ids, as a subquery (`user_id IN (...)`).
pub fn resident_ids(n: &notice::Model, targets: &TargetBuildings) -> SelectStatement {
    residents(n, targets)
        .select_only()
        .column(user::Column::Id)
        .into_query()
}

/// How many of `n`'s residents have read it: reads by anyone else (an
/// account of another community opening it) do not count.
pub async fn read_count(
    db: &impl ConnectionTrait,
    n: &notice::Model,
    targets: &TargetBuildings,
) -> ApiResult<u64> {
    Ok(notice_read::Entity::find()
        .filter(notice_read::Column::NoticeId.eq(n.id))
        .filter(notice_read::Column::UserId.in_subquery(resident_ids(n, targets)))
        .count(db)
        .await?)
}
