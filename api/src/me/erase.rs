//! Account erasure (注销): the resident's personal data goes at once, in one
//! transaction; what accounting needs (orders, payments, bookings) stays,
//! pointing at the anonymised row.
//!
//! The row is kept (orders refer to it) with every personal field emptied
//! and `erased_at` set. Its openid is cleared rather than kept, so the same
//! WeChat user logging in again gets a new, empty account (several NULL
//! openids never collide on the unique index).

use chrono::{DateTime, Utc};
use entity::notice_delivery::{self, DeliveryStatus};
use entity::{
    admin_community, auth_session, booking, care_profile, department_staff, grid_worker, helper,
    helper_application, inbox_message, merchant_application, merchant_staff, order, payment,
    request, subscription_grant, user, visit,
};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter,
};

use crate::error::{ApiError, ApiResult, ErrorCode};

/// What an erased account is called wherever its name still shows.
pub const ERASED_NAME: &str = "已注销用户";

/// Erases `me`'s personal data and signs every session out. Admin accounts
/// (username and password) are not erased this way: 403.
pub async fn erase_account(
    db: &DatabaseConnection,
    me: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if me.username.is_some() {
        return Err(ApiError::new(ErrorCode::Forbidden).message("管理员账号不能在此注销"));
    }
    let id = me.id;
    let txn = crate::db::begin_write(db).await?;
    user::Entity::update_many()
        .col_expr(user::Column::Openid, Expr::value(Option::<String>::None))
        .col_expr(user::Column::Unionid, Expr::value(Option::<String>::None))
        .col_expr(
            user::Column::PasswordHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(user::Column::Nickname, Expr::value(ERASED_NAME))
        .col_expr(user::Column::AvatarUrl, Expr::value(Option::<String>::None))
        .col_expr(
            user::Column::AvatarUploadId,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(user::Column::Phone, Expr::value(Option::<String>::None))
        .col_expr(user::Column::Roles, Expr::value(""))
        .col_expr(user::Column::CommunityId, Expr::value(Option::<i64>::None))
        .col_expr(user::Column::BuildingId, Expr::value(Option::<i64>::None))
        .col_expr(user::Column::Room, Expr::value(Option::<String>::None))
        .col_expr(user::Column::BindingPending, Expr::value(false))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .col_expr(user::Column::ErasedAt, Expr::value(Some(now)))
        .filter(user::Column::Id.eq(id))
        .exec(&*txn)
        .await?;
    crate::uploads::release(&*txn, &me.avatar_upload_id.into_iter().collect::<Vec<_>>()).await?;
    // Every session ends: access tokens stop working at once, refresh tokens too.
    auth_session::Entity::update_many()
        .col_expr(auth_session::Column::RevokedAt, Expr::value(Some(now)))
        .filter(auth_session::Column::UserId.eq(id))
        .filter(auth_session::Column::RevokedAt.is_null())
        .exec(&*txn)
        .await?;
    forget_rows(&*txn, id).await?;
    anonymise_records(&*txn, id).await?;
    txn.commit().await?;
    Ok(())
}

/// Rows that are only the person: grants, inbox, care profile, staff roles.
async fn forget_rows(txn: &impl ConnectionTrait, id: i64) -> ApiResult<()> {
    subscription_grant::Entity::delete_many()
        .filter(subscription_grant::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    inbox_message::Entity::delete_many()
        .filter(inbox_message::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    care_profile::Entity::delete_many()
        .filter(care_profile::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    grid_worker::Entity::delete_many()
        .filter(grid_worker::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    department_staff::Entity::delete_many()
        .filter(department_staff::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    admin_community::Entity::delete_many()
        .filter(admin_community::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    merchant_staff::Entity::delete_many()
        .filter(merchant_staff::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    notice_delivery::Entity::update_many()
        .col_expr(
            notice_delivery::Column::Status,
            Expr::value(DeliveryStatus::Skipped),
        )
        .filter(notice_delivery::Column::UserId.eq(id))
        .filter(notice_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .exec(txn)
        .await?;
    Ok(())
}

/// Records kept for accounting and history, with the person taken out.
async fn anonymise_records(txn: &impl ConnectionTrait, id: i64) -> ApiResult<()> {
    booking::Entity::update_many()
        .col_expr(booking::Column::Address, Expr::value(""))
        .col_expr(booking::Column::ContactPhone, Expr::value(""))
        .col_expr(booking::Column::Note, Expr::value(""))
        .filter(booking::Column::ResidentId.eq(id))
        .exec(txn)
        .await?;
    payment::Entity::update_many()
        .col_expr(payment::Column::PayerOpenid, Expr::value(""))
        .filter(payment::Column::Subject.eq(payment::SUBJECT_ORDER))
        .filter(
            payment::Column::OrderId.in_subquery(
                Query::select()
                    .column(order::Column::Id)
                    .from(order::Entity)
                    .and_where(Expr::col(order::Column::UserId).eq(id))
                    .to_owned(),
            ),
        )
        .exec(txn)
        .await?;
    // Meals paid online: the elder's, and those they booked for others.
    payment::Entity::update_many()
        .col_expr(payment::Column::PayerOpenid, Expr::value(""))
        .filter(payment::Column::Subject.eq(payment::SUBJECT_MEAL_BOOKING))
        .filter(
            payment::Column::OrderId.in_subquery(
                Query::select()
                    .column(entity::meal_booking::Column::Id)
                    .from(entity::meal_booking::Entity)
                    .cond_where(
                        Expr::col(entity::meal_booking::Column::UserId)
                            .eq(id)
                            .or(Expr::col(entity::meal_booking::Column::BookedBy).eq(id)),
                    )
                    .to_owned(),
            ),
        )
        .exec(txn)
        .await?;
    request::Entity::update_many()
        .col_expr(
            request::Column::ContactPhone,
            Expr::value(Option::<String>::None),
        )
        .filter(request::Column::ReporterId.eq(id))
        .exec(txn)
        .await?;
    visit::Entity::update_many()
        .col_expr(visit::Column::Notes, Expr::value(""))
        .col_expr(visit::Column::Needs, Expr::value(""))
        .filter(visit::Column::ResidentId.eq(id))
        .exec(txn)
        .await?;
    helper::Entity::update_many()
        .col_expr(helper::Column::DisplayName, Expr::value(ERASED_NAME))
        .col_expr(helper::Column::Phone, Expr::value(""))
        .filter(helper::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    helper_application::Entity::update_many()
        .col_expr(
            helper_application::Column::DisplayName,
            Expr::value(ERASED_NAME),
        )
        .col_expr(helper_application::Column::Phone, Expr::value(""))
        .filter(helper_application::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    merchant_application::Entity::update_many()
        .col_expr(
            merchant_application::Column::ContactName,
            Expr::value(ERASED_NAME),
        )
        .col_expr(merchant_application::Column::ContactPhone, Expr::value(""))
        .filter(merchant_application::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}
