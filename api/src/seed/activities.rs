//! Demo activities: two per community, each a weekly session from a
//! fortnight ago to a fortnight ahead (four sessions), with twenty of the
//! community's residents signed up for each: the past sessions attended
//! (one in five a no-show), the coming ones confirmed.

use chrono::{Duration, DurationRound};
use entity::activity::{self, ActivityStatus};
use entity::{activity_community, activity_session, community, signup, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set, TransactionTrait,
};

use super::{Plan, Report};
use crate::error::ApiResult;
use crate::signups::{Participant, SignupStatus, new_checkin_code};
use crate::time;

/// Seeded activities are published by nobody (`created_by = 0`).
const SEEDER: i64 = 0;
const SESSIONS: i64 = 4;
const PER_SESSION: u64 = 20;
const TITLES: [(&str, &str, Option<i32>, Option<i32>); 6] = [
    ("四点半驿站", "社区书屋", Some(6), Some(12)),
    ("健康义诊", "社区卫生服务站", Some(60), None),
    ("剪纸乐园", "社区活动室", None, None),
    ("书法天地", "老年活动中心", None, None),
    ("科普课堂", "社区活动室", Some(6), Some(12)),
    ("太极拳晨练", "小区广场", None, None),
];

pub async fn seed(db: &DatabaseConnection, plan: &Plan, report: &mut Report) -> ApiResult<()> {
    let mine = || activity::Entity::find().filter(activity::Column::CreatedBy.eq(SEEDER));
    let have = mine().count(db).await? as usize;
    let communities = community::Entity::find()
        .order_by_asc(community::Column::Id)
        .all(db)
        .await?;
    let now = time::now()
        .duration_trunc(Duration::hours(1))
        .unwrap_or_else(|_| time::now());
    let (mut sessions_made, mut signups_made) = (0u64, 0u64);
    for n in have..plan.activities {
        let Some(c) = communities.get(n % communities.len().max(1)) else {
            break;
        };
        let residents: Vec<user::Model> = user::Entity::find()
            .filter(user::Column::CommunityId.eq(c.id))
            .filter(user::Column::Openid.starts_with("seed-"))
            .order_by_asc(user::Column::Id)
            .offset((n / communities.len().max(1)) as u64 * PER_SESSION)
            .limit(PER_SESSION)
            .all(db)
            .await?;
        let (title, place, min_age, max_age) = TITLES[n % TITLES.len()];
        // An activity, its sessions and their sign-ups commit together, so a
        // rerun never finds one without the others.
        let txn = db.begin().await?;
        let saved = activity::ActiveModel {
            community_id: Set(c.id),
            title: Set(title.to_owned()),
            description: Set(format!("{title}：欢迎社区居民报名参加。")),
            images: Set("[]".to_owned()),
            place: Set(place.to_owned()),
            min_age: Set(min_age),
            max_age: Set(max_age),
            capacity: Set(30),
            signup_opens_at: Set(now - Duration::days(30)),
            signup_closes_at: Set(now + Duration::days(30)),
            cancel_cutoff_minutes: Set(120),
            waitlist: Set(true),
            points: Set(5),
            status: Set(ActivityStatus::Published),
            created_by: Set(SEEDER),
            created_at: Set(now - Duration::days(30)),
            updated_at: Set(now - Duration::days(30)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        activity_community::Entity::insert(activity_community::ActiveModel {
            activity_id: Set(saved.id),
            community_id: Set(c.id),
        })
        .exec_without_returning(&txn)
        .await?;
        for k in 0..SESSIONS {
            let starts_at = now + Duration::days(k * 7 - 14) + Duration::hours(n as i64 % 5);
            let past = starts_at < now;
            let session = activity_session::ActiveModel {
                activity_id: Set(saved.id),
                starts_at: Set(starts_at),
                ends_at: Set(starts_at + Duration::minutes(90)),
                capacity: Set(30),
                taken: Set(residents.len() as i32),
                checkin_secret: Set(format!("seed-{}-{k}", saved.id)),
                day_reminded_at: Set(past.then_some(starts_at - Duration::days(1))),
                hour_reminded_at: Set(past.then_some(starts_at - Duration::hours(1))),
                closed_at: Set(past.then_some(starts_at + Duration::minutes(90))),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            sessions_made += 1;
            let rows: Vec<signup::ActiveModel> = residents
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let who = Participant {
                        user_id: r.id,
                        family_member_id: None,
                        name: r.nickname.clone(),
                    };
                    let status = match (past, i % 5) {
                        (true, 4) => SignupStatus::NoShow,
                        (true, _) => SignupStatus::Attended,
                        (false, _) => SignupStatus::Confirmed,
                    };
                    signup::ActiveModel {
                        session_id: Set(session.id),
                        activity_id: Set(saved.id),
                        user_id: Set(r.id),
                        family_member_id: Set(None),
                        participant_name: Set(who.name.clone()),
                        status: Set(status),
                        live_key: Set(Some(who.live_key(session.id))),
                        checkin_code: Set((!past).then(|| new_checkin_code(session.id))),
                        checked_in_at: Set((status == SignupStatus::Attended)
                            .then_some(starts_at + Duration::minutes(5))),
                        checkin_method: Set(
                            (status == SignupStatus::Attended).then(|| "roster".to_owned())
                        ),
                        created_at: Set(starts_at - Duration::days(3)),
                        updated_at: Set(starts_at - Duration::days(3)),
                        ..Default::default()
                    }
                })
                .collect();
            signups_made += rows.len() as u64;
            if !rows.is_empty() {
                signup::Entity::insert_many(rows)
                    .exec_without_returning(&txn)
                    .await?;
            }
        }
        txn.commit().await?;
    }
    let created = plan.activities.saturating_sub(have) as u64;
    let total = mine().count(db).await?;
    let seeded = activity_session::Entity::find().filter(
        activity_session::Column::ActivityId.in_subquery(
            sea_orm::sea_query::Query::select()
                .column(activity::Column::Id)
                .from(activity::Entity)
                .and_where(activity::Column::CreatedBy.eq(SEEDER))
                .to_owned(),
        ),
    );
    let sessions_total = seeded.clone().count(db).await?;
    let signups_total = signup::Entity::find()
        .filter(
            signup::Column::SessionId.in_subquery(
                seeded
                    .select_only()
                    .column(activity_session::Column::Id)
                    .into_query(),
            ),
        )
        .count(db)
        .await?;
    report.add("activities", created.min(total), total);
    report.add("act_sessions", sessions_made, sessions_total);
    report.add("signups", signups_made, signups_total);
    Ok(())
}
