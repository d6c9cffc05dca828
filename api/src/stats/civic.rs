//! The dashboard's participation figures: the happiness survey, odd jobs
//! and tool lending.

use entity::{
    job_application, lending_point, odd_job, odd_job_community, survey_response, tool_loan,
};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::community_links::linked_to;
use crate::error::ApiResult;

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct Civic {
    /// The latest quarter with survey answers in scope (`2026Q4`).
    pub survey_quarter: Option<String>,
    /// Its happiness index, 0-100, one decimal (`"62.5"`).
    pub survey_index: Option<String>,
    /// Its change from the quarter before, signed (`"-2.5"`).
    pub survey_index_change: Option<String>,
    /// Survey responses from the scope, all time (offline ones included).
    pub survey_responses: u64,
    /// Odd jobs of the scope whose headcount was reached.
    pub jobs_filled: u64,
    /// Applications accepted on odd jobs of the scope.
    pub job_places_filled: u64,
    /// Tools handed over at lending points of the scope (lent or returned).
    pub loans: u64,
    /// Of those, lent and not back after their day.
    pub loans_overdue: u64,
}

pub async fn compute(
    db: &impl ConnectionTrait,
    scope: Option<&[i64]>,
    today: chrono::NaiveDate,
) -> ApiResult<Civic> {
    let quarters = crate::surveys::results::quarters(db, scope).await?;
    let latest = quarters.iter().rev().find(|q| q.index.is_some());
    let mut responses = survey_response::Entity::find();
    let mut filled = odd_job::Entity::find().filter(odd_job::Column::Status.eq("filled"));
    let mut accepted =
        job_application::Entity::find().filter(job_application::Column::Status.eq("accepted"));
    let mut loans =
        tool_loan::Entity::find().filter(tool_loan::Column::Status.is_in(["lent", "returned"]));
    if let Some(s) = scope {
        responses = responses.filter(survey_response::Column::CommunityId.is_in(s.to_vec()));
        filled = filled.filter(
            odd_job::Column::Id.in_subquery(linked_to::<odd_job_community::Entity>(s.to_vec())),
        );
        accepted = accepted.filter(job_application::Column::JobId.in_subquery(linked_to::<
            odd_job_community::Entity,
        >(
            s.to_vec()
        )));
        loans = loans.filter(
            tool_loan::Column::PointId.in_subquery(
                Query::select()
                    .column(lending_point::Column::Id)
                    .from(lending_point::Entity)
                    .and_where(lending_point::Column::CommunityId.is_in(s.to_vec()))
                    .to_owned(),
            ),
        );
    }
    let overdue = loans
        .clone()
        .filter(tool_loan::Column::Status.eq("lent"))
        .filter(tool_loan::Column::DueOn.lt(today.format("%Y-%m-%d").to_string()))
        .count(db)
        .await?;
    Ok(Civic {
        survey_quarter: latest.map(|q| q.quarter.clone()),
        survey_index: latest.and_then(|q| q.index.clone()),
        survey_index_change: latest.and_then(|q| q.change.clone()),
        survey_responses: responses.count(db).await?,
        jobs_filled: filled.count(db).await?,
        job_places_filled: accepted.count(db).await?,
        loans: loans.count(db).await?,
        loans_overdue: overdue,
    })
}
