//! A user as clients see them (in the login answer and `GET /me`).

use entity::user;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Role, parse_roles};
use crate::fields::mask_phone;

/// A user as clients see them; the phone is always masked.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub nickname: String,
    pub avatar_url: Option<String>,
    /// Masked, e.g. `138****8000`.
    pub phone: Option<String>,
    pub roles: Vec<Role>,
    pub community_id: Option<i64>,
    pub building_id: Option<i64>,
    pub room: Option<String>,
    /// The building binding awaits a grid worker's or an admin's approval.
    pub binding_pending: bool,
}

impl UserView {
    pub fn from_model(u: &user::Model) -> Self {
        Self {
            id: u.id,
            nickname: u.nickname.clone(),
            avatar_url: u.avatar_url.clone(),
            phone: u.phone.as_deref().map(mask_phone),
            roles: parse_roles(&u.roles),
            community_id: u.community_id,
            building_id: u.building_id,
            room: u.room.clone(),
            binding_pending: u.binding_pending,
        }
    }
}
