//! Demo notices of every kind and state.

use chrono::Duration;
use entity::notice::{NoticeKind, NoticeStatus};
use entity::{building, community, notice, notice_building};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, Iterable, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

use super::{BATCH, Plan, Report};
use crate::error::ApiResult;
use crate::time;

/// Seeded notices are written by nobody (`created_by = 0`).
const SEEDER: i64 = 0;

fn title(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::WaterOutage => "管网检修临时停水",
        NoticeKind::PowerOutage => "线路改造计划停电",
        NoticeKind::GasOutage => "燃气管道检修停气",
        NoticeKind::Heating => "冬季供暖开始通知",
        NoticeKind::Activity => "四点半课堂报名",
        NoticeKind::Government => "医保缴费政策提醒",
        NoticeKind::General => "小区环境整治通知",
    }
}

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
    let kinds: Vec<NoticeKind> = NoticeKind::iter().collect();
    // Each notice with the one building it targets, if any.
    let mut rows: Vec<(notice::ActiveModel, Option<i64>)> = Vec::new();
    for n in have..plan.notices {
        let Some(c) = communities.get(n % communities.len().max(1)) else {
            break;
        };
        let kind = kinds[n % kinds.len()];
        let title = title(kind);
        // Windows spread from a week ago to a week ahead: ended, in effect, upcoming.
        let offset = Duration::hours((n as i64 % 15 - 7) * 24 + 2);
        let window = kind
            .needs_window()
            .then(|| (now + offset, now + offset + Duration::hours(6)));
        let targeted = if n % 3 == 0 {
            building::Entity::find()
                .filter(building::Column::CommunityId.eq(c.id))
                .order_by_asc(building::Column::Id)
                .one(db)
                .await?
                .map(|b| b.id)
        } else {
            None
        };
        let status = match n % 20 {
            17 => NoticeStatus::Draft,
            18 => NoticeStatus::Scheduled,
            19 => NoticeStatus::Withdrawn,
            _ => NoticeStatus::Published,
        };
        let row = notice::ActiveModel {
            community_id: Set(c.id),
            kind: Set(kind),
            title: Set(format!("{title}（{}）", n / kinds.len() + 1)),
            content: Set(format!(
                "{}：请居民朋友们提前做好准备，如有疑问请联系社区服务中心。",
                title
            )),
            starts_at: Set(window.map(|w| w.0)),
            ends_at: Set(window.map(|w| w.1)),
            publish_at: Set((status == NoticeStatus::Scheduled).then(|| now + Duration::days(1))),
            pinned: Set(n % 25 == 0),
            push: Set(false),
            status: Set(status),
            published_at: Set(
                matches!(status, NoticeStatus::Published | NoticeStatus::Withdrawn)
                    .then(|| now - Duration::hours(n as i64 % 200)),
            ),
            created_by: Set(SEEDER),
            created_at: Set(now - Duration::days(10)),
            updated_at: Set(now),
            ..Default::default()
        };
        rows.push((row, targeted));
    }
    let created = rows.len() as u64;
    // A notice and its target commit together, so a rerun never finds one without the other.
    for chunk in rows.chunks(BATCH) {
        let txn = db.begin().await?;
        let mut saved = notice::Entity::insert_many(chunk.iter().map(|(row, _)| row.clone()))
            .exec_with_returning(&txn)
            .await?;
        // Ids follow the rows' order; RETURNING need not.
        saved.sort_by_key(|n| n.id);
        let targets: Vec<notice_building::ActiveModel> = saved
            .iter()
            .zip(chunk)
            .filter_map(|(n, (_, building))| {
                building.map(|b| notice_building::ActiveModel {
                    notice_id: Set(n.id),
                    building_id: Set(b),
                })
            })
            .collect();
        if !targets.is_empty() {
            notice_building::Entity::insert_many(targets)
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    let total = notice::Entity::find()
        .filter(notice::Column::CreatedBy.eq(SEEDER))
        .count(db)
        .await?;
    report.add("notices", created, total);
    Ok(())
}
