//! Two quarters' happiness surveys, answered by residents of every
//! community (one answer in five entered offline by a grid worker).

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use entity::{
    community, grid, grid_worker, survey, survey_answer, survey_community, survey_question,
    survey_response,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use super::{SEEDER, residents_of};
use crate::calendar::{local_date, start_of};
use crate::db::begin_write;
use crate::error::ApiResult;
use crate::seed::{BATCH, Report, Rng};
use crate::surveys::index::quarter_of;
use crate::time;

/// Residents of each community who answer each survey.
pub const RESPONDENTS: usize = 50;
/// Of the answers, one in this many was entered offline.
const OFFLINE_EVERY: usize = 5;
/// One respondent in this many also writes a suggestion.
const TEXT_EVERY: usize = 4;

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

pub(super) async fn seed(
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
                let mut rng = Rng::new((saved.id as u64 * 1_000_003) ^ r.id as u64);
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
