//! A questionnaire's body and a response's answers, parsed: every bad field
//! named at once (`questions[2].options`, `answers[0].scale`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};
use entity::survey_question;
use serde::Deserialize;
use utoipa::ToSchema;

use super::QuestionKind;
use crate::fields::Fields;

pub const MAX_QUESTIONS: usize = 30;
pub const MAX_OPTIONS: usize = 10;
pub const MAX_COMMUNITIES: usize = 100;
/// The longest period a survey stays open.
pub const MAX_OPEN_DAYS: i64 = 366;
pub const TEXT_ANSWER_CHARS: usize = 500;

/// A new questionnaire, opened to `community_ids` from `opens_at` until
/// `closes_at`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SurveyInput {
    /// 1-64 characters.
    #[schema(value_type = String, required = true, max_length = 64, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub title: Option<String>,
    /// Up to 500 characters.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// 1-100 communities, all administered by the caller.
    #[schema(min_items = 1, max_items = 100)]
    pub community_ids: Option<Vec<i64>>,
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub opens_at: Option<DateTime<Utc>>,
    /// After `opens_at`, at most 366 days later.
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub closes_at: Option<DateTime<Utc>>,
    /// 1-30 questions, in order.
    #[schema(value_type = Vec<QuestionInput>, required = true, min_items = 1, max_items = 30)]
    pub questions: Option<Vec<QuestionInput>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct QuestionInput {
    /// `single`, `multiple`, `scale` (1-5) or `text`.
    #[schema(required = true, schema_with = question_kinds)]
    pub kind: Option<String>,
    /// 1-200 characters.
    #[schema(value_type = String, required = true, max_length = 200, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub prompt: Option<String>,
    /// For `single` and `multiple`: 2-10 distinct options of 1-50
    /// characters; none for the others.
    pub options: Option<Vec<String>>,
    /// For `scale`: its weight in the happiness index, 0-10 (default 1);
    /// none (or 0) for the others.
    pub weight: Option<i32>,
    /// Default true.
    pub required: Option<bool>,
}
fn question_kinds() -> utoipa::openapi::Object {
    crate::openapi::choices(&["single", "multiple", "scale", "text"])
}

pub struct SurveyDraft {
    pub title: String,
    pub description: String,
    pub community_ids: Vec<i64>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub questions: Vec<QuestionDraft>,
}

pub struct QuestionDraft {
    pub kind: QuestionKind,
    pub prompt: String,
    pub options: Vec<String>,
    pub weight: i32,
    pub required: bool,
}

impl SurveyDraft {
    /// The draft, or every bad field noted in `f`.
    pub fn parse(input: &SurveyInput, f: &mut Fields) -> Option<Self> {
        let title = f.text("title", input.title.as_deref(), 1, 64);
        let description = f
            .optional_text("description", input.description.as_deref(), 500)
            .unwrap_or_default();
        let mut community_ids = input.community_ids.clone().unwrap_or_default();
        community_ids.sort_unstable();
        community_ids.dedup();
        if community_ids.is_empty() || community_ids.len() > MAX_COMMUNITIES {
            f.push(
                "community_ids",
                format!("须指定 1-{MAX_COMMUNITIES} 个社区"),
            );
        }
        let opens_at = f.required("opens_at", input.opens_at);
        let closes_at = f.required("closes_at", input.closes_at);
        if let (Some(o), Some(c)) = (opens_at, closes_at) {
            if c <= o {
                f.push("closes_at", "须晚于 opens_at");
            } else if c - o > TimeDelta::days(MAX_OPEN_DAYS) {
                f.push("closes_at", format!("填写期最长 {MAX_OPEN_DAYS} 天"));
            }
        }
        let raw = input.questions.as_deref().unwrap_or_default();
        if raw.is_empty() || raw.len() > MAX_QUESTIONS {
            f.push("questions", format!("须有 1-{MAX_QUESTIONS} 道题"));
        }
        let questions: Vec<QuestionDraft> = raw
            .iter()
            .take(MAX_QUESTIONS)
            .enumerate()
            .filter_map(|(i, q)| QuestionDraft::parse(q, &format!("questions[{i}]"), f))
            .collect();
        if !f.is_empty() {
            return None;
        }
        Some(Self {
            title,
            description,
            community_ids,
            opens_at: opens_at?,
            closes_at: closes_at?,
            questions,
        })
    }
}

impl QuestionDraft {
    fn parse(q: &QuestionInput, at: &str, f: &mut Fields) -> Option<Self> {
        let kind = match q.kind.as_deref() {
            None => {
                f.push(&format!("{at}.kind"), "必填");
                None
            }
            Some(k) => {
                let kind = QuestionKind::parse(k);
                if kind.is_none() {
                    f.push(
                        &format!("{at}.kind"),
                        "须为 single、multiple、scale 或 text",
                    );
                }
                kind
            }
        };
        let prompt = f.text(&format!("{at}.prompt"), q.prompt.as_deref(), 1, 200);
        let raw_options = q.options.as_deref().unwrap_or_default();
        let mut options = Vec::new();
        let choice = matches!(kind, Some(QuestionKind::Single | QuestionKind::Multiple));
        if choice {
            if raw_options.len() < 2 || raw_options.len() > MAX_OPTIONS {
                f.push(
                    &format!("{at}.options"),
                    format!("须有 2-{MAX_OPTIONS} 个选项"),
                );
            }
            for (j, o) in raw_options.iter().take(MAX_OPTIONS).enumerate() {
                options.push(f.text(&format!("{at}.options[{j}]"), Some(o), 1, 50));
            }
            let distinct: HashSet<&String> = options.iter().collect();
            if distinct.len() != options.len() {
                f.push(&format!("{at}.options"), "选项不能重复");
            }
        } else if kind.is_some() && !raw_options.is_empty() {
            f.push(&format!("{at}.options"), "只有选择题有选项");
        }
        let weight = match (kind, q.weight) {
            (Some(QuestionKind::Scale), None) => 1,
            (Some(QuestionKind::Scale), Some(w)) if (0..=10).contains(&w) => w,
            (Some(QuestionKind::Scale), Some(_)) => {
                f.push(&format!("{at}.weight"), "须在 0-10 之间");
                0
            }
            (_, None | Some(0)) => 0,
            (_, Some(_)) => {
                f.push(&format!("{at}.weight"), "只有量表题计入幸福指数");
                0
            }
        };
        Some(Self {
            kind: kind?,
            prompt,
            options,
            weight,
            required: q.required.unwrap_or(true),
        })
    }
}

/// A response: one answer per question answered.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ResponseInput {
    /// For a grid worker's offline entry (`/grid/surveys/{id}/responses`):
    /// the resident of their grid who answered.
    pub resident_id: Option<i64>,
    /// At most one per question; every required question answered.
    pub answers: Option<Vec<AnswerInput>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AnswerInput {
    pub question_id: Option<i64>,
    /// `single`: exactly one option index (0-based); `multiple`: one or more.
    pub choices: Option<Vec<i64>>,
    /// `scale`: 1-5.
    pub scale: Option<i64>,
    /// `text`: 1-500 characters.
    pub text: Option<String>,
}

/// One checked answer.
pub struct AnswerDraft {
    pub question_id: i64,
    pub choices: Vec<usize>,
    pub scale: Option<i32>,
    pub text: Option<String>,
}

/// Checks `input` against the survey's `questions`: each answer fits its
/// question's kind, no question twice, every required one answered.
pub fn parse_answers(
    input: &ResponseInput,
    questions: &[survey_question::Model],
    f: &mut Fields,
) -> Vec<AnswerDraft> {
    let by_id: HashMap<i64, &survey_question::Model> =
        questions.iter().map(|q| (q.id, q)).collect();
    let raw = input.answers.as_deref().unwrap_or_default();
    if raw.len() > questions.len() {
        f.push("answers", format!("最多 {} 个回答", questions.len()));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, a) in raw.iter().take(MAX_QUESTIONS).enumerate() {
        let at = format!("answers[{i}]");
        let Some(q) = a.question_id.and_then(|id| by_id.get(&id)) else {
            f.push(&format!("{at}.question_id"), "不是本问卷的题目");
            continue;
        };
        if !seen.insert(q.id) {
            f.push(&format!("{at}.question_id"), "同一题只能回答一次");
            continue;
        }
        if let Some(answer) = one_answer(a, q, &at, f) {
            out.push(answer);
        }
    }
    for q in questions
        .iter()
        .filter(|q| q.required && !seen.contains(&q.id))
    {
        f.push(
            "answers",
            format!("第 {} 题（id {}）必答", q.position + 1, q.id),
        );
    }
    out
}

fn one_answer(
    a: &AnswerInput,
    q: &survey_question::Model,
    at: &str,
    f: &mut Fields,
) -> Option<AnswerDraft> {
    let kind = QuestionKind::parse(&q.kind)?;
    let n_options = options_of(q).len();
    let mut answer = AnswerDraft {
        question_id: q.id,
        choices: Vec::new(),
        scale: None,
        text: None,
    };
    let misplaced = match kind {
        QuestionKind::Single | QuestionKind::Multiple => a.scale.is_some() || a.text.is_some(),
        QuestionKind::Scale => a.choices.is_some() || a.text.is_some(),
        QuestionKind::Text => a.choices.is_some() || a.scale.is_some(),
    };
    if misplaced {
        f.push(at, "回答与题型不符");
        return None;
    }
    match kind {
        QuestionKind::Single | QuestionKind::Multiple => {
            let choices = a.choices.as_deref().unwrap_or_default();
            let field = format!("{at}.choices");
            let mut distinct: Vec<usize> = Vec::new();
            for c in choices.iter().take(MAX_OPTIONS + 1) {
                match usize::try_from(*c).ok().filter(|c| *c < n_options) {
                    Some(c) if !distinct.contains(&c) => distinct.push(c),
                    Some(_) => {
                        f.push(&field, "选项不能重复");
                        return None;
                    }
                    None => {
                        f.push(
                            &field,
                            format!("选项序号须在 0-{} 之间", n_options.saturating_sub(1)),
                        );
                        return None;
                    }
                }
            }
            let ok = match kind {
                QuestionKind::Single => distinct.len() == 1,
                _ => !distinct.is_empty() && choices.len() <= n_options,
            };
            if !ok {
                f.push(
                    &field,
                    if kind == QuestionKind::Single {
                        "单选题须选一项"
                    } else {
                        "多选题须选一项或多项"
                    },
                );
                return None;
            }
            distinct.sort_unstable();
            answer.choices = distinct;
        }
        QuestionKind::Scale => match a.scale {
            Some(s @ 1..=5) => answer.scale = i32::try_from(s).ok(),
            _ => {
                f.push(&format!("{at}.scale"), "须为 1-5 的整数");
                return None;
            }
        },
        QuestionKind::Text => {
            let text = f.text(
                &format!("{at}.text"),
                a.text.as_deref(),
                1,
                TEXT_ANSWER_CHARS,
            );
            answer.text = Some(text);
        }
    }
    Some(answer)
}

/// A question's options, as stored (JSON array of strings).
pub fn options_of(q: &survey_question::Model) -> Vec<String> {
    serde_json::from_str(&q.options).unwrap_or_default()
}
