//! `yizhan seed --scale N`: the demo data set of PRODUCT.md "Scale".
//!
//! Deterministic (every row is derived from its index through a fixed hash,
//! so the same scale always builds the same data) and idempotent (each
//! section counts what a previous run made and inserts only what is missing;
//! batches are committed in order, so an interrupted run resumes where it
//! stopped). Scale 1 is the county, 100 a province.

mod activities;
mod canteen;
mod civic;
mod market;
mod names;
mod notices;
mod points;
mod requests;
mod services;

use std::time::Instant;

use entity::{building, community, grid, user};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

use crate::auth::{Role, join_roles};
use crate::error::ApiResult;
use crate::time;

pub use names::Rng;

/// Rows per INSERT: well under SQLite's bound-variable limit.
pub(crate) const BATCH: usize = 1000;

/// How many of each thing one unit of scale means.
pub struct Plan {
    pub communities: usize,
    pub grids_per_community: usize,
    pub buildings: usize,
    pub residents: usize,
    pub merchants: usize,
    pub goods: usize,
    pub group_buys: usize,
    pub helpers: usize,
    pub notices: usize,
    /// Residents' requests over the past year.
    pub requests: usize,
    /// Activities with places (two per community, four sessions each).
    pub activities: usize,
    /// Elders' canteens (two in the county).
    pub canteens: usize,
}

impl Plan {
    /// Buildings of the community at `index`: the total spread evenly.
    fn buildings_of(&self, index: usize) -> usize {
        let n = self.communities.max(1);
        self.buildings / n + usize::from(index < self.buildings % n)
    }

    pub fn for_scale(scale: u32) -> Self {
        let s = scale.max(1) as usize;
        Self {
            communities: 12 * s,
            grids_per_community: 10,
            buildings: 400 * s,
            residents: 37_750 * s,
            merchants: 358 * s,
            goods: 3_000 * s,
            group_buys: 10 * s,
            helpers: 60 * s,
            notices: 175 * s,
            requests: requests::PER_YEAR * s,
            activities: 24 * s,
            canteens: 2 * s,
        }
    }
}

/// What a seed run found and made, printed at the end.
#[derive(Debug, Default)]
pub struct Report {
    pub lines: Vec<(String, u64, u64)>,
}

impl Report {
    pub(crate) fn add(&mut self, what: &str, created: u64, total: u64) {
        self.lines.push((what.to_owned(), created, total));
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{:<14} {:>10} {:>10}", "table", "created", "total")?;
        for (what, created, total) in &self.lines {
            writeln!(f, "{what:<14} {created:>10} {total:>10}")?;
        }
        Ok(())
    }
}

pub(crate) fn progress(what: &str, done: usize, total: usize, started: Instant) {
    if total >= 20 * BATCH && (done.is_multiple_of(20 * BATCH) || done == total) {
        eprintln!(
            "  {what}: {done}/{total} ({:.1}s)",
            started.elapsed().as_secs_f64()
        );
    }
}

/// Seeds scale `scale`; request deadlines run on `calendar`.
pub async fn run(
    db: &DatabaseConnection,
    scale: u32,
    calendar: &crate::calendar::Calendar,
) -> ApiResult<Report> {
    let plan = Plan::for_scale(scale);
    let mut report = Report::default();
    let communities = seed_communities(db, &plan, &mut report).await?;
    seed_grids_and_buildings(db, &plan, &communities, &mut report).await?;
    seed_residents(db, &plan, &mut report).await?;
    market::seed(db, &plan, &mut report).await?;
    services::seed(db, &plan, &mut report).await?;
    notices::seed(db, &plan, &mut report).await?;
    requests::seed(db, &plan, calendar, &mut report).await?;
    points::seed(db, &mut report).await?;
    activities::seed(db, &plan, &mut report).await?;
    civic::seed(db, &plan, &mut report).await?;
    canteen::seed(db, &plan, &mut report).await?;
    // Fresh planner statistics after a bulk load, so the first reads are
    // planned for the data they find (autovacuum would get there later).
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("ANALYZE").await?;
    }
    Ok(report)
}

async fn seed_communities(
    db: &DatabaseConnection,
    plan: &Plan,
    report: &mut Report,
) -> ApiResult<Vec<community::Model>> {
    let wanted: Vec<String> = (0..plan.communities).map(names::community).collect();
    let existing: Vec<community::Model> = community::Entity::find()
        .filter(community::Column::Name.is_in(wanted.clone()))
        .order_by_asc(community::Column::Id)
        .all(db)
        .await?;
    let have: std::collections::HashSet<&str> = existing.iter().map(|c| c.name.as_str()).collect();
    let now = time::now();
    let missing: Vec<community::ActiveModel> = wanted
        .iter()
        .enumerate()
        .filter(|(_, name)| !have.contains(name.as_str()))
        .map(|(i, name)| {
            let mut rng = Rng::new(0xC0FFEE ^ i as u64);
            community::ActiveModel {
                name: Set(name.clone()),
                district: Set(names::district(i).to_owned()),
                address: Set(format!(
                    "{}{}号",
                    names::street(&mut rng),
                    1 + rng.below(300)
                )),
                lat: Set(30.0 + rng.unit() * 2.0),
                lng: Set(114.0 + rng.unit() * 2.0),
                created_at: Set(now),
                ..Default::default()
            }
        })
        .collect();
    let created = missing.len() as u64;
    for chunk in missing.chunks(BATCH) {
        community::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    let all = community::Entity::find()
        .filter(community::Column::Name.is_in(wanted))
        .order_by_asc(community::Column::Id)
        .all(db)
        .await?;
    report.add("communities", created, all.len() as u64);
    Ok(all)
}

async fn seed_grids_and_buildings(
    db: &DatabaseConnection,
    plan: &Plan,
    communities: &[community::Model],
    report: &mut Report,
) -> ApiResult<()> {
    let now = time::now();
    let ids: Vec<i64> = communities.iter().map(|c| c.id).collect();
    let existing_grids = grid::Entity::find()
        .filter(grid::Column::CommunityId.is_in(ids.clone()))
        .all(db)
        .await?;
    let mut new_grids = Vec::new();
    for c in communities {
        let have = existing_grids
            .iter()
            .filter(|g| g.community_id == c.id)
            .count();
        for g in have..plan.grids_per_community {
            new_grids.push(grid::ActiveModel {
                community_id: Set(c.id),
                name: Set(format!("第{}网格", g + 1)),
                created_at: Set(now),
                ..Default::default()
            });
        }
    }
    let grids_created = new_grids.len() as u64;
    for chunk in new_grids.chunks(BATCH) {
        grid::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    let grids = grid::Entity::find()
        .filter(grid::Column::CommunityId.is_in(ids.clone()))
        .order_by_asc(grid::Column::Id)
        .all(db)
        .await?;
    report.add("grids", grids_created, grids.len() as u64);

    let existing_buildings = building::Entity::find()
        .filter(building::Column::CommunityId.is_in(ids.clone()))
        .count(db)
        .await?;
    let mut new_buildings = Vec::new();
    if (existing_buildings as usize) < plan.buildings {
        let existing = building::Entity::find()
            .filter(building::Column::CommunityId.is_in(ids.clone()))
            .all(db)
            .await?;
        for (index, c) in communities.iter().enumerate() {
            let cgrids: Vec<&grid::Model> =
                grids.iter().filter(|g| g.community_id == c.id).collect();
            let have = existing.iter().filter(|b| b.community_id == c.id).count();
            for b in have..plan.buildings_of(index) {
                let Some(g) = cgrids.get(b % cgrids.len().max(1)) else {
                    continue;
                };
                let mut rng = Rng::new(c.id as u64 * 1_000 + b as u64);
                new_buildings.push(building::ActiveModel {
                    grid_id: Set(g.id),
                    community_id: Set(c.id),
                    name: Set(format!("{}号楼", b + 1)),
                    households: Set(60 + rng.below(120) as i32),
                    created_at: Set(now),
                    ..Default::default()
                });
            }
        }
    }
    let buildings_created = new_buildings.len() as u64;
    for chunk in new_buildings.chunks(BATCH) {
        building::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    let total = building::Entity::find()
        .filter(building::Column::CommunityId.is_in(ids))
        .count(db)
        .await?;
    report.add("buildings", buildings_created, total);
    Ok(())
}

/// Residents `seed-0` … `seed-{n-1}`, each bound to a building.
async fn seed_residents(
    db: &DatabaseConnection,
    plan: &Plan,
    report: &mut Report,
) -> ApiResult<()> {
    let started = Instant::now();
    let have = user::Entity::find()
        .filter(user::Column::Openid.starts_with("seed-"))
        .count(db)
        .await? as usize;
    let buildings: Vec<(i64, i64)> = building::Entity::find()
        .order_by_asc(building::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b.community_id))
        .collect();
    let now = time::now();
    let roles = join_roles(&[Role::Resident]);
    let mut created = 0u64;
    let mut i = have;
    while i < plan.residents {
        let end = (i + BATCH).min(plan.residents);
        let rows: Vec<user::ActiveModel> = (i..end)
            .map(|n| {
                let mut rng = Rng::new(0x5EED ^ (n as u64).wrapping_mul(0x9E37_79B9));
                let (building_id, community_id) = buildings
                    .get(n % buildings.len().max(1))
                    .map(|(b, c)| (Some(*b), Some(*c)))
                    .unwrap_or((None, None));
                user::ActiveModel {
                    openid: Set(Some(format!("seed-{n}"))),
                    nickname: Set(names::person(&mut rng)),
                    phone: Set(Some(format!("13{:09}", rng.below(1_000_000_000)))),
                    roles: Set(roles.clone()),
                    community_id: Set(community_id),
                    building_id: Set(building_id),
                    room: Set(Some(format!("{}0{}", 1 + rng.below(18), 1 + rng.below(4)))),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
            })
            .collect();
        user::Entity::insert_many(rows).exec(db).await?;
        created += (end - i) as u64;
        i = end;
        progress("residents", i, plan.residents, started);
    }
    let total = user::Entity::find()
        .filter(user::Column::Openid.starts_with("seed-"))
        .count(db)
        .await?;
    report.add("residents", created, total);
    Ok(())
}
