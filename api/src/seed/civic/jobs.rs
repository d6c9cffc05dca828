//! Odd jobs: three per community with their applications.

use chrono::Duration;
use entity::{
    community, job_application, job_organisation, merchant, merchant_community, odd_job,
    odd_job_community,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::{SEEDER, residents_of};
use crate::db::begin_write;
use crate::error::ApiResult;
use crate::odd_jobs::{JobApplicationStatus, JobStatus};
use crate::seed::{Plan, Report};
use crate::time;

pub const JOBS_PER_COMMUNITY: usize = 3;

const JOBS: [(&str, &str, i64); 6] = [
    ("超市理货员", "hour", 2_000),
    ("小区保洁", "day", 15_000),
    ("快递分拣", "piece", 50),
    ("家电清洗助手", "job", 8_000),
    ("餐馆帮厨", "hour", 2_200),
    ("社区活动协助", "day", 12_000),
];

/// Active shops serving community `c`, by id.
async fn shops_serving(db: &DatabaseConnection, c: i64) -> ApiResult<Vec<merchant::Model>> {
    let ids: Vec<i64> = merchant_community::Entity::find()
        .filter(merchant_community::Column::CommunityId.eq(c))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.merchant_id)
        .collect();
    Ok(merchant::Entity::find()
        .filter(merchant::Column::Id.is_in(ids))
        .filter(merchant::Column::Status.eq(entity::merchant::MerchantStatus::Active))
        .order_by_asc(merchant::Column::Id)
        .all(db)
        .await?)
}

/// Who posts a job.
struct Employer {
    merchant_id: Option<i64>,
    organisation_id: Option<i64>,
    poster: i64,
    place: String,
    name: String,
    phone: String,
}

/// The employer of a community no active shop serves: an organisation
/// registered for it (as an admin would), its account one of the
/// community's residents; made the first time (then `.1` is true).
async fn organisation_of(
    txn: &impl ConnectionTrait,
    c: &community::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<Option<(job_organisation::Model, bool)>> {
    if let Some(org) = job_organisation::Entity::find()
        .filter(job_organisation::Column::CommunityId.eq(c.id))
        .filter(job_organisation::Column::CreatedBy.eq(SEEDER))
        .one(txn)
        .await?
    {
        return Ok(Some((org, false)));
    }
    let Some(account) = residents_of(txn, c.id, 300, 1).await?.pop() else {
        return Ok(None);
    };
    let org = job_organisation::ActiveModel {
        name: Set(format!("{}物业服务中心", c.name)),
        user_id: Set(account.id),
        community_id: Set(c.id),
        contact_phone: Set(account.phone.clone().unwrap_or_default()),
        created_by: Set(SEEDER),
        created_at: Set(now - Duration::days(90)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(Some((org, true)))
}

pub(super) async fn seed(
    db: &DatabaseConnection,
    plan: &Plan,
    communities: &[community::Model],
    report: &mut Report,
) -> ApiResult<()> {
    let have = odd_job::Entity::find().count(db).await? as usize;
    let wanted = communities.len().min(plan.communities) * JOBS_PER_COMMUNITY;
    let now = time::now();
    let (mut made, mut applications, mut organisations) = (0u64, 0u64, 0u64);
    for n in have..wanted {
        let Some(c) = communities.get(n / JOBS_PER_COMMUNITY) else {
            break;
        };
        let kind = n % JOBS_PER_COMMUNITY;
        let shops = shops_serving(db, c.id).await?;
        let applicants = residents_of(db, c.id, 100 + kind as u64 * 3, 3).await?;
        let (title, unit, pay) = JOBS[n % JOBS.len()];
        // filled: two accepted, one declined; open: one accepted, two
        // applied; past: ended yesterday, one declined.
        let (headcount, verdicts, status, starts_at): (i32, &[JobApplicationStatus], _, _) =
            match kind {
                0 => (
                    2,
                    &[
                        JobApplicationStatus::Accepted,
                        JobApplicationStatus::Accepted,
                        JobApplicationStatus::Declined,
                    ],
                    JobStatus::Filled,
                    now + Duration::days(2),
                ),
                1 => (
                    3,
                    &[
                        JobApplicationStatus::Accepted,
                        JobApplicationStatus::Applied,
                        JobApplicationStatus::Applied,
                    ],
                    JobStatus::Open,
                    now + Duration::days(5),
                ),
                _ => (
                    2,
                    &[JobApplicationStatus::Declined],
                    JobStatus::Open,
                    now - Duration::days(2),
                ),
            };
        let accepted = verdicts
            .iter()
            .zip(&applicants)
            .filter(|(v, _)| **v == JobApplicationStatus::Accepted)
            .count() as i32;
        let posted_at = starts_at - Duration::days(7);
        let txn = begin_write(db).await?;
        let employer = match shops.get(n % shops.len().max(1)) {
            Some(shop) => Employer {
                merchant_id: Some(shop.id),
                organisation_id: None,
                poster: shop.owner_user_id,
                place: shop.address.clone(),
                name: shop.name.chars().take(32).collect(),
                phone: shop.contact_phone.clone(),
            },
            None => {
                let Some(org) = organisation_of(&*txn, c, now).await? else {
                    continue;
                };
                if org.1 {
                    organisations += 1;
                }
                let org = org.0;
                Employer {
                    merchant_id: None,
                    organisation_id: Some(org.id),
                    poster: org.user_id,
                    place: format!("{}党群服务中心", c.name),
                    name: org.name.chars().take(32).collect(),
                    phone: org.contact_phone,
                }
            }
        };
        let job = odd_job::ActiveModel {
            merchant_id: Set(employer.merchant_id),
            organisation_id: Set(employer.organisation_id),
            posted_by: Set(employer.poster),
            title: Set(title.to_owned()),
            requirements: Set("身体健康，做事认真，就近优先".to_owned()),
            pay_fen: Set(pay),
            pay_unit: Set(unit.to_owned()),
            place: Set(employer.place),
            starts_at: Set(starts_at),
            ends_at: Set(starts_at + Duration::hours(8)),
            headcount: Set(headcount),
            accepted_count: Set(accepted),
            contact_name: Set(employer.name),
            contact_phone: Set(employer.phone),
            status: Set(status.as_str().to_owned()),
            takedown_reason: Set(None),
            created_at: Set(posted_at),
            updated_at: Set(posted_at),
            ..Default::default()
        }
        .insert(&*txn)
        .await?;
        odd_job_community::Entity::insert(odd_job_community::ActiveModel {
            job_id: Set(job.id),
            community_id: Set(c.id),
        })
        .exec_without_returning(&*txn)
        .await?;
        let rows: Vec<job_application::ActiveModel> = verdicts
            .iter()
            .zip(&applicants)
            .map(|(v, r)| job_application::ActiveModel {
                job_id: Set(job.id),
                applicant_id: Set(r.id),
                note: Set("住得近，时间方便".to_owned()),
                status: Set(v.as_str().to_owned()),
                created_at: Set(posted_at + Duration::days(1)),
                decided_at: Set(
                    (*v != JobApplicationStatus::Applied).then_some(posted_at + Duration::days(2))
                ),
                ..Default::default()
            })
            .collect();
        applications += rows.len() as u64;
        if !rows.is_empty() {
            job_application::Entity::insert_many(rows)
                .exec_without_returning(&*txn)
                .await?;
        }
        txn.commit().await?;
        made += 1;
    }
    let seeded_orgs = job_organisation::Entity::find()
        .filter(job_organisation::Column::CreatedBy.eq(SEEDER))
        .count(db)
        .await?;
    report.add("job_orgs", organisations, seeded_orgs);
    report.add("odd_jobs", made, odd_job::Entity::find().count(db).await?);
    report.add(
        "job_apps",
        applications,
        job_application::Entity::find().count(db).await?,
    );
    Ok(())
}
