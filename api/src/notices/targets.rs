//! Which buildings a notice concerns: its whole community, or some of its
//! buildings (`notice_buildings` rows; none means the whole community).

use std::collections::{BTreeSet, HashMap};

use entity::notice_building;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::error::ApiResult;

/// The buildings a notice targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetBuildings {
    /// Every building of the notice's community.
    Whole,
    /// Only these buildings (never empty).
    Only(BTreeSet<i64>),
}

impl TargetBuildings {
    /// No ids: the whole community.
    pub fn from_ids(ids: impl IntoIterator<Item = i64>) -> Self {
        let ids: BTreeSet<i64> = ids.into_iter().collect();
        if ids.is_empty() {
            TargetBuildings::Whole
        } else {
            TargetBuildings::Only(ids)
        }
    }

    /// Whether a resident living in `building` (None: not bound) is concerned.
    pub fn affects(&self, building: Option<i64>) -> bool {
        match self {
            TargetBuildings::Whole => true,
            TargetBuildings::Only(ids) => building.is_some_and(|b| ids.contains(&b)),
        }
    }

    /// The targeted ids in order; empty for the whole community (as clients send and read them).
    pub fn ids(&self) -> Vec<i64> {
        match self {
            TargetBuildings::Whole => Vec::new(),
            TargetBuildings::Only(ids) => ids.iter().copied().collect(),
        }
    }
}

/// The targets of each of `notices` (the whole community when it has no rows).
pub async fn load(
    db: &impl ConnectionTrait,
    notices: &[i64],
) -> ApiResult<HashMap<i64, TargetBuildings>> {
    let rows = notice_building::Entity::find()
        .filter(notice_building::Column::NoticeId.is_in(notices.iter().copied()))
        .order_by_asc(notice_building::Column::BuildingId)
        .all(db)
        .await?;
    let mut ids: HashMap<i64, Vec<i64>> = HashMap::new();
    for row in rows {
        ids.entry(row.notice_id).or_default().push(row.building_id);
    }
    Ok(notices
        .iter()
        .map(|n| {
            (
                *n,
                TargetBuildings::from_ids(ids.remove(n).unwrap_or_default()),
            )
        })
        .collect())
}

pub async fn load_one(db: &impl ConnectionTrait, notice: i64) -> ApiResult<TargetBuildings> {
    Ok(load(db, &[notice])
        .await?
        .remove(&notice)
        .unwrap_or(TargetBuildings::Whole))
}

/// Makes `targets` the notice's targets.
pub async fn store(
    db: &impl ConnectionTrait,
    notice: i64,
    targets: &TargetBuildings,
) -> ApiResult<()> {
    notice_building::Entity::delete_many()
        .filter(notice_building::Column::NoticeId.eq(notice))
        .exec(db)
        .await?;
    if let TargetBuildings::Only(ids) = targets {
        notice_building::Entity::insert_many(ids.iter().map(|b| notice_building::ActiveModel {
            notice_id: Set(notice),
            building_id: Set(*b),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_community_or_listed_buildings() {
        assert_eq!(TargetBuildings::from_ids([]), TargetBuildings::Whole);
        assert!(TargetBuildings::Whole.affects(None));
        assert!(TargetBuildings::Whole.affects(Some(3)));
        let some = TargetBuildings::from_ids([7, 3, 7]);
        assert_eq!(some.ids(), vec![3, 7]);
        assert!(some.affects(Some(7)));
        assert!(!some.affects(Some(8)));
        assert!(
            !some.affects(None),
            "an unbound resident is not in a listed building"
        );
    }
}
