//! Demo notices of every kind and state.

use chrono::Duration;
use entity::{building, community, notice};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::{BATCH, Plan, Report};
use crate::error::ApiResult;
use crate::notices::service::{KINDS, needs_window};
use crate::time;

/// Seeded notices are written by nobody (`created_by = 0`).
const SEEDER: i64 = 0;

const TITLES: [(&str, &str); 7] = [
    ("water_outage", "管网检修临时停水"),
    ("power_outage", "线路改造计划停电"),
    ("gas_outage", "燃气管道检修停气"),
    ("heating", "冬季供暖开始通知"),
    ("activity", "四点半课堂报名"),
    ("government", "医保缴费政策提醒"),
    ("general", "小区环境整治通知"),
];

pub async fn seed(db: &DatabaseConnection, plan: &Plan, report: &mut Report) -> ApiResult<()> {
    let have = notice::Entity::find()
        .filter(notice::Column::CreatedBy.eq(SEEDER))
        .count(db)
        .await? as usize;
    let communities = community::Entity::find()
        .order_by_asc(community::Column::Id)
        .all(db)
        .await?;
    let now = time::now();
    let mut rows = Vec::new();
    for n in have..plan.notices {
        let Some(c) = communities.get(n % communities.len().max(1)) else {
            break;
        };
        let kind = KINDS[n % KINDS.len()];
        let title = TITLES
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, t)| *t)
            .unwrap_or("通知");
        // Windows spread from a week ago to a week ahead: ended, in effect, upcoming.
        let offset = Duration::hours((n as i64 % 15 - 7) * 24 + 2);
        let window = needs_window(kind).then(|| (now + offset, now + offset + Duration::hours(6)));
        let targeted = if n % 3 == 0 {
            building::Entity::find()
                .filter(building::Column::CommunityId.eq(c.id))
                .order_by_asc(building::Column::Id)
                .one(db)
                .await?
                .map(|b| b.id.to_string())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let status = match n % 20 {
            17 => "draft",
            18 => "scheduled",
            19 => "withdrawn",
            _ => "published",
        };
        rows.push(notice::ActiveModel {
            community_id: Set(c.id),
            kind: Set(kind.to_owned()),
            title: Set(format!("{title}（{}）", n / KINDS.len() + 1)),
            content: Set(format!(
                "{}：请居民朋友们提前做好准备，如有疑问请联系社区服务中心。",
                title
            )),
            building_ids: Set(targeted),
            starts_at: Set(window.map(|w| w.0)),
            ends_at: Set(window.map(|w| w.1)),
            publish_at: Set((status == "scheduled").then(|| now + Duration::days(1))),
            pinned: Set(n % 25 == 0),
            push: Set(false),
            status: Set(status.to_owned()),
            published_at: Set(matches!(status, "published" | "withdrawn")
                .then(|| now - Duration::hours(n as i64 % 200))),
            created_by: Set(SEEDER),
            created_at: Set(now - Duration::days(10)),
            updated_at: Set(now),
            ..Default::default()
        });
    }
    let created = rows.len() as u64;
    for chunk in rows.chunks(BATCH) {
        notice::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    let total = notice::Entity::find()
        .filter(notice::Column::CreatedBy.eq(SEEDER))
        .count(db)
        .await?;
    report.add("notices", created, total);
    Ok(())
}
