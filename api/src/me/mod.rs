//! `/me`: the caller's own profile, building binding and phone.

use actix_web::{get, patch, post, web};
use entity::{building, user};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{AuthUser, Role, parse_roles};
use crate::error::{ApiError, ApiResult, ErrorBody, FieldError};
use crate::extract::Json;
use crate::state::AppState;
use crate::time;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_me).service(patch_me).service(bind_phone);
}

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
        }
    }
}

/// `13800138000` → `138****8000`; short numbers keep only their last digits.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let n = chars.len();
    if n >= 7 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[n - 4..].iter().collect();
        format!("{head}****{tail}")
    } else {
        let tail: String = chars[n.saturating_sub(2)..].iter().collect();
        format!("****{tail}")
    }
}

/// Distinguishes an absent field (leave as is) from `null` (clear it).
fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    /// 1-32 characters.
    pub nickname: Option<String>,
    /// An https URL; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub avatar_url: Option<Option<String>>,
    /// Binds the user to a building and so to its community; `null` unbinds.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub building_id: Option<Option<i64>>,
    /// Room number, up to 32 characters; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub room: Option<Option<String>>,
}

#[derive(Deserialize, ToSchema)]
pub struct PhoneRequest {
    /// The code from the mini-program's phone-number button.
    pub code: String,
}

/// The caller's profile.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserView),
        (status = 401, description = "UNAUTHORIZED, TOKEN_INVALID or TOKEN_EXPIRED", body = ErrorBody),
    )
)]
#[get("/me")]
async fn get_me(me: AuthUser) -> web::Json<UserView> {
    web::Json(UserView::from_model(&me.user))
}

/// Edit nickname, avatar, building and room.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    request_body = MePatch,
    responses(
        (status = 200, body = UserView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED (building_id that does not exist included)", body = ErrorBody),
    )
)]
#[patch("/me")]
async fn patch_me(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<MePatch>,
) -> ApiResult<web::Json<UserView>> {
    let patch = body.0;
    let mut errors = Vec::new();
    if let Some(nickname) = &patch.nickname {
        let n = nickname.trim().chars().count();
        if n == 0 || n > 32 {
            errors.push(FieldError::new("nickname", "昵称须为 1-32 个字符"));
        }
    }
    if let Some(Some(url)) = &patch.avatar_url
        && (!url.starts_with("https://") || url.len() > 512 || url.contains(char::is_whitespace))
    {
        errors.push(FieldError::new(
            "avatar_url",
            "头像须为 https 链接，不超过 512 个字符",
        ));
    }
    if let Some(Some(room)) = &patch.room
        && (room.trim().is_empty() || room.chars().count() > 32)
    {
        errors.push(FieldError::new("room", "房号须为 1-32 个字符"));
    }
    let building = match patch.building_id {
        Some(Some(id)) => {
            let found = building::Entity::find_by_id(id).one(&state.db).await?;
            if found.is_none() {
                errors.push(FieldError::new("building_id", "楼栋不存在"));
            }
            found
        }
        _ => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }

    let mut active = me.user.clone().into_active_model();
    if let Some(nickname) = patch.nickname {
        active.nickname = Set(nickname.trim().to_owned());
    }
    if let Some(avatar) = patch.avatar_url {
        active.avatar_url = Set(avatar);
    }
    if let Some(room) = patch.room {
        active.room = Set(room.map(|r| r.trim().to_owned()));
    }
    match patch.building_id {
        Some(Some(_)) => {
            if let Some(b) = building {
                active.building_id = Set(Some(b.id));
                active.community_id = Set(Some(b.community_id));
            }
        }
        Some(None) => {
            active.building_id = Set(None);
            active.community_id = Set(None);
        }
        None => {}
    }
    active.updated_at = Set(time::now());
    let saved = active.update(&state.db).await?;
    Ok(web::Json(UserView::from_model(&saved)))
}

/// Bind the phone number from WeChat's phone-number button.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    request_body = PhoneRequest,
    responses(
        (status = 200, description = "The profile with the masked phone", body = UserView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED: the code is missing, invalid or used", body = ErrorBody),
        (status = 503, description = "WECHAT_UNAVAILABLE", body = ErrorBody),
    )
)]
#[post("/me/phone")]
async fn bind_phone(
    state: web::Data<AppState>,
    me: AuthUser,
    body: Json<PhoneRequest>,
) -> ApiResult<web::Json<UserView>> {
    let code = body.code.trim();
    if code.is_empty() || code.len() > 128 {
        return Err(ApiError::field("code", "缺少手机号授权码"));
    }
    let phone = match state.wechat.phone_number(code).await {
        Ok(phone) => phone,
        Err(crate::wechat::WechatError::InvalidCode(_)) => {
            return Err(ApiError::field("code", "手机号授权码无效或已使用"));
        }
        Err(err) => return Err(err.into()),
    };
    let mut active = me.user.clone().into_active_model();
    active.phone = Set(Some(phone.pure_number));
    active.updated_at = Set(time::now());
    let saved = active.update(&state.db).await?;
    Ok(web::Json(UserView::from_model(&saved)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn phones_are_masked() {
        assert_eq!(super::mask_phone("13800138000"), "138****8000");
        assert_eq!(super::mask_phone("12345"), "****45");
        assert_eq!(super::mask_phone(""), "****");
    }
}
