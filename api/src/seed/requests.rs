//! Demo departments with their staff, the request category tree, city
//! components, a grid worker per grid, and a year of residents' requests at
//! the county's proportions: 26,000 a year per unit of scale, 98.8 % closed
//! (the most recent 1.2 % still open, in every open state), each with its
//! timeline. Deadlines are computed on the working-day calendar.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use entity::{
    building, city_component, community, department, department_staff, grid, grid_worker, request,
    request_category, request_event, user,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;

use super::names::{self, Rng};
use super::{BATCH, Plan, Report, progress};
use crate::auth::{Role, join_roles};
use crate::calendar::{Calendar, local_date};
use crate::error::ApiResult;
use crate::requests::{ActorRole, EventKind, ExtensionState, Level, Status, Urgency};
use crate::time;

/// Requests received a year per unit of scale (阜政通: 10.4 万件 over four years).
pub const PER_YEAR: usize = 26_000;
/// Share still open: 98.8 % are closed.
const OPEN_PER_MILLE: usize = 12;
/// Share of the closed resolved in the last 48 hours, not rated yet.
const UNRATED_PER_MILLE: usize = 6;
/// Requests per INSERT (about 50 columns each: under SQLite's variable limit).
const REQUEST_BATCH: usize = 400;
/// Timeline rows per INSERT (7 columns each).
const EVENT_BATCH: usize = 4000;
/// Staff per department; the first heads it.
const STAFF_PER_DEPARTMENT: usize = 3;

const DEPARTMENTS: [(&str, &str); 6] = [
    ("供电所", "0710-3210001"),
    ("自来水公司", "0710-3210002"),
    ("燃气公司", "0710-3210003"),
    ("物业服务中心", "0710-3210004"),
    ("城管执法中队", "0710-3210005"),
    ("民政办", "0710-3210006"),
];

/// (top level, leaf, level, department index, weight of the leaf among requests).
const CATEGORIES: [(&str, &str, Level, Option<usize>, u64); 12] = [
    ("水电气", "停水", Level::Department, Some(1), 10),
    ("水电气", "停电", Level::Department, Some(0), 10),
    ("水电气", "燃气异味", Level::Department, Some(2), 3),
    ("市政设施", "路灯不亮", Level::Department, Some(4), 9),
    ("市政设施", "井盖破损", Level::Department, Some(4), 5),
    ("市政设施", "道路破损", Level::Department, Some(4), 6),
    ("物业服务", "电梯故障", Level::Department, Some(3), 9),
    ("物业服务", "楼道杂物", Level::Grid, None, 14),
    ("物业服务", "垃圾清运", Level::Grid, None, 12),
    ("邻里关系", "邻里纠纷", Level::Community, None, 8),
    ("邻里关系", "噪音扰民", Level::Community, None, 8),
    ("民生救助", "困难救助", Level::Department, Some(5), 6),
];

const COMPONENTS_PER_COMMUNITY: usize = 10;
const KINDS: [(&str, &str, &str); 5] = [
    ("manhole_cover", "井盖", "市政公司"),
    ("pole", "电杆", "供电所"),
    ("streetlight", "路灯", "城管执法中队"),
    ("charging_pile", "充电桩", "新能源充电公司"),
    ("hydrant", "消防栓", "消防救援站"),
];

const CONTENTS: [&str; 6] = [
    "已经好几天了，请尽快处理",
    "影响老人小孩出行，麻烦看看",
    "晚上很不方便，希望早日解决",
    "之前反映过一次，还没有处理",
    "楼里很多住户都遇到这个问题",
    "请相关部门派人来现场看一下",
];

pub async fn seed(
    db: &DatabaseConnection,
    plan: &Plan,
    calendar: &Calendar,
    report: &mut Report,
) -> ApiResult<()> {
    let departments = seed_departments(db, plan, report).await?;
    let categories = seed_categories(db, &departments, report).await?;
    seed_components(db, report).await?;
    let workers = seed_grid_workers(db, plan, report).await?;
    let staff = staff_by_department(db).await?;
    seed_requests(db, plan, calendar, &categories, &workers, &staff, report).await
}

async fn seeded_user(db: &DatabaseConnection, n: usize) -> ApiResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Openid.eq(format!("seed-{n}")))
        .one(db)
        .await?)
}

async fn add_role(db: &impl ConnectionTrait, u: &user::Model, role: Role) -> ApiResult<()> {
    let mut roles = crate::auth::parse_roles(&u.roles);
    if roles.contains(&role) {
        return Ok(());
    }
    roles.push(role);
    user::Entity::update_many()
        .col_expr(user::Column::Roles, Expr::value(join_roles(&roles)))
        .filter(user::Column::Id.eq(u.id))
        .exec(db)
        .await?;
    Ok(())
}

/// The departments by their index in `DEPARTMENTS`, with staff: seeded
/// residents after the merchant owners and the helpers.
async fn seed_departments(
    db: &DatabaseConnection,
    plan: &Plan,
    report: &mut Report,
) -> ApiResult<Vec<i64>> {
    let now = time::now();
    let names: Vec<&str> = DEPARTMENTS.iter().map(|d| d.0).collect();
    let have = department::Entity::find()
        .filter(department::Column::Name.is_in(names.clone()))
        .count(db)
        .await?;
    department::Entity::insert_many(DEPARTMENTS.iter().map(|(name, phone)| {
        department::ActiveModel {
            name: Set((*name).to_owned()),
            phone: Set((*phone).to_owned()),
            created_at: Set(now),
            ..Default::default()
        }
    }))
    .on_conflict_do_nothing_on([department::Column::Name])
    .exec(db)
    .await?;
    let by_name: HashMap<String, i64> = department::Entity::find()
        .filter(department::Column::Name.is_in(names.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.name, d.id))
        .collect();
    let ids: Vec<i64> = names
        .iter()
        .filter_map(|n| by_name.get(*n).copied())
        .collect();
    report.add("departments", ids.len() as u64 - have, ids.len() as u64);
    for (d, &department_id) in ids.iter().enumerate() {
        for k in 0..STAFF_PER_DEPARTMENT {
            let n = plan.merchants + plan.helpers + d * STAFF_PER_DEPARTMENT + k;
            let Some(u) = seeded_user(db, n).await? else {
                continue;
            };
            department_staff::Entity::insert(department_staff::ActiveModel {
                department_id: Set(department_id),
                user_id: Set(u.id),
                is_head: Set(k == 0),
                created_at: Set(now),
            })
            .on_conflict_do_nothing_on([
                department_staff::Column::DepartmentId,
                department_staff::Column::UserId,
            ])
            .exec(db)
            .await?;
            add_role(db, &u, Role::DepartmentStaff).await?;
        }
    }
    Ok(ids)
}

/// The leaf categories, in `CATEGORIES` order.
async fn seed_categories(
    db: &DatabaseConnection,
    departments: &[i64],
    report: &mut Report,
) -> ApiResult<Vec<request_category::Model>> {
    let now = time::now();
    let before = request_category::Entity::find().count(db).await?;
    let mut leaves = Vec::new();
    for (sort, (top, leaf, level, department, _)) in CATEGORIES.iter().enumerate() {
        let parent = match request_category::Entity::find()
            .filter(request_category::Column::ParentId.is_null())
            .filter(request_category::Column::Name.eq(*top))
            .one(db)
            .await?
        {
            Some(p) => p,
            None => {
                request_category::Entity::insert(request_category::ActiveModel {
                    parent_id: Set(None),
                    name: Set((*top).to_owned()),
                    level: Set(Level::Community),
                    department_id: Set(None),
                    assign_days: Set(1),
                    accept_days: Set(1),
                    resolve_days: Set(7),
                    active: Set(true),
                    sort: Set(sort as i32),
                    created_at: Set(now),
                    ..Default::default()
                })
                .exec_with_returning(db)
                .await?
            }
        };
        let found = request_category::Entity::find()
            .filter(request_category::Column::ParentId.eq(parent.id))
            .filter(request_category::Column::Name.eq(*leaf))
            .one(db)
            .await?;
        let leaf_row = match found {
            Some(c) => c,
            None => {
                request_category::Entity::insert(request_category::ActiveModel {
                    parent_id: Set(Some(parent.id)),
                    name: Set((*leaf).to_owned()),
                    level: Set(*level),
                    department_id: Set(department.and_then(|d| departments.get(d).copied())),
                    assign_days: Set(1),
                    accept_days: Set(1),
                    resolve_days: Set(crate::requests::categories::default_resolve_days(*level)),
                    active: Set(true),
                    sort: Set(sort as i32),
                    created_at: Set(now),
                    ..Default::default()
                })
                .exec_with_returning(db)
                .await?
            }
        };
        leaves.push(leaf_row);
    }
    let total = request_category::Entity::find().count(db).await?;
    report.add("req_categories", total - before, total);
    Ok(leaves)
}

async fn seed_components(db: &DatabaseConnection, report: &mut Report) -> ApiResult<()> {
    let now = time::now();
    let communities = community::Entity::find()
        .order_by_asc(community::Column::Id)
        .all(db)
        .await?;
    let have = city_component::Entity::find()
        .filter(city_component::Column::Code.starts_with("SEED-"))
        .count(db)
        .await?;
    let mut rows = Vec::new();
    for (ci, c) in communities.iter().enumerate() {
        let grids: Vec<i64> = grid::Entity::find()
            .select_only()
            .column(grid::Column::Id)
            .filter(grid::Column::CommunityId.eq(c.id))
            .order_by_asc(grid::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        for k in 0..COMPONENTS_PER_COMMUNITY {
            let (kind, label, owner) = KINDS[k % KINDS.len()];
            let mut rng = Rng::new(0xC0DE ^ ((ci * 100 + k) as u64));
            rows.push(city_component::ActiveModel {
                community_id: Set(c.id),
                grid_id: Set(grids.get(k % grids.len().max(1)).copied()),
                kind: Set(kind.to_owned()),
                code: Set(format!("SEED-{ci:05}-{k:02}")),
                name: Set(format!(
                    "{}{}号{label}",
                    names::street(&mut rng),
                    1 + rng.below(200)
                )),
                lat: Set(c.lat + (rng.unit() - 0.5) * 0.01),
                lng: Set(c.lng + (rng.unit() - 0.5) * 0.01),
                owner_unit: Set(owner.to_owned()),
                phone: Set(format!("0710-32{:05}", rng.below(100_000))),
                department_id: Set(None),
                created_at: Set(now),
                ..Default::default()
            });
        }
    }
    for chunk in rows.chunks(BATCH) {
        city_component::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on([city_component::Column::Code])
            .exec(db)
            .await?;
    }
    let total = city_component::Entity::find()
        .filter(city_component::Column::Code.starts_with("SEED-"))
        .count(db)
        .await?;
    report.add("city_components", total - have, total);
    Ok(())
}

/// One grid worker per grid: the last seeded resident living in the grid's
/// first building. Answers grid id → worker's user id.
async fn seed_grid_workers(
    db: &DatabaseConnection,
    plan: &Plan,
    report: &mut Report,
) -> ApiResult<HashMap<i64, i64>> {
    let now = time::now();
    let buildings = building::Entity::find()
        .order_by_asc(building::Column::Id)
        .all(db)
        .await?;
    let count = buildings.len();
    let mut first_of_grid: HashMap<i64, usize> = HashMap::new();
    for (index, b) in buildings.iter().enumerate() {
        first_of_grid.entry(b.grid_id).or_insert(index);
    }
    let have = grid_worker::Entity::find().count(db).await?;
    let mut workers = HashMap::new();
    let mut grids: Vec<(i64, usize)> = first_of_grid.into_iter().collect();
    grids.sort_unstable();
    for (grid_id, b) in grids {
        // Residents are bound round-robin: seed-n lives in building n % count.
        if count == 0 || plan.residents <= b {
            continue;
        }
        let n = b + count * ((plan.residents - 1 - b) / count);
        let Some(u) = seeded_user(db, n).await? else {
            continue;
        };
        grid_worker::Entity::insert(grid_worker::ActiveModel {
            user_id: Set(u.id),
            grid_id: Set(grid_id),
            created_at: Set(now),
        })
        .on_conflict_do_nothing_on([grid_worker::Column::UserId, grid_worker::Column::GridId])
        .exec(db)
        .await?;
        add_role(db, &u, Role::GridWorker).await?;
        workers.insert(grid_id, u.id);
    }
    let total = grid_worker::Entity::find().count(db).await?;
    report.add("grid_workers", total - have, total);
    Ok(workers)
}

async fn staff_by_department(db: &DatabaseConnection) -> ApiResult<HashMap<i64, Vec<i64>>> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    for s in department_staff::Entity::find()
        .order_by_asc(department_staff::Column::UserId)
        .all(db)
        .await?
    {
        out.entry(s.department_id).or_default().push(s.user_id);
    }
    Ok(out)
}

fn seeded_reporters() -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(sea_orm::sea_query::ExprTrait::like(
            Expr::col(user::Column::Openid),
            "seed-%",
        ))
        .to_owned()
}

/// A timeline entry of a seeded request: what, by whom, in which
/// capacity, the note, the particulars and when.
type SeedEvent = (
    EventKind,
    Option<i64>,
    ActorRole,
    String,
    serde_json::Value,
    DateTime<Utc>,
);

/// One seeded request: its row and its timeline, times as of `now`.
struct Seeded {
    row: request::ActiveModel,
    events: Vec<SeedEvent>,
}

#[allow(clippy::too_many_arguments)]
fn one(
    i: usize,
    n: usize,
    now: DateTime<Utc>,
    calendar: &Calendar,
    categories: &[request_category::Model],
    places: &[(i64, i64, i64)],
    reporters: &[(i64, usize)],
    workers: &HashMap<i64, i64>,
    staff: &HashMap<i64, Vec<i64>>,
) -> ApiResult<Seeded> {
    let mut rng = Rng::new(0x005E_C00D ^ (i as u64).wrapping_mul(0x9E37_79B9));
    let year = Duration::days(365);
    let submitted = time::normalise(
        now - year
            + Duration::seconds((year.num_seconds() as u128 * i as u128 / n.max(1) as u128) as i64),
    );
    let total_weight: u64 = CATEGORIES.iter().map(|c| c.4).sum();
    let mut pick = rng.below(total_weight);
    let mut ci = 0;
    for (k, c) in CATEGORIES.iter().enumerate() {
        if pick < c.4 {
            ci = k;
            break;
        }
        pick -= c.4;
    }
    let category = &categories[ci.min(categories.len().saturating_sub(1))];
    let (reporter_id, place) = reporters[rng.below(reporters.len() as u64) as usize];
    let (building_id, grid_id, community_id) = places[place];
    let level = category.level;
    let open_from = n - n * OPEN_PER_MILLE / 1000;
    let open = i >= open_from;
    // The closed requests just before the open ones were resolved in the
    // last two days and are not rated yet.
    let unrated = !open && i + n * UNRATED_PER_MILLE / 1000 >= open_from;
    let status = if open {
        match i % 10 {
            0 | 1 if level != Level::Grid => Status::Submitted,
            0..=4 => Status::Assigned,
            5..=8 => Status::Accepted,
            _ => Status::Returned,
        }
    } else {
        Status::Closed
    };
    let assign_due = calendar.add_working_days(submitted, category.assign_days.max(1) as u32)?;
    let resolve_due = calendar.add_working_days(submitted, category.resolve_days.max(1) as u32)?;
    let handler_level = level;
    let department_id = (handler_level == Level::Department)
        .then_some(category.department_id)
        .flatten();
    let handler = match handler_level {
        Level::Grid => workers.get(&grid_id).copied(),
        Level::Department => department_id
            .and_then(|d| staff.get(&d))
            .and_then(|s| s.get(1 + i % (s.len().max(2) - 1)).or(s.first()).copied()),
        Level::Community => None,
    };
    let handler_role = crate::requests::access::Relation::handler_role(handler_level);
    // The newest requests moved on no later than now.
    let assigned_at = if level == Level::Grid {
        submitted
    } else {
        std::cmp::min(
            submitted + Duration::minutes(20 + rng.below(300) as i64),
            now,
        )
    };
    let accepted_at = std::cmp::min(
        assigned_at + Duration::minutes(10 + rng.below(600) as i64),
        now,
    );
    // 95 % resolved by the deadline; the rest up to three days late. Only
    // requests older than a month run late, so a late resolution is always
    // in the past whatever today's date (and the seed is the same every day).
    let late = rng.below(100) < 5 && i < n * 335 / 365;
    let mut resolved_at = if late {
        resolve_due + Duration::hours(2 + rng.below(70) as i64)
    } else {
        let room = (resolve_due - accepted_at).num_minutes().max(60);
        accepted_at + Duration::minutes(30 + rng.below(room as u64) as i64)
    };
    // Rated ones were resolved over 48 hours ago; unrated ones since.
    let latest = if unrated {
        now - Duration::minutes(1 + rng.below(47 * 60) as i64)
    } else {
        now - crate::requests::AUTO_RATE_AFTER - Duration::hours(1)
    };
    if resolved_at > latest || unrated {
        resolved_at = std::cmp::max(latest, accepted_at + Duration::minutes(1));
    }
    let resolved_at = time::normalise(resolved_at);
    let status = if unrated { Status::Resolved } else { status };
    let closed = matches!(status, Status::Resolved | Status::Closed);
    let by_user = rng.below(100) < 30;
    let rating: Option<i16> = (status == Status::Closed).then(|| {
        if by_user {
            [5, 5, 5, 5, 5, 5, 4, 4, 4, 3, 2, 1][rng.below(12) as usize]
        } else {
            5
        }
    });
    let accept_due = calendar.add_working_days(assigned_at, category.accept_days.max(1) as u32)?;
    let due_at = match status {
        Status::Submitted => Some(assign_due),
        Status::Assigned => Some(accept_due),
        Status::Accepted => Some(resolve_due),
        _ => None,
    };
    let assigned = status != Status::Submitted;
    let accepted = matches!(status, Status::Accepted | Status::Resolved | Status::Closed);
    let on_time = closed.then(|| resolved_at <= resolve_due);
    let content = format!(
        "{}：{}",
        category.name,
        CONTENTS[rng.below(CONTENTS.len() as u64) as usize]
    );
    let mut events = vec![(
        EventKind::Submitted,
        Some(reporter_id),
        ActorRole::Reporter,
        String::new(),
        json!({ "assign_due_at": assign_due, "resolve_due_at": resolve_due }),
        submitted,
    )];
    if assigned {
        events.push((
            EventKind::Assigned,
            None,
            if level == Level::Grid { ActorRole::System } else { ActorRole::Admin },
            String::new(),
            json!({ "level": handler_level, "department_id": department_id, "accept_due_at": accept_due }),
            assigned_at,
        ));
    }
    if status == Status::Returned {
        events.push((
            EventKind::Returned,
            handler,
            handler_role,
            "请补充具体位置".to_owned(),
            json!({}),
            std::cmp::min(assigned_at + Duration::minutes(30), now),
        ));
    }
    if accepted {
        events.push((
            EventKind::Accepted,
            handler,
            handler_role,
            String::new(),
            json!({ "resolve_due_at": resolve_due }),
            accepted_at,
        ));
    }
    if closed && late {
        events.push((
            EventKind::Overdue,
            None,
            ActorRole::System,
            String::new(),
            json!({ "due_at": resolve_due }),
            resolve_due,
        ));
        events.push((
            EventKind::Escalated,
            None,
            ActorRole::System,
            String::new(),
            json!({ "from": "none", "to": "community" }),
            resolve_due,
        ));
    }
    if closed {
        events.push((
            EventKind::Resolved,
            handler,
            handler_role,
            "已处理完毕".to_owned(),
            json!({ "on_time": on_time }),
            resolved_at,
        ));
    }
    let rated_at = resolved_at
        + if by_user {
            Duration::hours(3)
        } else {
            crate::requests::AUTO_RATE_AFTER
        };
    if let Some(r) = rating {
        events.push(if by_user {
            (
                EventKind::Rated,
                Some(reporter_id),
                ActorRole::Reporter,
                String::new(),
                json!({ "rating": r }),
                rated_at,
            )
        } else {
            (
                EventKind::AutoRated,
                None,
                ActorRole::System,
                "超过 48 小时未评价，默认满意".to_owned(),
                json!({ "rating": 5 }),
                rated_at,
            )
        });
    }
    let secs = |t: DateTime<Utc>| (t - submitted).num_seconds().clamp(0, i32::MAX as i64) as i32;
    let row = request::ActiveModel {
        community_id: Set(community_id),
        grid_id: Set(Some(grid_id)),
        building_id: Set(Some(building_id)),
        component_id: Set(None),
        lat: Set(None),
        lng: Set(None),
        address: Set(String::new()),
        category_id: Set(category.id),
        content: Set(content),
        urgency: Set(if rng.below(10) == 0 {
            Urgency::Urgent
        } else {
            Urgency::Normal
        }
        .as_str()
        .to_owned()),
        express: Set(false),
        anonymous: Set(rng.below(10) == 0),
        reporter_id: Set(reporter_id),
        filed_by: Set(None),
        consent: Set(None),
        contact_phone: Set(None),
        status: Set(status),
        level: Set(if assigned {
            handler_level
        } else {
            Level::Community
        }),
        department_id: Set(if assigned { department_id } else { None }),
        assign_due_at: Set(assign_due),
        accept_due_at: Set(assigned.then_some(accept_due)),
        resolve_due_at: Set(resolve_due),
        due_at: Set(due_at),
        overdue_since: Set(None),
        escalation: Set(if closed && late { 1 } else { 0 }),
        assigned_at: Set(assigned.then_some(assigned_at)),
        accepted_at: Set(accepted.then_some(accepted_at)),
        accepted_by: Set(if accepted { handler } else { None }),
        accept_secs: Set(accepted.then(|| secs(accepted_at))),
        resolved_at: Set(closed.then_some(resolved_at)),
        resolved_by: Set(if closed { handler } else { None }),
        resolution: Set(closed.then(|| "已处理完毕".to_owned())),
        resolve_secs: Set(closed.then(|| secs(resolved_at))),
        on_time: Set(on_time),
        extension_state: Set(ExtensionState::None),
        extension_days: Set(None),
        extension_reason: Set(None),
        urge_count: Set(0),
        last_urged_on: Set(None),
        reopen_count: Set(0),
        rating: Set(rating),
        rating_comment: Set(rating.filter(|_| by_user).map(|_| "处理得不错".to_owned())),
        rated_at: Set(rating.map(|_| rated_at)),
        rating_auto: Set(rating.is_some() && !by_user),
        submitted_at: Set(submitted),
        submitted_on: Set(local_date(submitted).to_string()),
        updated_at: Set(now),
        ..Default::default()
    };
    Ok(Seeded { row, events })
}

#[allow(clippy::too_many_arguments)]
async fn seed_requests(
    db: &DatabaseConnection,
    plan: &Plan,
    calendar: &Calendar,
    categories: &[request_category::Model],
    workers: &HashMap<i64, i64>,
    staff: &HashMap<i64, Vec<i64>>,
    report: &mut Report,
) -> ApiResult<()> {
    let started = Instant::now();
    let n = plan.requests;
    let have = request::Entity::find()
        .filter(request::Column::ReporterId.in_subquery(seeded_reporters()))
        .count(db)
        .await? as usize;
    // Reporters: seeded residents, and where they live.
    let buildings: Vec<building::Model> = building::Entity::find()
        .order_by_asc(building::Column::Id)
        .all(db)
        .await?;
    let places: Vec<(i64, i64, i64)> = buildings
        .iter()
        .map(|b| (b.id, b.grid_id, b.community_id))
        .collect();
    let place_of: HashMap<i64, usize> = places.iter().enumerate().map(|(k, p)| (p.0, k)).collect();
    let mut reporters = Vec::new();
    if have < n && !places.is_empty() && !categories.is_empty() {
        // Every 37th seeded resident reports: about a thousand in the county.
        let openids: Vec<String> = (0..plan.residents)
            .step_by(37)
            .map(|k| format!("seed-{k}"))
            .collect();
        for chunk in openids.chunks(BATCH) {
            let found: Vec<(i64, Option<String>, Option<i64>)> = user::Entity::find()
                .select_only()
                .columns([
                    user::Column::Id,
                    user::Column::Openid,
                    user::Column::BuildingId,
                ])
                .filter(user::Column::Openid.is_in(chunk.to_vec()))
                .into_tuple()
                .all(db)
                .await?;
            for (id, _, building) in found {
                if let Some(&place) = building.and_then(|b| place_of.get(&b)) {
                    reporters.push((id, place));
                }
            }
        }
        reporters.sort_unstable();
    }
    let now = time::now();
    let mut created = 0u64;
    let mut events_created = 0u64;
    let mut i = have;

    while i < n && !reporters.is_empty() {
        let end = (i + REQUEST_BATCH).min(n);
        let batch: Vec<Seeded> = (i..end)
            .map(|k| {
                one(
                    k, n, now, calendar, categories, &places, &reporters, workers, staff,
                )
            })
            .collect::<ApiResult<_>>()?;

        let txn = db.begin().await?;
        let last_before: Option<i64> = request::Entity::find()
            .select_only()
            .column_as(request::Column::Id.max(), "max")
            .into_tuple::<Option<i64>>()
            .one(&txn)
            .await?
            .flatten();
        request::Entity::insert_many(batch.iter().map(|s| s.row.clone()))
            .exec(&txn)
            .await?;
        let ids: Vec<i64> = request::Entity::find()
            .select_only()
            .column(request::Column::Id)
            .filter(request::Column::Id.gt(last_before.unwrap_or(0)))
            .order_by_asc(request::Column::Id)
            .into_tuple()
            .all(&txn)
            .await?;
        // Plain multi-row INSERTs: the ActiveModel path costs several times
        // as much per row, which a year of timelines makes seconds.
        let mut rows = Vec::new();
        for (s, id) in batch.iter().zip(ids) {
            for (kind, actor, role, note, data, at) in &s.events {
                rows.push([
                    id.into(),
                    kind.as_str().into(),
                    (*actor).into(),
                    role.as_str().into(),
                    note.as_str().into(),
                    data.to_string().into(),
                    (*at).into(),
                ]);
            }
        }
        events_created += rows.len() as u64;
        for chunk in rows.chunks(EVENT_BATCH) {
            let mut insert = sea_orm::sea_query::Query::insert();
            insert.into_table(request_event::Entity).columns([
                request_event::Column::RequestId,
                request_event::Column::Kind,
                request_event::Column::ActorId,
                request_event::Column::ActorRole,
                request_event::Column::Note,
                request_event::Column::Data,
                request_event::Column::CreatedAt,
            ]);
            for row in chunk {
                insert.values_panic(row.iter().cloned().map(|v: sea_orm::Value| Expr::value(v)));
            }
            txn.execute(&insert).await?;
        }
        txn.commit().await?;
        created += (end - i) as u64;
        i = end;
        progress("requests", i, n, started);
    }
    let total = request::Entity::find()
        .filter(request::Column::ReporterId.in_subquery(seeded_reporters()))
        .count(db)
        .await?;
    report.add("requests", created, total);
    let events = request_event::Entity::find().count(db).await?;
    report.add("request_events", events_created, events);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same index gives the same states and timeline on any day the
    /// seed runs, so reruns and the seed test agree.
    #[test]
    fn a_request_gets_the_same_timeline_whatever_the_date() {
        let calendar = Calendar::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/holidays"),
        )
        .unwrap();
        let t = DateTime::from_timestamp(0, 0).unwrap();
        let categories: Vec<request_category::Model> = CATEGORIES
            .iter()
            .enumerate()
            .map(
                |(k, (_, name, level, department, _))| request_category::Model {
                    id: k as i64 + 1,
                    parent_id: None,
                    name: (*name).to_owned(),
                    level: *level,
                    department_id: department.map(|d| d as i64 + 1),
                    assign_days: 1,
                    accept_days: 1,
                    resolve_days: crate::requests::categories::default_resolve_days(*level),
                    active: true,
                    sort: 0,
                    created_at: t,
                },
            )
            .collect();
        let places = vec![(1, 1, 1), (2, 2, 1)];
        let reporters = vec![(10, 0), (11, 1)];
        let workers = HashMap::from([(1, 20), (2, 21)]);
        let staff: HashMap<i64, Vec<i64>> =
            (1..=6).map(|d| (d, vec![30 + d, 40 + d, 50 + d])).collect();
        let n = 3_000;
        let shape = |now: &str| -> Vec<(Option<Status>, usize)> {
            let now = DateTime::parse_from_rfc3339(now)
                .unwrap()
                .with_timezone(&Utc);
            (0..n)
                .map(|i| {
                    let s = one(
                        i,
                        n,
                        now,
                        &calendar,
                        &categories,
                        &places,
                        &reporters,
                        &workers,
                        &staff,
                    )
                    .unwrap();
                    for (_, _, _, _, _, at) in &s.events {
                        assert!(*at <= now, "an event in the future");
                    }
                    let status = match s.row.status {
                        sea_orm::ActiveValue::Set(v) => Some(v),
                        _ => None,
                    };
                    (status, s.events.len())
                })
                .collect()
        };
        let december = shape("2026-12-01T20:00:00+08:00");
        assert_eq!(december, shape("2026-09-30T08:00:00+08:00"));
        let closed = december
            .iter()
            .filter(|(s, _)| matches!(s, Some(Status::Closed | Status::Resolved)))
            .count();
        assert_eq!(closed * 1000 / n, 988);
    }
}
