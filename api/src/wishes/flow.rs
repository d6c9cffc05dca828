//! A wish's moves. Each is one conditional update on the status (and the
//! claimer), so two people acting at once never both succeed: one claimer,
//! one confirmation, one award.

use chrono::TimeDelta;
use entity::point_entry::EntrySource;
use entity::wish::{self, WishStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::service::{self, MAX_PHOTOS, WishView};
use crate::auth::AuthUser;
use crate::db::begin_write;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::FieldErrors;
use crate::inbox::{self, Kind, Message};
use crate::points::ledger::{self, Award, RuleRef};
use crate::points::rules::WISH_FULFILLED;
use crate::time;
use crate::uploads::Purpose;
use crate::uploads::refs::{self, ImageRef};

fn note(title: &str, body: impl Into<String>, id: i64) -> Message {
    Message::new(Kind::Wish, title, body).target(json!({"type": "wish", "id": id}))
}

/// Moves the wish from `from` to `to` with `extra` columns set; false when
/// it was no longer in `from` (someone else moved it first).
async fn step(
    conn: &impl ConnectionTrait,
    id: i64,
    from: WishStatus,
    to: WishStatus,
    extra: Vec<(wish::Column, sea_orm::sea_query::SimpleExpr)>,
    claimer: Option<i64>,
) -> ApiResult<bool> {
    let mut update = wish::Entity::update_many()
        .col_expr(wish::Column::Status, Expr::value(to))
        .col_expr(wish::Column::UpdatedAt, Expr::value(time::now()));
    for (col, value) in extra {
        update = update.col_expr(col, value);
    }
    let mut update = update
        .filter(wish::Column::Id.eq(id))
        .filter(wish::Column::Status.eq(from));
    if let Some(c) = claimer {
        update = update.filter(wish::Column::ClaimerId.eq(c));
    }
    Ok(update.exec(conn).await?.rows_affected == 1)
}

async fn reload(conn: &impl ConnectionTrait, id: i64) -> ApiResult<WishView> {
    Ok(service::find(conn, id).await?.into())
}

/// An admin of the wish's community (404 `WISH_NOT_FOUND` for others).
async fn admin_wish(db: &DatabaseConnection, me: &AuthUser, id: i64) -> ApiResult<wish::Model> {
    me.admin_communities(db).await?;
    let w = service::find(db, id).await?;
    me.require_admin_of(db, w.community_id)
        .await
        .map_err(|_| ApiError::new(ErrorCode::WishNotFound))?;
    Ok(w)
}

/// Approves a pending wish onto the wall.
pub async fn approve(db: &DatabaseConnection, me: &AuthUser, id: i64) -> ApiResult<WishView> {
    let w = admin_wish(db, me, id).await?;
    let txn = begin_write(db).await?;
    if !step(
        &*txn,
        w.id,
        WishStatus::Pending,
        WishStatus::Open,
        vec![],
        None,
    )
    .await?
    {
        return Err(ErrorCode::InvalidTransition.into());
    }
    inbox::post(
        &*txn,
        w.wisher_id,
        note("您的心愿已上墙", w.title.clone(), w.id),
    )
    .await?;
    let view = reload(&*txn, w.id).await?;
    txn.commit().await?;
    Ok(view)
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct Rejection {
    /// 1-200 characters.
    pub reason: String,
}

pub async fn reject(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    body: Rejection,
) -> ApiResult<WishView> {
    let w = admin_wish(db, me, id).await?;
    let mut errors = FieldErrors::default();
    let reason = errors.text("reason", &body.reason, 1, 200);
    errors.finish()?;
    let txn = begin_write(db).await?;
    let set = vec![(wish::Column::RejectReason, Expr::value(reason.clone()))];
    if !step(
        &*txn,
        w.id,
        WishStatus::Pending,
        WishStatus::Rejected,
        set,
        None,
    )
    .await?
    {
        return Err(ErrorCode::InvalidTransition.into());
    }
    inbox::post(&*txn, w.wisher_id, note("您的心愿未通过审核", reason, w.id)).await?;
    let view = reload(&*txn, w.id).await?;
    txn.commit().await?;
    Ok(view)
}

/// Claims an open wish: one claimer (409 `WISH_TAKEN` for the others). The
/// wisher cannot claim their own (403).
pub async fn claim(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    claim_days: i64,
) -> ApiResult<WishView> {
    let w = service::find(db, id).await?;
    if !service::visible_to(db, &w, Some(me)).await? {
        return Err(ErrorCode::WishNotFound.into());
    }
    if w.wisher_id == me.id() {
        return Err(ErrorCode::Forbidden.into());
    }
    let now = time::now();
    let deadline = now
        .checked_add_signed(TimeDelta::days(claim_days.clamp(1, 365)))
        .ok_or_else(|| ApiError::new(ErrorCode::InternalError))?;
    let txn = begin_write(db).await?;
    let set = vec![
        (wish::Column::ClaimerId, Expr::value(me.id())),
        (wish::Column::ClaimedAt, Expr::value(now)),
        (wish::Column::ClaimDeadline, Expr::value(deadline)),
    ];
    if !step(
        &*txn,
        w.id,
        WishStatus::Open,
        WishStatus::Claimed,
        set,
        None,
    )
    .await?
    {
        return Err(match w.status {
            WishStatus::Open | WishStatus::Claimed => ErrorCode::WishTaken,
            _ => ErrorCode::InvalidTransition,
        }
        .into());
    }
    inbox::post(
        &*txn,
        w.wisher_id,
        note(
            "您的心愿已被认领",
            format!("{}：{}", me.user.nickname, w.title),
            w.id,
        ),
    )
    .await?;
    let view = reload(&*txn, w.id).await?;
    txn.commit().await?;
    Ok(view)
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct WishFulfilment {
    /// 1-500 characters.
    #[schema(max_length = 500, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub note: String,
    /// Up to 6 upload ids (`purpose = wish_photo`) or https URLs.
    #[serde(default)]
    #[schema(max_items = 6)]
    pub photos: Vec<ImageRef>,
}

/// The claimer reports the wish fulfilled, with a note and photos.
pub async fn fulfil(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    body: WishFulfilment,
) -> ApiResult<WishView> {
    let w = service::find(db, id).await?;
    if w.claimer_id != Some(me.id()) {
        return Err(ErrorCode::WishNotFound.into());
    }
    let mut errors = FieldErrors::default();
    let text = errors.text("note", &body.note, 1, 500);
    refs::check_list(&mut errors, "photos", &body.photos, MAX_PHOTOS);
    errors.finish()?;
    let txn = begin_write(db).await?;
    refs::claim_all(&*txn, me.id(), Purpose::WishPhoto, "photos", &body.photos).await?;
    let set = vec![
        (wish::Column::FulfilNote, Expr::value(text)),
        (
            wish::Column::FulfilPhotos,
            Expr::value(refs::to_json(&body.photos)),
        ),
        (wish::Column::FulfilledAt, Expr::value(time::now())),
    ];
    if !step(
        &*txn,
        w.id,
        WishStatus::Claimed,
        WishStatus::Fulfilled,
        set,
        Some(me.id()),
    )
    .await?
    {
        return Err(ErrorCode::InvalidTransition.into());
    }
    let mut told = vec![w.wisher_id];
    if w.posted_by != w.wisher_id {
        told.push(w.posted_by);
    }
    inbox::post_many(
        &*txn,
        &told,
        note("心愿已完成，请确认", w.title.clone(), w.id),
    )
    .await?;
    let view = reload(&*txn, w.id).await?;
    txn.commit().await?;
    Ok(view)
}

/// The wisher (or the grid worker who posted it) confirms: the claimer is
/// awarded the community's `wish_fulfilled` rule once. When the award cannot
/// be made (the rule retired, the claimer at its cap) the wish is confirmed
/// without it and the claimer told why.
pub async fn confirm(db: &DatabaseConnection, me: &AuthUser, id: i64) -> ApiResult<WishView> {
    let w = service::find(db, id).await?;
    if me.id() != w.wisher_id && me.id() != w.posted_by {
        return Err(ErrorCode::WishNotFound.into());
    }
    let Some(claimer) = w.claimer_id else {
        return Err(ErrorCode::InvalidTransition.into());
    };
    let txn = begin_write(db).await?;
    let set = vec![
        (wish::Column::ConfirmedAt, Expr::value(time::now())),
        (wish::Column::ConfirmedBy, Expr::value(me.id())),
    ];
    if !step(
        &*txn,
        w.id,
        WishStatus::Fulfilled,
        WishStatus::Confirmed,
        set,
        Some(claimer),
    )
    .await?
    {
        return Err(ErrorCode::InvalidTransition.into());
    }
    let awarded = ledger::award(
        &*txn,
        Award {
            user_id: claimer,
            community_id: w.community_id,
            rule: RuleRef::Code(WISH_FULFILLED),
            points: None,
            granted_by: Some(me.id()),
            source: EntrySource::Wish,
            source_ref: Some(format!("wish:{}", w.id)),
            minutes: 0,
            photo_upload_id: None,
            note: w.title.clone(),
        },
    )
    .await;
    match awarded {
        Ok(entry) => {
            wish::Entity::update_many()
                .col_expr(wish::Column::AwardEntryId, Expr::value(entry.id))
                .filter(wish::Column::Id.eq(w.id))
                .exec(&*txn)
                .await?;
        }
        Err(e)
            if matches!(
                e.code,
                ErrorCode::PointsCapReached | ErrorCode::PointRuleNotFound
            ) =>
        {
            inbox::post(
                &*txn,
                claimer,
                note(
                    "心愿已确认",
                    "本次未发放积分：已达积分上限或积分项目已停用",
                    w.id,
                ),
            )
            .await?;
        }
        Err(e) => return Err(e),
    }
    inbox::post(
        &*txn,
        claimer,
        note("您完成的心愿已被确认", w.title.clone(), w.id),
    )
    .await?;
    let view = reload(&*txn, w.id).await?;
    txn.commit().await?;
    Ok(view)
}

/// Returns claims past their deadline to the wall, telling the claimer
/// and the wisher. Answers how many returned.
pub async fn return_lapsed_claims(db: &DatabaseConnection) -> ApiResult<usize> {
    let now = time::now();
    let lapsed = wish::Entity::find()
        .filter(wish::Column::Status.eq(WishStatus::Claimed))
        .filter(wish::Column::ClaimDeadline.lt(now))
        .limit(200)
        .all(db)
        .await?;
    let mut returned = 0;
    for w in lapsed {
        let Some(claimer) = w.claimer_id else {
            continue;
        };
        let txn = begin_write(db).await?;
        let set = vec![
            (wish::Column::ClaimerId, Expr::value(Option::<i64>::None)),
            (
                wish::Column::ClaimedAt,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            ),
            (
                wish::Column::ClaimDeadline,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            ),
        ];
        if step(
            &*txn,
            w.id,
            WishStatus::Claimed,
            WishStatus::Open,
            set,
            Some(claimer),
        )
        .await?
        {
            inbox::post(
                &*txn,
                claimer,
                note("认领的心愿已超时，已回到心愿墙", w.title.clone(), w.id),
            )
            .await?;
            inbox::post(
                &*txn,
                w.wisher_id,
                note("您的心愿重新等待认领", w.title.clone(), w.id),
            )
            .await?;
            txn.commit().await?;
            returned += 1;
        } else {
            txn.rollback().await?;
        }
    }
    Ok(returned)
}
