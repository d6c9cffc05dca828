//! Who may work a merchant's order and pickup desk. One function, so that
//! letting clerks in later changes one place.

use entity::merchant;
use sea_orm::ConnectionTrait;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::merchants::service::require_owner;

/// The merchant `merchant_id` when the caller may work its order desk
/// (today: its owner); 403 otherwise, 404 when there is no such merchant.
pub async fn may_work_desk(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    me: &AuthUser,
) -> ApiResult<merchant::Model> {
    require_owner(db, merchant_id, me).await
}
