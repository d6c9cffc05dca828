//! Creating surveys, listing them, answering them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    building, grid_worker, survey, survey_answer, survey_community, survey_question,
    survey_response, user,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::draft::{self, ResponseInput, SurveyDraft, SurveyInput};
use super::index::quarter_of;
use super::{QuestionKind, SurveyStatus};
use crate::auth::{AuthUser, Role};
use crate::calendar::local_date;
use crate::community_links::{self, check_community_ids};
use crate::db::{begin_write, or_conflict};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::{FieldErrors, Fields};
use crate::pagination::{Page, Paged};

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct QuestionView {
    pub id: i64,
    pub position: i32,
    pub kind: QuestionKind,
    pub prompt: String,
    pub options: Vec<String>,
    pub weight: i32,
    pub required: bool,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SurveyView {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub community_ids: Vec<i64>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// `2026Q4`: the quarter of `opens_at`, in which its index counts.
    pub quarter: String,
    pub status: SurveyStatus,
    pub questions: Vec<QuestionView>,
    /// For a resident: whether they have answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered: Option<bool>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ResponseView {
    pub id: i64,
    pub survey_id: i64,
    pub resident_id: i64,
    pub community_id: i64,
    /// Entered by a grid worker.
    pub offline: bool,
    pub entered_by: Option<i64>,
    pub answers: usize,
    pub created_at: DateTime<Utc>,
}

/// When the period ends: `closes_at`, or earlier when closed early.
fn end_of(s: &survey::Model) -> DateTime<Utc> {
    s.closed_early_at
        .map_or(s.closes_at, |c| std::cmp::min(c, s.closes_at))
}

fn status_at(s: &survey::Model, now: DateTime<Utc>) -> SurveyStatus {
    let end = end_of(s);
    if now < s.opens_at {
        SurveyStatus::Upcoming
    } else if now < end {
        SurveyStatus::Open
    } else {
        SurveyStatus::Closed
    }
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> ApiResult<survey::Model> {
    survey::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::SurveyNotFound))
}

pub async fn questions_of(
    conn: &impl ConnectionTrait,
    survey_id: i64,
) -> ApiResult<Vec<survey_question::Model>> {
    Ok(survey_question::Entity::find()
        .filter(survey_question::Column::SurveyId.eq(survey_id))
        .order_by_asc(survey_question::Column::Position)
        .all(conn)
        .await?)
}

fn question_view(q: survey_question::Model) -> QuestionView {
    QuestionView {
        options: draft::options_of(&q),
        kind: QuestionKind::parse(&q.kind).unwrap_or(QuestionKind::Text),
        id: q.id,
        position: q.position,
        prompt: q.prompt,
        weight: q.weight,
        required: q.required,
    }
}

async fn views(
    conn: &impl ConnectionTrait,
    rows: Vec<survey::Model>,
    answered_by: Option<i64>,
    now: DateTime<Utc>,
) -> ApiResult<Vec<SurveyView>> {
    let ids: Vec<i64> = rows.iter().map(|s| s.id).collect();
    let mut links = community_links::communities_of::<survey_community::Entity>(conn, &ids).await?;
    let mut questions: HashMap<i64, Vec<QuestionView>> = HashMap::new();
    for q in survey_question::Entity::find()
        .filter(survey_question::Column::SurveyId.is_in(ids.clone()))
        .order_by_asc(survey_question::Column::Position)
        .all(conn)
        .await?
    {
        questions
            .entry(q.survey_id)
            .or_default()
            .push(question_view(q));
    }
    let answered: Vec<i64> = match answered_by {
        Some(user) => survey_response::Entity::find()
            .filter(survey_response::Column::ResidentId.eq(user))
            .filter(survey_response::Column::SurveyId.is_in(ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|r| r.survey_id)
            .collect(),
        None => Vec::new(),
    };
    Ok(rows
        .into_iter()
        .map(|s| SurveyView {
            status: status_at(&s, now),
            closes_at: end_of(&s),
            community_ids: links.remove(&s.id).unwrap_or_default(),
            questions: questions.remove(&s.id).unwrap_or_default(),
            answered: answered_by.map(|_| answered.contains(&s.id)),
            id: s.id,
            title: s.title,
            description: s.description,
            opens_at: s.opens_at,
            quarter: s.quarter,
            created_at: s.created_at,
        })
        .collect())
}

/// `POST /admin/surveys`: the questionnaire, open to communities the caller
/// administers (every one of them).
pub async fn create(
    db: &DatabaseConnection,
    me: &AuthUser,
    input: &SurveyInput,
    now: DateTime<Utc>,
) -> ApiResult<SurveyView> {
    me.admin_communities(db).await?;
    let mut f = Fields::new();
    let parsed = SurveyDraft::parse(input, &mut f);
    let mut known = FieldErrors::default();
    if let Some(ids) = &input.community_ids
        && !ids.is_empty()
    {
        check_community_ids(db, &mut known, ids, draft::MAX_COMMUNITIES).await?;
    }
    for e in Vec::from(known) {
        f.push(&e.field, e.message);
    }
    f.finish()?;
    let d = parsed.ok_or_else(|| ApiError::new(ErrorCode::ValidationFailed))?;
    me.require_admin_of_all(db, &d.community_ids).await?;
    let txn = begin_write(db).await?;
    let saved = survey::ActiveModel {
        title: Set(d.title),
        description: Set(d.description),
        opens_at: Set(d.opens_at),
        closes_at: Set(d.closes_at),
        quarter: Set(quarter_of(local_date(d.opens_at))),
        created_by: Set(me.id()),
        closed_early_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    community_links::link::<survey_community::Entity>(&*txn, saved.id, &d.community_ids).await?;
    for (i, q) in d.questions.into_iter().enumerate() {
        survey_question::ActiveModel {
            survey_id: Set(saved.id),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            kind: Set(q.kind.as_str().to_owned()),
            prompt: Set(q.prompt),
            options: Set(serde_json::to_string(&q.options).map_err(ApiError::internal)?),
            weight: Set(q.weight),
            required: Set(q.required),
            ..Default::default()
        }
        .insert(&*txn)
        .await?;
    }
    txn.commit().await?;
    let mut out = views(db, vec![saved], None, now).await?;
    out.pop()
        .ok_or_else(|| ApiError::new(ErrorCode::SurveyNotFound))
}

/// A survey an admin reaches: linked to one of their communities (404 else).
pub async fn for_admin(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<(survey::Model, Vec<i64>)> {
    let s = find(conn, id).await?;
    let linked =
        community_links::communities_of_one::<survey_community::Entity>(conn, s.id).await?;
    let scope: Vec<i64> = match me.admin_communities(conn).await? {
        None => linked,
        Some(own) => linked.into_iter().filter(|c| own.contains(c)).collect(),
    };
    if scope.is_empty() {
        return Err(ErrorCode::SurveyNotFound.into());
    }
    Ok((s, scope))
}

/// `GET /admin/surveys`: surveys open to any of the caller's communities.
pub async fn list_for_admin(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    community_id: Option<i64>,
    page: Page,
    now: DateTime<Utc>,
) -> ApiResult<Paged<SurveyView>> {
    let mut select = survey::Entity::find().order_by_desc(survey::Column::Id);
    if let Some(scope) = me.admin_scope(db, community_id).await? {
        select = select.filter(survey::Column::Id.in_subquery(community_links::linked_to::<
            survey_community::Entity,
        >(scope)));
    }
    let rows = page.fetch(db, select).await?;
    let items = views(db, rows.items, None, now).await?;
    Ok(Paged::new(items, page, rows.total))
}

/// The resident's community, once their binding counts.
fn community_of(u: &user::Model) -> Option<i64> {
    u.community_id.filter(|_| !u.binding_pending)
}

/// `GET /surveys`: the surveys open now to the caller's community.
pub async fn list_for_resident(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    page: Page,
    now: DateTime<Utc>,
) -> ApiResult<Paged<SurveyView>> {
    let Some(community) = community_of(&me.user) else {
        return Ok(Paged::new(Vec::new(), page, 0));
    };
    let select = survey::Entity::find()
        .filter(survey::Column::Id.in_subquery(community_links::linked_to::<
            survey_community::Entity,
        >([community])))
        .filter(survey::Column::OpensAt.lte(now))
        .filter(survey::Column::ClosesAt.gt(now))
        .filter(
            Condition::any()
                .add(survey::Column::ClosedEarlyAt.is_null())
                .add(survey::Column::ClosedEarlyAt.gt(now)),
        )
        .order_by_desc(survey::Column::Id);
    let rows = page.fetch(db, select).await?;
    let items = views(db, rows.items, Some(me.id()), now).await?;
    Ok(Paged::new(items, page, rows.total))
}

/// `GET /surveys/{id}`: a survey of the caller's community (404 else).
pub async fn detail_for_resident(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<SurveyView> {
    let s = find(db, id).await?;
    let linked = community_links::communities_of_one::<survey_community::Entity>(db, s.id).await?;
    if !community_of(&me.user).is_some_and(|c| linked.contains(&c)) {
        return Err(ErrorCode::SurveyNotFound.into());
    }
    let mut out = views(db, vec![s], Some(me.id()), now).await?;
    out.pop()
        .ok_or_else(|| ApiError::new(ErrorCode::SurveyNotFound))
}

/// `POST /admin/surveys/{id}/close`: ends the period now.
pub async fn close(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<SurveyView> {
    let (s, _) = for_admin(db, me, id).await?;
    let linked = community_links::communities_of_one::<survey_community::Entity>(db, s.id).await?;
    me.require_admin_of_all(db, &linked).await?;
    let closed = survey::Entity::update_many()
        .col_expr(survey::Column::ClosedEarlyAt, Expr::value(now))
        .filter(survey::Column::Id.eq(id))
        .filter(survey::Column::ClosedEarlyAt.is_null())
        .filter(survey::Column::ClosesAt.gt(now))
        .exec(db)
        .await?;
    if closed.rows_affected == 0 {
        return Err(ErrorCode::InvalidTransition.into());
    }
    let mut out = views(db, vec![find(db, id).await?], None, now).await?;
    out.pop()
        .ok_or_else(|| ApiError::new(ErrorCode::SurveyNotFound))
}

/// Who answers: the caller (online) or, for a grid worker, a resident of
/// their grid (offline).
pub enum Respondent<'a> {
    Online(&'a AuthUser),
    Offline { worker: &'a AuthUser },
}

/// `POST /surveys/{id}/responses` and `POST /grid/surveys/{id}/responses`:
/// one response per resident and survey (a second is 409
/// `ALREADY_ANSWERED`, also under a race: the unique index decides).
pub async fn respond(
    db: &DatabaseConnection,
    who: Respondent<'_>,
    survey_id: i64,
    input: &ResponseInput,
    now: DateTime<Utc>,
) -> ApiResult<ResponseView> {
    let (resident_id, community, entered_by) = match who {
        Respondent::Online(me) => {
            me.require(Role::Resident)?;
            (me.id(), community_of(&me.user), None)
        }
        Respondent::Offline { worker } => {
            worker.require(Role::GridWorker)?;
            let Some(resident_id) = input.resident_id else {
                return Err(ApiError::field("resident_id", "必填"));
            };
            let community = grid_resident_community(db, worker.id(), resident_id).await?;
            (resident_id, Some(community), Some(worker.id()))
        }
    };
    let s = find(db, survey_id).await?;
    let linked = community_links::communities_of_one::<survey_community::Entity>(db, s.id).await?;
    let Some(community) = community.filter(|c| linked.contains(c)) else {
        return Err(ErrorCode::SurveyNotFound.into());
    };
    if status_at(&s, now) != SurveyStatus::Open {
        return Err(ErrorCode::SurveyNotOpen.into());
    }
    let questions = questions_of(db, s.id).await?;
    let mut f = Fields::new();
    let answers = draft::parse_answers(input, &questions, &mut f);
    f.finish()?;
    let txn = begin_write(db).await?;
    let inserted = survey_response::ActiveModel {
        survey_id: Set(s.id),
        resident_id: Set(resident_id),
        community_id: Set(community),
        offline: Set(entered_by.is_some()),
        entered_by: Set(entered_by),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await;
    let response = or_conflict(inserted, ErrorCode::AlreadyAnswered)?;
    let n = answers.len();
    if !answers.is_empty() {
        survey_answer::Entity::insert_many(answers.into_iter().map(|a| {
            survey_answer::ActiveModel {
                response_id: Set(response.id),
                survey_id: Set(s.id),
                question_id: Set(a.question_id),
                community_id: Set(community),
                choices: Set(a
                    .choices
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(",")),
                scale: Set(a.scale),
                text: Set(a.text),
                ..Default::default()
            }
        }))
        .exec(&*txn)
        .await?;
    }
    txn.commit().await?;
    Ok(ResponseView {
        id: response.id,
        survey_id: s.id,
        resident_id,
        community_id: community,
        offline: response.offline,
        entered_by,
        answers: n,
        created_at: response.created_at,
    })
}

/// The community of `resident_id` when they live in one of `worker`'s
/// grids; 404 `USER_NOT_FOUND` otherwise.
async fn grid_resident_community(
    conn: &impl ConnectionTrait,
    worker: i64,
    resident_id: i64,
) -> ApiResult<i64> {
    let not_found = || ApiError::new(ErrorCode::UserNotFound);
    let resident = user::Entity::find_by_id(resident_id)
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    let b = match resident.building_id {
        Some(b) => building::Entity::find_by_id(b).one(conn).await?,
        None => None,
    }
    .ok_or_else(not_found)?;
    let works = grid_worker::Entity::find_by_id((worker, b.grid_id))
        .one(conn)
        .await?
        .is_some();
    if !works || resident.erased_at.is_some() {
        return Err(not_found());
    }
    Ok(b.community_id)
}
