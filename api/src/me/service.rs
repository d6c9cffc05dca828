//! The caller's own profile: edits, building binding and the phone from WeChat.

use entity::{building, user};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Set,
};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::bindings::service as bindings;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::fields::{self, FieldErrors, HttpsUrl};
use crate::media::MediaStore;
use crate::time;
use crate::uploads::{self, Purpose};
use crate::wechat::{WechatClient, WechatError};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    /// 1-32 characters.
    #[schema(max_length = 32, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub nickname: Option<String>,
    /// An https URL; `null` clears it.
    #[serde(default, deserialize_with = "fields::nullable")]
    #[schema(value_type = Option<String>, max_length = 512, pattern = r"^https://[!-~]+$")]
    pub avatar_url: Option<Option<String>>,
    /// The id of one of the caller's `avatar` uploads (`POST /uploads`),
    /// instead of `avatar_url`, which then answers its URL; `null` clears it.
    #[serde(default, deserialize_with = "fields::nullable")]
    #[schema(value_type = Option<i64>)]
    pub avatar_upload_id: Option<Option<i64>>,
    /// Binds the user to a building and so to its community; `null` unbinds.
    #[serde(default, deserialize_with = "fields::nullable")]
    #[schema(value_type = Option<i64>)]
    pub building_id: Option<Option<i64>>,
    /// Room number, up to 32 characters; `null` clears it.
    #[serde(default, deserialize_with = "fields::nullable")]
    #[schema(value_type = Option<String>, max_length = 32)]
    pub room: Option<Option<String>>,
}

#[derive(Deserialize, ToSchema)]
pub struct PhoneRequest {
    /// The code from the mini-program's phone-number button.
    #[schema(pattern = r"^[!-~]{1,128}$")]
    pub code: String,
}

/// Applies the caller's edit; every bad field is answered at once.
pub async fn update_profile(
    db: &DatabaseConnection,
    media: &MediaStore,
    me: user::Model,
    patch: MePatch,
) -> ApiResult<user::Model> {
    let owner = me.id;
    let mut errors = FieldErrors::default();
    let nickname = patch
        .nickname
        .as_deref()
        .map(|v| errors.text("nickname", v, 1, 32));
    // None: leave it; Some(None): clear it.
    let avatar_url = match &patch.avatar_url {
        Some(Some(url)) => errors
            .check("avatar_url", HttpsUrl::parse(url))
            .map(|url| Some(url.into_string())),
        Some(None) => Some(None),
        None => None,
    };
    if patch.avatar_url.is_some() && patch.avatar_upload_id.is_some() {
        errors.push(
            "avatar_upload_id",
            "avatar_url 与 avatar_upload_id 只能给一个",
        );
    }
    if let Some(Some(room)) = &patch.room
        && (room.trim().is_empty() || room.chars().count() > 32)
    {
        errors.push("room", "房号须为 1-32 个字符");
    }
    let building = match patch.building_id {
        Some(Some(id)) => {
            let found = building::Entity::find_by_id(id).one(db).await?;
            if found.is_none() {
                errors.push("building_id", "楼栋不存在");
            }
            found
        }
        _ => None,
    };
    errors.finish()?;

    let txn = db::begin_write(db).await?;
    // The avatar changes: the upload it was is given back, a new one taken.
    let previous = me.avatar_upload_id;
    let current_building = me.building_id;
    let mut active = me.into_active_model();
    if let Some(nickname) = nickname {
        active.nickname = Set(nickname);
    }
    if let Some(avatar_url) = avatar_url {
        active.avatar_url = Set(avatar_url);
        active.avatar_upload_id = Set(None);
        uploads::release(&*txn, &previous.into_iter().collect::<Vec<_>>()).await?;
    }
    if let Some(upload_id) = patch.avatar_upload_id {
        let url = match upload_id {
            Some(id) => {
                let u = uploads::claim_one(&*txn, owner, Purpose::Avatar, "avatar_upload_id", id)
                    .await?;
                Some(media.public_url(&u.storage_key))
            }
            None => None,
        };
        active.avatar_url = Set(url);
        active.avatar_upload_id = Set(upload_id);
        uploads::release(&*txn, &previous.into_iter().collect::<Vec<_>>()).await?;
    }
    if let Some(room) = patch.room {
        active.room = Set(room.map(|r| r.trim().to_owned()));
    }
    match (patch.building_id, building) {
        // A new building waits for approval where its community asks for it.
        (Some(Some(_)), Some(b)) if Some(b.id) != current_building => {
            let pending = bindings::requires_approval(&*txn, b.community_id).await?;
            active.building_id = Set(Some(b.id));
            active.community_id = Set(Some(b.community_id));
            active.binding_pending = Set(pending);
        }
        (Some(None), _) => {
            active.building_id = Set(None);
            active.community_id = Set(None);
            active.binding_pending = Set(false);
        }
        _ => {}
    }
    active.updated_at = Set(time::now());
    let saved = active.update(&*txn).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Binds the phone WeChat gives for the code of its phone-number button.
pub async fn bind_phone(
    db: &impl ConnectionTrait,
    wechat: &WechatClient,
    me: user::Model,
    code: &str,
) -> ApiResult<user::Model> {
    let code = code.trim();
    if code.is_empty() || code.len() > 128 {
        return Err(ApiError::field("code", "缺少手机号授权码"));
    }
    let phone = match wechat.phone_number(code).await {
        Ok(phone) => phone,
        Err(WechatError::InvalidCode(_)) => {
            return Err(ApiError::field("code", "手机号授权码无效或已使用"));
        }
        Err(err) => return Err(err.into()),
    };
    let mut active = me.into_active_model();
    active.phone = Set(Some(phone.pure_number));
    active.updated_at = Set(time::now());
    Ok(active.update(db).await?)
}
