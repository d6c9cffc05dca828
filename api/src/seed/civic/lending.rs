//! A lending point per community with its tools and loans.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use entity::{community, lending_point, lending_tool, tool_day, tool_loan};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set};

use super::residents_of;
use crate::calendar::{local_date, start_of};
use crate::db::begin_write;
use crate::error::ApiResult;
use crate::lending::LoanStatus;
use crate::seed::{Plan, Report};
use crate::time;

pub const TOOLS_PER_POINT: usize = 5;

const TOOLS: [(&str, &str, i32); TOOLS_PER_POINT] = [
    ("电钻", "五金工具，含常用钻头", 2),
    ("人字梯", "1.5 米铝合金", 2),
    ("轮椅", "可折叠，适合短期出行", 3),
    ("血压计", "电子上臂式", 2),
    ("高压清洗机", "洗车、清洗地面", 1),
];

/// The loans of each point: (tool, days from today it was lent, status).
/// Returned ones lie in the past; one out since yesterday is overdue.
const LOANS: [(usize, i64, LoanStatus); 8] = [
    (0, -20, LoanStatus::Returned),
    (1, -12, LoanStatus::Returned),
    (2, -6, LoanStatus::Returned),
    (3, -3, LoanStatus::Returned),
    (0, -1, LoanStatus::Lent),
    (2, 0, LoanStatus::Lent),
    (1, 1, LoanStatus::Reserved),
    (4, 3, LoanStatus::Reserved),
];

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(super) async fn seed(
    db: &DatabaseConnection,
    plan: &Plan,
    communities: &[community::Model],
    report: &mut Report,
) -> ApiResult<()> {
    let have = lending_point::Entity::find().count(db).await? as usize;
    let wanted = communities.len().min(plan.communities);
    let now = time::now();
    let today = local_date(now);
    let (mut points, mut tools, mut loans) = (0u64, 0u64, 0u64);
    for c in communities.iter().take(wanted).skip(have) {
        let people = residents_of(db, c.id, 200, 1 + LOANS.len() as u64).await?;
        let Some((keeper, borrowers)) = people.split_first() else {
            continue;
        };
        let txn = begin_write(db).await?;
        let point = lending_point::ActiveModel {
            community_id: Set(c.id),
            name: Set(format!("{}工具借用点", c.name)),
            address: Set(format!("{}党群服务中心一楼", c.name)),
            keeper_id: Set(keeper.id),
            created_at: Set(now - Duration::days(60)),
            ..Default::default()
        }
        .insert(&*txn)
        .await?;
        points += 1;
        let mut ids = Vec::new();
        for (name, description, quantity) in TOOLS {
            let t = lending_tool::ActiveModel {
                point_id: Set(point.id),
                name: Set(name.to_owned()),
                description: Set(description.to_owned()),
                photos: Set("[]".to_owned()),
                quantity: Set(quantity),
                created_at: Set(now - Duration::days(60)),
                ..Default::default()
            }
            .insert(&*txn)
            .await?;
            ids.push(t.id);
            tools += 1;
        }
        // Units taken per (tool, day): what reservations and loans out hold.
        let mut taken: BTreeMap<(i64, String), i32> = BTreeMap::new();
        let mut rows = Vec::new();
        for ((tool, offset, status), who) in LOANS.iter().zip(borrowers) {
            let Some(tool_id) = ids.get(*tool).copied() else {
                continue;
            };
            let on = today + Duration::days(*offset);
            let lent_at = start_of(on) + Duration::hours(9);
            let handed = *status != LoanStatus::Reserved;
            let returned = *status == LoanStatus::Returned;
            if !returned {
                *taken.entry((tool_id, day(on))).or_default() += 1;
            }
            rows.push(tool_loan::ActiveModel {
                tool_id: Set(tool_id),
                point_id: Set(point.id),
                resident_id: Set(who.id),
                loan_on: Set(day(on)),
                due_on: Set(day(on)),
                status: Set(status.as_str().to_owned()),
                handed_over_at: Set(handed.then_some(lent_at)),
                handover_condition: Set(handed.then(|| "完好".to_owned())),
                returned_at: Set(returned.then_some(lent_at + Duration::hours(8))),
                return_condition: Set(returned.then(|| "完好，已清洁".to_owned())),
                reminded_at: Set(None),
                created_at: Set(lent_at.min(now) - Duration::days(2)),
                ..Default::default()
            });
        }
        loans += rows.len() as u64;
        tool_loan::Entity::insert_many(rows)
            .exec_without_returning(&*txn)
            .await?;
        let days: Vec<tool_day::ActiveModel> = taken
            .into_iter()
            .map(|((tool_id, day), n)| tool_day::ActiveModel {
                tool_id: Set(tool_id),
                day: Set(day),
                taken: Set(n),
            })
            .collect();
        tool_day::Entity::insert_many(days)
            .exec_without_returning(&*txn)
            .await?;
        txn.commit().await?;
    }
    report.add(
        "lend_points",
        points,
        lending_point::Entity::find().count(db).await?,
    );
    report.add(
        "tools",
        tools,
        lending_tool::Entity::find().count(db).await?,
    );
    report.add(
        "tool_loans",
        loans,
        tool_loan::Entity::find().count(db).await?,
    );
    Ok(())
}
