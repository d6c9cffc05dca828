//! Demo helpers, their services and slots, and bookings in every state.

use chrono::Duration;
use entity::booking::BookingStatus;
use entity::helper::HelperStatus;
use entity::{booking, helper, helper_community, helper_service, service_community, slot, user};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::names::{self, Rng};
use super::{Plan, Report};
use crate::auth::{Role, join_roles};
use crate::error::ApiResult;
use crate::time;

const SKILLS: [(&str, &str, i64, i32); 8] = [
    ("家政保洁", "日常保洁两小时", 8000, 120),
    ("家电维修", "空调冰箱上门检修", 5000, 60),
    ("水电维修", "水管电路维修", 3000, 60),
    ("上门理发", "老人上门理发", 0, 30),
    ("代买药品", "代买常用药品", 0, 60),
    ("法律咨询", "社区法律咨询", 0, 45),
    ("心理咨询", "心理疏导谈话", 0, 60),
    ("助浴陪护", "助浴与陪护", 6000, 90),
];

fn seeded_users() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(Expr::col(user::Column::Openid).like("seed-%"))
        .to_owned()
}

pub async fn seed(db: &DatabaseConnection, plan: &Plan, report: &mut Report) -> ApiResult<()> {
    let have = helper::Entity::find()
        .filter(helper::Column::UserId.in_subquery(seeded_users()))
        .count(db)
        .await? as usize;
    let now = time::now();
    let (mut helpers_made, mut services_made, mut slots_made, mut bookings_made) =
        (0u64, 0u64, 0u64, 0u64);
    for n in have..plan.helpers {
        // Helpers are seeded residents after the merchant owners.
        let openid = format!("seed-{}", plan.merchants + n);
        let Some(person) = user::Entity::find()
            .filter(user::Column::Openid.eq(openid))
            .one(db)
            .await?
        else {
            continue;
        };
        let Some(community_id) = person.community_id else {
            continue;
        };
        let mut rng = Rng::new(0x4E1F ^ n as u64);
        let first = n % SKILLS.len();
        let second = (n + 3) % SKILLS.len();
        let skills = [SKILLS[first].0, SKILLS[second].0].join(",");
        let h = helper::Entity::insert(helper::ActiveModel {
            user_id: Set(person.id),
            display_name: Set(format!(
                "{}师傅",
                names::person(&mut rng).chars().next().unwrap_or('王')
            )),
            phone: Set(format!("137{:08}", rng.below(100_000_000))),
            skills: Set(skills),
            status: Set(HelperStatus::Active),
            rating_sum: Set(0),
            rating_count: Set(0),
            slots_version: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(db)
        .await?
        .last_insert_id;
        helper_community::Entity::insert(helper_community::ActiveModel {
            helper_id: Set(h),
            community_id: Set(community_id),
        })
        .exec(db)
        .await?;
        user::Entity::update_many()
            .col_expr(
                user::Column::Roles,
                Expr::value(join_roles(&[Role::Resident, Role::Helper])),
            )
            .filter(user::Column::Id.eq(person.id))
            .exec(db)
            .await?;
        helpers_made += 1;

        let mut service_ids = Vec::new();
        for (category, title, price, minutes) in [SKILLS[first], SKILLS[second]] {
            let s = helper_service::Entity::insert(helper_service::ActiveModel {
                helper_id: Set(h),
                category: Set(category.to_owned()),
                title: Set(title.to_owned()),
                description: Set(format!("{title}，社区居民预约，准时上门")),
                price_fen: Set(price),
                duration_minutes: Set(minutes),
                active: Set(true),
                rating_sum: Set(0),
                rating_count: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec(db)
            .await?
            .last_insert_id;
            service_community::Entity::insert(service_community::ActiveModel {
                service_id: Set(s),
                community_id: Set(community_id),
            })
            .exec(db)
            .await?;
            service_ids.push((s, price));
            services_made += 1;
        }

        // Eight two-hour slots: three past (completed), five ahead.
        let customers: Vec<i64> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(user::Column::CommunityId.eq(community_id))
            .filter(user::Column::Id.ne(person.id))
            .filter(user::Column::Openid.like("seed-%"))
            .order_by_asc(user::Column::Id)
            .limit(8)
            .into_tuple()
            .all(db)
            .await?;
        for k in 0..8i64 {
            let starts = (now - Duration::days(3) + Duration::days(k))
                .date_naive()
                .and_hms_opt(9 + (n % 8) as u32, 0, 0);
            let Some(starts) = starts.map(|t| t.and_utc()) else {
                continue;
            };
            let state = match k {
                0..=2 => Some(BookingStatus::Completed),
                3 => Some(BookingStatus::Requested),
                4 => Some(BookingStatus::Accepted),
                5 => Some(BookingStatus::Cancelled),
                _ => None,
            };
            let live = matches!(
                state,
                Some(BookingStatus::Completed | BookingStatus::Requested | BookingStatus::Accepted)
            );
            let sl = slot::Entity::insert(slot::ActiveModel {
                helper_id: Set(h),
                starts_at: Set(starts),
                ends_at: Set(starts + Duration::hours(2)),
                booked: Set(live),
                created_at: Set(now - Duration::days(7)),
                ..Default::default()
            })
            .exec(db)
            .await?
            .last_insert_id;
            slots_made += 1;
            let (Some(status), Some(&resident)) = (state, customers.get(k as usize)) else {
                continue;
            };
            let (service_id, price) = service_ids[(k as usize) % service_ids.len()];
            let rating = (status == BookingStatus::Completed && k < 2).then(|| 4 + (k % 2) as i16);
            booking::Entity::insert(booking::ActiveModel {
                service_id: Set(service_id),
                slot_id: Set(sl),
                active_slot_id: Set(live.then_some(sl)),
                helper_id: Set(h),
                resident_id: Set(resident),
                grid_worker_id: Set(None),
                address: Set(format!("{}号楼{}室", 1 + k, 101 + k)),
                contact_phone: Set(format!("138{:08}", resident % 100_000_000)),
                note: Set(String::new()),
                price_fen: Set(price),
                status: Set(status),
                rating: Set(rating),
                review_comment: Set(rating.map(|_| "师傅很专业，准时上门".to_owned())),
                reviewed_at: Set(rating.map(|_| starts + Duration::hours(3))),
                created_at: Set(starts - Duration::days(1)),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec(db)
            .await?;
            bookings_made += 1;
            if let Some(r) = rating {
                let r = i64::from(r);
                helper::Entity::update_many()
                    .col_expr(
                        helper::Column::RatingSum,
                        Expr::col(helper::Column::RatingSum).add(r),
                    )
                    .col_expr(
                        helper::Column::RatingCount,
                        Expr::col(helper::Column::RatingCount).add(1),
                    )
                    .filter(helper::Column::Id.eq(h))
                    .exec(db)
                    .await?;
                helper_service::Entity::update_many()
                    .col_expr(
                        helper_service::Column::RatingSum,
                        Expr::col(helper_service::Column::RatingSum).add(r),
                    )
                    .col_expr(
                        helper_service::Column::RatingCount,
                        Expr::col(helper_service::Column::RatingCount).add(1),
                    )
                    .filter(helper_service::Column::Id.eq(service_id))
                    .exec(db)
                    .await?;
            }
        }
    }
    let helpers_total = helper::Entity::find()
        .filter(helper::Column::UserId.in_subquery(seeded_users()))
        .count(db)
        .await?;
    report.add("helpers", helpers_made, helpers_total);
    report.add(
        "services",
        services_made,
        helper_service::Entity::find().count(db).await?,
    );
    report.add("slots", slots_made, slot::Entity::find().count(db).await?);
    report.add(
        "bookings",
        bookings_made,
        booking::Entity::find().count(db).await?,
    );
    Ok(())
}
