//! The residents a notice concerns: bound to its community (to one of its
//! targeted buildings when it names some). The one definition behind the
//! inbox fan-out, the push recipients, the admin's read counts and the list
//! of residents who have not read it.

use entity::{notice, user};
use sea_orm::sea_query::SelectStatement;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select};

use super::targets::TargetBuildings;

/// The users `n` (targeting `targets`) concerns.
pub fn residents(n: &notice::Model, targets: &TargetBuildings) -> Select<user::Entity> {
    let mut select = user::Entity::find().filter(user::Column::CommunityId.eq(n.community_id));
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
