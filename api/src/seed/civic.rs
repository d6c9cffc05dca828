//! The demo's happiness survey, odd jobs and tool lending, at the county's
//! proportions:
//!
//! - two surveys of ten questions open to every community, last quarter's
//!   (closed) and this quarter's (open), each answered by 50 residents of
//!   every community, one answer in five entered offline by a grid worker;
//! - three odd jobs per community, posted by a shop serving it (or, where
//!   no active shop serves it, by an organisation registered for it): one filled
//!   (two accepted, one declined), one open (one accepted, two applied), one
//!   past its end (one declined);
//! - a lending point per community, kept by one of its residents, with five
//!   tools and eight loans: four returned, one out and overdue, one out due
//!   today, two reserved ahead.
//!
//! Each section counts what a previous run made and adds only what is
//! missing; a survey, a job or a point commits with its answers,
//! applications or loans, so a rerun never finds one without the others.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate};
use entity::{
    community, grid, grid_worker, job_application, job_organisation, lending_point, lending_tool,
    merchant, merchant_community, odd_job, odd_job_community, survey, survey_answer,
    survey_community, survey_question, survey_response, tool_day, tool_loan, user,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{BATCH, Plan, Report, Rng};
use crate::calendar::{local_date, start_of};
use crate::db::begin_write;
use crate::error::ApiResult;
use crate::lending::LoanStatus;
use crate::odd_jobs::{JobApplicationStatus, JobStatus};
use crate::surveys::index::quarter_of;
use crate::time;

/// Seeded surveys are built by nobody (`created_by = 0`).
const SEEDER: i64 = 0;
/// Residents of each community who answer each survey.
pub const RESPONDENTS: usize = 50;
/// Of the answers, one in this many was entered offline.
const OFFLINE_EVERY: usize = 5;
/// One respondent in this many also writes a suggestion.
const TEXT_EVERY: usize = 4;
pub const JOBS_PER_COMMUNITY: usize = 3;
pub const TOOLS_PER_POINT: usize = 5;

/// The scale questions (办事方便度、活动参与度 ...) and their weights.
const SCALE_QUESTIONS: [(&str, i32); 8] = [
    ("办事方便度", 2),
    ("活动参与度", 1),
    ("环境卫生满意度", 1),
    ("治安状况满意度", 1),
    ("邻里关系满意度", 1),
    ("物业服务满意度", 1),
    ("为老服务满意度", 1),
    ("总体幸福感", 2),
];
const CHOICE_PROMPT: &str = "您最常使用的驿站服务";
const CHOICES: [&str; 4] = ["便民服务", "团购自提", "文体活动", "工具借用"];
const TEXT_PROMPT: &str = "您对社区还有什么建议";
const SUGGESTIONS: [&str; 4] = [
    "希望多组织老年人活动",
    "小区停车位不够",
    "驿站开放时间再长一些",
    "垃圾分类点需要更多指引",
];

const JOBS: [(&str, &str, i64); 6] = [
    ("超市理货员", "hour", 2_000),
    ("小区保洁", "day", 15_000),
    ("快递分拣", "piece", 50),
    ("家电清洗助手", "job", 8_000),
    ("餐馆帮厨", "hour", 2_200),
    ("社区活动协助", "day", 12_000),
];

const TOOLS: [(&str, &str, i32); TOOLS_PER_POINT] = [
    ("电钻", "五金工具，含常用钻头", 2),
    ("人字梯", "1.5 米铝合金", 2),
    ("轮椅", "可折叠，适合短期出行", 3),
    ("血压计", "电子上臂式", 2),
    ("高压清洗机", "洗车、清洗地面", 1),
];

pub async fn seed(db: &DatabaseConnection, plan: &Plan, report: &mut Report) -> ApiResult<()> {
    let communities = community::Entity::find()
        .order_by_asc(community::Column::Id)
        .all(db)
        .await?;
    seed_surveys(db, &communities, report).await?;
    seed_jobs(db, plan, &communities, report).await?;
    seed_lending(db, plan, &communities, report).await?;
    Ok(())
}

/// Up to `n` seeded residents of community `c` from the `skip`th on.
async fn residents_of(
    db: &impl ConnectionTrait,
    c: i64,
    skip: u64,
    n: u64,
) -> ApiResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::CommunityId.eq(c))
        .filter(user::Column::Openid.starts_with("seed-"))
        .order_by_asc(user::Column::Id)
        .offset(skip)
        .limit(n)
        .all(db)
        .await?)
}

/// The first day of the quarter `back` quarters before the one of `d`.
fn quarter_start(d: NaiveDate, back: i32) -> NaiveDate {
    let months = d.year() * 12 + (d.month0() / 3 * 3) as i32 - 3 * back;
    NaiveDate::from_ymd_opt(months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1).unwrap_or(d)
}

/// A grid worker of each community (the first grid's).
async fn workers_by_community(db: &DatabaseConnection) -> ApiResult<HashMap<i64, i64>> {
    let grids: HashMap<i64, i64> = grid::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.community_id))
        .collect();
    let mut out = HashMap::new();
    for w in grid_worker::Entity::find()
        .order_by_asc(grid_worker::Column::GridId)
        .all(db)
        .await?
    {
        if let Some(c) = grids.get(&w.grid_id) {
            out.entry(*c).or_insert(w.user_id);
        }
    }
    Ok(out)
}

async fn seed_surveys(
    db: &DatabaseConnection,
    communities: &[community::Model],
    report: &mut Report,
) -> ApiResult<()> {
    let mine = || survey::Entity::find().filter(survey::Column::CreatedBy.eq(SEEDER));
    let have = mine().count(db).await?;
    let today = local_date(time::now());
    let workers = workers_by_community(db).await?;
    let (mut responses_made, mut answers_made) = (0u64, 0u64);
    // Last quarter's first, so a rerun after an interruption adds this one.
    for back in (0..2).rev().skip(have as usize) {
        let first = quarter_start(today, back);
        let opens_at = start_of(first);
        let closes_at = if back == 0 {
            start_of(quarter_start(today, -1))
        } else {
            opens_at + Duration::days(30)
        };
        let txn = begin_write(db).await?;
        let saved = survey::ActiveModel {
            title: Set(format!("{}居民幸福指数调查", quarter_of(first))),
            description: Set("包含办事方便度、活动参与度等10项内容，请如实填写。".to_owned()),
            opens_at: Set(opens_at),
            closes_at: Set(closes_at),
            quarter: Set(quarter_of(first)),
            created_by: Set(SEEDER),
            closed_early_at: Set(None),
            created_at: Set(opens_at - Duration::days(1)),
            ..Default::default()
        }
        .insert(&*txn)
        .await?;
        let links: Vec<survey_community::ActiveModel> = communities
            .iter()
            .map(|c| survey_community::ActiveModel {
                survey_id: Set(saved.id),
                community_id: Set(c.id),
            })
            .collect();
        for chunk in links.chunks(BATCH) {
            survey_community::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&*txn)
                .await?;
        }
        let mut questions = Vec::new();
        for (i, (prompt, weight)) in SCALE_QUESTIONS.iter().enumerate() {
            questions.push((i, "scale", *prompt, "[]".to_owned(), *weight));
        }
        let options = serde_json::to_string(&CHOICES).unwrap_or_else(|_| "[]".to_owned());
        questions.push((8, "single", CHOICE_PROMPT, options, 0));
        questions.push((9, "text", TEXT_PROMPT, "[]".to_owned(), 0));
        let mut ids = Vec::new();
        for (position, kind, prompt, options, weight) in questions {
            let q = survey_question::ActiveModel {
                survey_id: Set(saved.id),
                position: Set(position as i32),
                kind: Set(kind.to_owned()),
                prompt: Set(prompt.to_owned()),
                options: Set(options),
                weight: Set(weight),
                required: Set(kind != "text"),
                ..Default::default()
            }
            .insert(&*txn)
            .await?;
            ids.push(q.id);
        }
        let answered = (time::now() - opens_at).min(closes_at - opens_at);
        for c in communities {
            let residents = residents_of(db, c.id, 0, RESPONDENTS as u64).await?;
            let mut answers = Vec::new();
            for (i, r) in residents.iter().enumerate() {
                let mut rng = Rng::new(saved.id as u64 * 1_000_003 ^ r.id as u64);
                let offline = i % OFFLINE_EVERY == OFFLINE_EVERY - 1;
                let at = opens_at + answered * (i as i32 + 1) / (RESPONDENTS as i32 + 1);
                let response = survey_response::ActiveModel {
                    survey_id: Set(saved.id),
                    resident_id: Set(r.id),
                    community_id: Set(c.id),
                    offline: Set(offline),
                    entered_by: Set(offline.then(|| workers.get(&c.id).copied()).flatten()),
                    created_at: Set(at),
                    ..Default::default()
                }
                .insert(&*txn)
                .await?;
                responses_made += 1;
                let answer = |question_id: i64| survey_answer::ActiveModel {
                    response_id: Set(response.id),
                    survey_id: Set(saved.id),
                    question_id: Set(question_id),
                    community_id: Set(c.id),
                    choices: Set(String::new()),
                    scale: Set(None),
                    text: Set(None),
                    ..Default::default()
                };
                for q in &ids[..SCALE_QUESTIONS.len()] {
                    // Mostly 3-5, a little less happy last quarter.
                    let score = 3 + rng.below(3) as i32 - i32::from(back == 1 && rng.below(3) == 0);
                    let mut a = answer(*q);
                    a.scale = Set(Some(score));
                    answers.push(a);
                }
                let mut choice = answer(ids[8]);
                choice.choices = Set(rng.below(CHOICES.len() as u64).to_string());
                answers.push(choice);
                if i % TEXT_EVERY == 0 {
                    let mut text = answer(ids[9]);
                    text.text = Set(Some((*rng.pick(&SUGGESTIONS)).to_owned()));
                    answers.push(text);
                }
            }
            answers_made += answers.len() as u64;
            for chunk in answers.chunks(BATCH) {
                survey_answer::Entity::insert_many(chunk.to_vec())
                    .exec_without_returning(&*txn)
                    .await?;
            }
        }
        txn.commit().await?;
    }
    let created = 2u64.saturating_sub(have);
    let ids: Vec<i64> = mine().all(db).await?.into_iter().map(|s| s.id).collect();
    let responses_total = survey_response::Entity::find()
        .filter(survey_response::Column::SurveyId.is_in(ids.clone()))
        .count(db)
        .await?;
    let answers_total = survey_answer::Entity::find()
        .filter(survey_answer::Column::SurveyId.is_in(ids.clone()))
        .count(db)
        .await?;
    report.add("surveys", created, ids.len() as u64);
    report.add("responses", responses_made, responses_total);
    report.add("survey_answers", answers_made, answers_total);
    Ok(())
}

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

async fn seed_jobs(
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
        let (headcount, verdicts, status, starts_at): (i32, &[JobApplicationStatus], _, _) = match kind
        {
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

async fn seed_lending(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarter_starts() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(quarter_start(d(2026, 12, 7), 0), d(2026, 10, 1));
        assert_eq!(quarter_start(d(2026, 12, 7), 1), d(2026, 7, 1));
        assert_eq!(quarter_start(d(2026, 2, 28), 1), d(2025, 10, 1));
        assert_eq!(quarter_start(d(2026, 3, 31), 0), d(2026, 1, 1));
        assert_eq!(quarter_start(d(2026, 12, 7), -1), d(2027, 1, 1));
    }
}
