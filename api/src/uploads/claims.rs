//! Claiming and releasing uploads inside the writes of the resources that
//! use them.

use std::collections::HashSet;

use entity::upload;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{Purpose, moderation};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::time;

/// Takes one reference on each of `ids` for something the owner saves (a
/// goods item's images, a review's photos), inside the caller's
/// transaction. Every id must be `owner_id`'s, of `purpose` and not
/// flagged; otherwise 422 naming `field[i]` for each bad one, and nothing
/// is taken. A repeated id counts once. Answers the uploads in `ids`'s order.
pub async fn claim(
    conn: &impl ConnectionTrait,
    owner_id: i64,
    purpose: Purpose,
    field: &str,
    ids: &[i64],
) -> ApiResult<Vec<upload::Model>> {
    claim_named(conn, owner_id, purpose, ids, |i| format!("{field}[{i}]")).await
}

/// [`claim`] of a single upload id held in `field` (a logo, an avatar).
pub async fn claim_one(
    conn: &impl ConnectionTrait,
    owner_id: i64,
    purpose: Purpose,
    field: &str,
    id: i64,
) -> ApiResult<upload::Model> {
    let mut claimed = claim_named(conn, owner_id, purpose, &[id], |_| field.to_owned()).await?;
    claimed
        .pop()
        .ok_or_else(|| ApiError::field(field, "图片不存在"))
}

pub(super) async fn claim_named(
    conn: &impl ConnectionTrait,
    owner_id: i64,
    purpose: Purpose,
    ids: &[i64],
    name: impl Fn(usize) -> String,
) -> ApiResult<Vec<upload::Model>> {
    let mut distinct: Vec<i64> = Vec::with_capacity(ids.len());
    for id in ids {
        if !distinct.contains(id) {
            distinct.push(*id);
        }
    }
    if distinct.is_empty() {
        return Ok(Vec::new());
    }
    let found = upload::Entity::find()
        .filter(upload::Column::Id.is_in(distinct.clone()))
        .all(conn)
        .await?;
    let check = |found: &[upload::Model]| -> Vec<FieldError> {
        ids.iter()
            .enumerate()
            .filter_map(|(i, id)| {
                let problem = match found.iter().find(|u| u.id == *id) {
                    None => "图片不存在或已过期，请重新上传".to_owned(),
                    Some(u) if u.owner_id != owner_id => {
                        "图片不存在或已过期，请重新上传".to_owned()
                    }
                    Some(u) if u.purpose != purpose.as_str() => {
                        format!("图片用途应为 {}", purpose.as_str())
                    }
                    Some(u) if u.moderation == moderation::FLAGGED => {
                        "图片未通过内容审核".to_owned()
                    }
                    Some(_) => return None,
                };
                Some(FieldError::new(name(i), problem))
            })
            .collect()
    };
    let errors = check(&found);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = time::now();
    // Conditional on the row still being there: the orphan sweep deletes
    // only rows with no reference, so one of the two wins cleanly.
    let taken = upload::Entity::update_many()
        .col_expr(
            upload::Column::RefCount,
            Expr::col(upload::Column::RefCount).add(1),
        )
        .col_expr(upload::Column::UpdatedAt, Expr::value(now))
        .filter(upload::Column::Id.is_in(distinct.clone()))
        .filter(upload::Column::OwnerId.eq(owner_id))
        .exec(conn)
        .await?;
    if taken.rows_affected != distinct.len() as u64 {
        let still = upload::Entity::find()
            .filter(upload::Column::Id.is_in(distinct))
            .all(conn)
            .await?;
        return Err(ApiError::validation(check(&still)));
    }
    Ok(ids
        .iter()
        .filter_map(|id| found.iter().find(|u| u.id == *id).cloned())
        .collect())
}

/// Gives back one reference on each of `ids` (an image replaced or its
/// owner deleted), inside the caller's transaction. A repeated id counts
/// once; an upload without references stays at 0.
pub async fn release(conn: &impl ConnectionTrait, ids: &[i64]) -> ApiResult<()> {
    let distinct: HashSet<i64> = ids.iter().copied().collect();
    if distinct.is_empty() {
        return Ok(());
    }
    let now = time::now();
    upload::Entity::update_many()
        .col_expr(
            upload::Column::RefCount,
            Expr::col(upload::Column::RefCount).sub(1),
        )
        .col_expr(upload::Column::ReleasedAt, Expr::value(now))
        .col_expr(upload::Column::UpdatedAt, Expr::value(now))
        .filter(upload::Column::Id.is_in(distinct))
        .filter(upload::Column::RefCount.gt(0))
        .exec(conn)
        .await?;
    Ok(())
}
