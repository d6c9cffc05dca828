//! What the answers add up to: per question and community, the happiness
//! index (see `index`) per survey and quarter by quarter, and the CSV export.

use std::collections::{BTreeMap, HashMap};

use entity::{survey, survey_answer, survey_community, survey_question, survey_response};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::QuestionKind;
use super::draft::options_of;
use super::index::{ScaleTally, happiness_index, shown};
use super::service::{self, questions_of};
use crate::auth::AuthUser;
use crate::community_links;
use crate::csv;
use crate::error::{ApiResult, ErrorCode};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScopeQuery {
    /// One community (of the caller's); default: all of the caller's.
    pub community_id: Option<i64>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OptionCount {
    pub option: String,
    pub count: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct QuestionResult {
    pub question_id: i64,
    pub position: i32,
    pub kind: QuestionKind,
    pub prompt: String,
    pub weight: i32,
    /// Responses that answered it.
    pub answered: i64,
    /// Choice questions: each option and how many chose it.
    pub options: Vec<OptionCount>,
    /// Scale questions: how many answered 1, 2, 3, 4 and 5.
    pub distribution: Vec<i64>,
    /// Scale questions: the mean answer, two decimals (`"3.67"`).
    pub mean: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CommunityResult {
    pub community_id: i64,
    pub respondents: i64,
    pub offline_respondents: i64,
    /// The happiness index 0-100, one decimal (`"62.5"`); null without answers.
    pub index: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SurveyResults {
    pub survey_id: i64,
    pub title: String,
    pub quarter: String,
    /// The communities counted: the survey's, within the caller's.
    pub community_ids: Vec<i64>,
    pub respondents: i64,
    pub offline_respondents: i64,
    /// The happiness index over `community_ids`; null without answers.
    pub index: Option<String>,
    pub communities: Vec<CommunityResult>,
    pub questions: Vec<QuestionResult>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct QuarterIndex {
    /// `2026Q3`.
    pub quarter: String,
    pub surveys: i64,
    pub respondents: i64,
    pub index: Option<String>,
    /// The change from the quarter before it in this list (null for the
    /// first, or when either has no index), one decimal, signed (`"-2.5"`).
    pub change: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IndexTrend {
    pub community_ids: Option<Vec<i64>>,
    /// Oldest first.
    pub quarters: Vec<QuarterIndex>,
}

/// The communities of survey `id` to count: the caller's part of them,
/// narrowed to `community_id` (outside that part: 404).
async fn scope_of(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
    community_id: Option<i64>,
) -> ApiResult<(survey::Model, Vec<i64>)> {
    let (s, mut scope) = service::for_admin(conn, me, id).await?;
    if let Some(c) = community_id {
        scope.retain(|x| *x == c);
        if scope.is_empty() {
            return Err(ErrorCode::SurveyNotFound.into());
        }
    }
    Ok((s, scope))
}

/// (community, offline, responses) of survey `id` in `scope`.
async fn respondent_counts(
    conn: &impl ConnectionTrait,
    survey_ids: &[i64],
    scope: Option<&[i64]>,
) -> ApiResult<Vec<(i64, bool, i64)>> {
    let mut select = survey_response::Entity::find()
        .select_only()
        .column(survey_response::Column::CommunityId)
        .column(survey_response::Column::Offline)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(survey_response::Column::SurveyId.is_in(survey_ids.to_vec()))
        .group_by(survey_response::Column::CommunityId)
        .group_by(survey_response::Column::Offline);
    if let Some(scope) = scope {
        select = select.filter(survey_response::Column::CommunityId.is_in(scope.to_vec()));
    }
    Ok(select.into_tuple().all(conn).await?)
}

/// Per (question, community): (sum of scale answers, count) of scale answers.
async fn scale_sums(
    conn: &impl ConnectionTrait,
    survey_ids: &[i64],
    scope: Option<&[i64]>,
) -> ApiResult<Vec<(i64, i64, i64, i64)>> {
    let mut select = survey_answer::Entity::find()
        .select_only()
        .column(survey_answer::Column::QuestionId)
        .column(survey_answer::Column::CommunityId)
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(scale), 0) AS BIGINT)"),
            "total",
        )
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(survey_answer::Column::SurveyId.is_in(survey_ids.to_vec()))
        .filter(survey_answer::Column::Scale.is_not_null())
        .group_by(survey_answer::Column::QuestionId)
        .group_by(survey_answer::Column::CommunityId);
    if let Some(scope) = scope {
        select = select.filter(survey_answer::Column::CommunityId.is_in(scope.to_vec()));
    }
    Ok(select.into_tuple().all(conn).await?)
}

fn tallies(
    questions: &[survey_question::Model],
    sums: &[(i64, i64, i64, i64)],
    community: Option<i64>,
) -> Vec<ScaleTally> {
    let weights: HashMap<i64, i32> = questions.iter().map(|q| (q.id, q.weight)).collect();
    let mut by_question: BTreeMap<i64, ScaleTally> = BTreeMap::new();
    for (q, c, sum, n) in sums {
        if community.is_some_and(|x| x != *c) {
            continue;
        }
        let t = by_question.entry(*q).or_insert(ScaleTally {
            weight: weights.get(q).copied().unwrap_or(0),
            ..ScaleTally::default()
        });
        t.sum += sum;
        t.count += n;
    }
    by_question.into_values().collect()
}

/// `GET /admin/surveys/{id}/results`.
pub async fn results(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
    community_id: Option<i64>,
) -> ApiResult<SurveyResults> {
    let (s, scope) = scope_of(conn, me, id, community_id).await?;
    let questions = questions_of(conn, s.id).await?;
    let counts = respondent_counts(conn, &[s.id], Some(&scope)).await?;
    let sums = scale_sums(conn, &[s.id], Some(&scope)).await?;
    let communities: Vec<CommunityResult> = scope
        .iter()
        .map(|c| {
            let of = |offline: Option<bool>| -> i64 {
                counts
                    .iter()
                    .filter(|(cc, o, _)| cc == c && offline.is_none_or(|x| x == *o))
                    .map(|(_, _, n)| n)
                    .sum()
            };
            CommunityResult {
                community_id: *c,
                respondents: of(None),
                offline_respondents: of(Some(true)),
                index: shown(happiness_index(&tallies(&questions, &sums, Some(*c)))),
            }
        })
        .collect();
    let answers = survey_answer::Entity::find()
        .filter(survey_answer::Column::SurveyId.eq(s.id))
        .filter(survey_answer::Column::CommunityId.is_in(scope.clone()))
        .all(conn)
        .await?;
    let mut per_question: HashMap<i64, Vec<&survey_answer::Model>> = HashMap::new();
    for a in &answers {
        per_question.entry(a.question_id).or_default().push(a);
    }
    let question_results = questions
        .iter()
        .map(|q| question_result(q, per_question.get(&q.id).map_or(&[][..], |v| v)))
        .collect();
    Ok(SurveyResults {
        survey_id: s.id,
        title: s.title,
        quarter: s.quarter,
        respondents: communities.iter().map(|c| c.respondents).sum(),
        offline_respondents: communities.iter().map(|c| c.offline_respondents).sum(),
        index: shown(happiness_index(&tallies(&questions, &sums, None))),
        community_ids: scope,
        communities,
        questions: question_results,
    })
}

fn question_result(
    q: &survey_question::Model,
    answers: &[&survey_answer::Model],
) -> QuestionResult {
    let kind = QuestionKind::parse(&q.kind).unwrap_or(QuestionKind::Text);
    let labels = options_of(q);
    let mut options: Vec<OptionCount> = labels
        .iter()
        .map(|o| OptionCount {
            option: o.clone(),
            count: 0,
        })
        .collect();
    let mut distribution = Vec::new();
    let mut mean = None;
    match kind {
        QuestionKind::Single | QuestionKind::Multiple => {
            for a in answers {
                for c in a.choices.split(',').filter_map(|c| c.parse::<usize>().ok()) {
                    if let Some(o) = options.get_mut(c) {
                        o.count += 1;
                    }
                }
            }
        }
        QuestionKind::Scale => {
            distribution = vec![0; 5];
            let mut sum = 0i64;
            for s in answers.iter().filter_map(|a| a.scale) {
                if let Some(slot) = usize::try_from(s - 1)
                    .ok()
                    .and_then(|i| distribution.get_mut(i))
                {
                    *slot += 1;
                    sum += i64::from(s);
                }
            }
            let n: i64 = distribution.iter().sum();
            if n > 0 {
                let m = rust_decimal::Decimal::from(sum) / rust_decimal::Decimal::from(n);
                mean = Some(format!(
                    "{:.2}",
                    m.round_dp_with_strategy(
                        2,
                        rust_decimal::RoundingStrategy::MidpointAwayFromZero
                    )
                ));
            }
        }
        QuestionKind::Text => {}
    }
    QuestionResult {
        question_id: q.id,
        position: q.position,
        kind,
        prompt: q.prompt.clone(),
        weight: q.weight,
        answered: i64::try_from(answers.len()).unwrap_or(i64::MAX),
        options,
        distribution,
        mean,
    }
}

/// `GET /admin/survey-index`: the index quarter by quarter over the surveys
/// of the caller's communities (narrowed to `community_id`), counting the
/// answers from those communities only.
pub async fn trend(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    community_id: Option<i64>,
) -> ApiResult<IndexTrend> {
    let scope = me.admin_scope(conn, community_id).await?;
    Ok(IndexTrend {
        quarters: quarters(conn, scope.as_deref()).await?,
        community_ids: scope,
    })
}

/// The index of each quarter, oldest first, over the surveys open to any of
/// `scope` (None: all) and the answers from `scope`.
pub async fn quarters(
    conn: &impl ConnectionTrait,
    scope: Option<&[i64]>,
) -> ApiResult<Vec<QuarterIndex>> {
    let mut select = survey::Entity::find().order_by_asc(survey::Column::Quarter);
    if let Some(scope) = scope {
        select = select.filter(survey::Column::Id.in_subquery(community_links::linked_to::<
            survey_community::Entity,
        >(scope.to_vec())));
    }
    let surveys = select.all(conn).await?;
    let mut by_quarter: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for s in &surveys {
        by_quarter.entry(s.quarter.clone()).or_default().push(s.id);
    }
    let mut quarters: Vec<QuarterIndex> = Vec::new();
    let mut previous: Option<rust_decimal::Decimal> = None;
    for (quarter, ids) in by_quarter {
        let questions = survey_question::Entity::find()
            .filter(survey_question::Column::SurveyId.is_in(ids.clone()))
            .all(conn)
            .await?;
        let sums = scale_sums(conn, &ids, scope).await?;
        let index = happiness_index(&tallies(&questions, &sums, None));
        let respondents = respondent_counts(conn, &ids, scope)
            .await?
            .iter()
            .map(|(_, _, n)| n)
            .sum();
        let change = match (previous, index) {
            (Some(p), Some(i)) => Some(format!("{:.1}", i - p)),
            _ => None,
        };
        previous = index;
        quarters.push(QuarterIndex {
            quarter,
            surveys: i64::try_from(ids.len()).unwrap_or(i64::MAX),
            respondents,
            index: shown(index),
            change,
        });
    }
    Ok(quarters)
}

/// `GET /admin/surveys/{id}/export.csv`: one line per response (community,
/// offline, time, then each question's answer: option labels joined by
/// `; `, the scale, the text); cells defused against spreadsheet formulas.
pub async fn export_csv(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
    community_id: Option<i64>,
) -> ApiResult<String> {
    let (s, scope) = scope_of(conn, me, id, community_id).await?;
    let questions = questions_of(conn, s.id).await?;
    let mut out = csv::line(
        ["response_id", "community_id", "offline", "answered_at"]
            .into_iter()
            .map(str::to_owned)
            .chain(
                questions
                    .iter()
                    .map(|q| format!("{}. {}", q.position + 1, q.prompt)),
            ),
    );
    let responses = survey_response::Entity::find()
        .filter(survey_response::Column::SurveyId.eq(s.id))
        .filter(survey_response::Column::CommunityId.is_in(scope))
        .order_by_asc(survey_response::Column::Id)
        .all(conn)
        .await?;
    let ids: Vec<i64> = responses.iter().map(|r| r.id).collect();
    let mut answers: HashMap<(i64, i64), survey_answer::Model> = HashMap::new();
    for chunk in ids.chunks(500) {
        for a in survey_answer::Entity::find()
            .filter(survey_answer::Column::ResponseId.is_in(chunk.to_vec()))
            .all(conn)
            .await?
        {
            answers.insert((a.response_id, a.question_id), a);
        }
    }
    let labels: Vec<Vec<String>> = questions.iter().map(options_of).collect();
    for r in responses {
        let mut cells = vec![
            r.id.to_string(),
            r.community_id.to_string(),
            r.offline.to_string(),
            r.created_at.to_rfc3339(),
        ];
        for (q, labels) in questions.iter().zip(&labels) {
            cells.push(match answers.get(&(r.id, q.id)) {
                None => String::new(),
                Some(a) => answer_text(a, labels),
            });
        }
        out.push_str(&csv::line(cells));
    }
    Ok(out)
}

fn answer_text(a: &survey_answer::Model, labels: &[String]) -> String {
    if let Some(s) = a.scale {
        return s.to_string();
    }
    if let Some(t) = &a.text {
        return t.clone();
    }
    a.choices
        .split(',')
        .filter_map(|c| c.parse::<usize>().ok())
        .filter_map(|c| labels.get(c).cloned())
        .collect::<Vec<_>>()
        .join("; ")
}
