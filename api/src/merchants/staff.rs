//! Clerks of a shop: the owner adds them (by user id or by phone), lists and
//! removes them. A clerk works the desk (see `access`), nothing else.

use chrono::{DateTime, Utc};
use entity::{merchant_staff, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::{FieldErrors, PhoneNumber, mask_phone};
use crate::time;

/// Most clerks one shop may have.
pub const MAX_STAFF: u64 = 50;

/// Who to add: exactly one of `user_id` and `phone`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    /// A mini-program user's id.
    pub user_id: Option<i64>,
    /// The phone the user bound in the mini-program (`13800138000`).
    #[schema(pattern = r"^(1[0-9]{10}|0[0-9]{2,3}-[0-9]{7,8})$")]
    pub phone: Option<String>,
}

/// A clerk as the owner sees them; the phone masked.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClerkView {
    pub user_id: i64,
    pub nickname: String,
    /// Masked, e.g. `138****8000`.
    pub phone: Option<String>,
    pub added_at: DateTime<Utc>,
}

fn to_view(u: user::Model, added_at: DateTime<Utc>) -> ClerkView {
    ClerkView {
        user_id: u.id,
        nickname: u.nickname,
        phone: u.phone.as_deref().map(mask_phone),
        added_at,
    }
}

/// The user `new` names; 422 unless exactly one of user id and phone is
/// given, 404 when nobody matches. Admin accounts and the owner are refused.
async fn target(db: &impl ConnectionTrait, owner: i64, new: &NewStaff) -> ApiResult<user::Model> {
    let mut errors = FieldErrors::default();
    let phone = new
        .phone
        .as_deref()
        .and_then(|p| errors.check("phone", PhoneNumber::parse(p)));
    if new.user_id.is_some() == new.phone.is_some() {
        errors.push("user_id", "user_id 与 phone 须给且只给一个");
    }
    errors.finish()?;
    let mut select = user::Entity::find().filter(user::Column::Openid.is_not_null());
    select = match (new.user_id, phone) {
        (Some(id), _) => select.filter(user::Column::Id.eq(id)),
        (None, Some(phone)) => select
            .filter(user::Column::Phone.eq(phone.as_str()))
            .order_by_desc(user::Column::Id),
        (None, None) => return Err(ErrorCode::UserNotFound.into()),
    };
    let found = select
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::UserNotFound))?;
    if found.id == owner {
        return Err(ApiError::field("user_id", "店主本人无需添加为店员"));
    }
    Ok(found)
}

/// Adds a clerk; 409 `ALREADY_EXISTS` when they already are one.
pub async fn add(
    db: &DatabaseConnection,
    merchant_id: i64,
    owner: i64,
    new: NewStaff,
) -> ApiResult<ClerkView> {
    let who = target(db, owner, &new).await?;
    let txn = crate::db::begin_write(db).await?;
    let count = merchant_staff::Entity::find()
        .filter(merchant_staff::Column::MerchantId.eq(merchant_id))
        .count(&*txn)
        .await?;
    if count >= MAX_STAFF {
        return Err(
            ApiError::new(ErrorCode::Conflict).message(format!("每个商户最多 {MAX_STAFF} 名店员"))
        );
    }
    let now = time::now();
    let inserted = merchant_staff::ActiveModel {
        merchant_id: Set(merchant_id),
        user_id: Set(who.id),
        created_at: Set(now),
    }
    .insert(&*txn)
    .await;
    crate::db::or_conflict(inserted, ErrorCode::AlreadyExists)?;
    txn.commit().await?;
    Ok(to_view(who, now))
}

/// The shop's clerks, earliest added first.
pub async fn list(db: &impl ConnectionTrait, merchant_id: i64) -> ApiResult<Vec<ClerkView>> {
    let rows = merchant_staff::Entity::find()
        .filter(merchant_staff::Column::MerchantId.eq(merchant_id))
        .order_by_asc(merchant_staff::Column::CreatedAt)
        .order_by_asc(merchant_staff::Column::UserId)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.user_id).collect();
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let u = users.iter().find(|u| u.id == r.user_id)?.clone();
            Some(to_view(u, r.created_at))
        })
        .collect())
}

/// Removes a clerk: their next desk request is refused. 404
/// `STAFF_NOT_FOUND` when they are not a clerk of this shop.
pub async fn remove(db: &impl ConnectionTrait, merchant_id: i64, user_id: i64) -> ApiResult<()> {
    let gone = merchant_staff::Entity::delete_by_id((merchant_id, user_id))
        .exec(db)
        .await?;
    if gone.rows_affected == 0 {
        return Err(ErrorCode::StaffNotFound.into());
    }
    Ok(())
}

/// Ids of the shops `user_id` is a clerk of.
pub async fn shops_of_clerk(db: &impl ConnectionTrait, user_id: i64) -> ApiResult<Vec<i64>> {
    Ok(merchant_staff::Entity::find()
        .filter(merchant_staff::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.merchant_id)
        .collect())
}
