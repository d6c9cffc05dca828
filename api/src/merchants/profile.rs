//! The owner's edit of a shop's profile: every bad field answered at once,
//! the logo taken from an upload or a URL, and texts WeChat's content check
//! has to see again put back under review.

use entity::merchant;
use sea_orm::{ActiveModelTrait, DatabaseConnection, IntoActiveModel, Set};
use serde::Deserialize;
use utoipa::ToSchema;

use super::moderation;
use super::service::{MerchantView, full_view};
use crate::db;
use crate::error::ApiResult;
use crate::fields::{self, FieldErrors, HttpsUrl, PhoneNumber};
use crate::media::MediaStore;
use crate::money::Money;
use crate::time;
use crate::uploads::{self, Purpose};

/// The owner's edit; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantPatch {
    /// 1-40 characters.
    #[schema(max_length = 40, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: Option<String>,
    /// 1-200 characters.
    #[schema(max_length = 200, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// Free text up to 100 characters, e.g. `每日 07:00-21:00`.
    #[schema(max_length = 100)]
    pub business_hours: Option<String>,
    /// The shop's notice to customers, up to 500 characters.
    #[schema(max_length = 500)]
    pub announcement: Option<String>,
    /// What the shop says about itself, up to 1000 characters.
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    /// Business phone (mobile or landline).
    #[schema(pattern = r"^(1[0-9]{10}|0[0-9]{2,3}-[0-9]{7,8})$")]
    pub contact_phone: Option<String>,
    /// An https URL; `null` clears it.
    #[serde(default, deserialize_with = "fields::nullable")]
    #[schema(value_type = Option<String>, max_length = 512, pattern = r"^https://[!-~]+$")]
    pub logo_url: Option<Option<String>>,
    /// The id of one of the owner's `merchant_logo` uploads (`POST
    /// /uploads`), instead of `logo_url`, which then answers its URL; `null`
    /// clears it.
    #[serde(default, deserialize_with = "fields::nullable")]
    #[schema(value_type = Option<i64>)]
    pub logo_upload_id: Option<Option<i64>>,
    /// Deliver shop orders to residents' doors.
    pub delivery_enabled: Option<bool>,
    /// The least a delivery order's goods must come to (yuan, 0-10000).
    pub min_order: Option<Money>,
    /// Charged on each delivery order (yuan, 0-100).
    pub delivery_fee: Option<Money>,
}

/// The owner's edit; every bad field is answered at once. `checked`: the
/// state WeChat's check of the texts left (when the edit changes them).
pub async fn update(
    db: &DatabaseConnection,
    media: &MediaStore,
    m: merchant::Model,
    patch: MerchantPatch,
    checked: Option<&'static str>,
) -> ApiResult<MerchantView> {
    let mut errors = FieldErrors::default();
    let name = patch.name.as_deref().map(|v| errors.text("name", v, 1, 40));
    let address = patch
        .address
        .as_deref()
        .map(|v| errors.text("address", v, 1, 200));
    errors.lat_lng(patch.lat.unwrap_or(0.0), patch.lng.unwrap_or(0.0));
    let hours = patch
        .business_hours
        .as_deref()
        .map(|v| errors.text("business_hours", v, 0, 100));
    let announcement = patch
        .announcement
        .as_deref()
        .map(|v| errors.text("announcement", v, 0, 500));
    let description = patch
        .description
        .as_deref()
        .map(|v| errors.text("description", v, 0, 1000));
    let phone = patch
        .contact_phone
        .as_deref()
        .and_then(|v| errors.check("contact_phone", PhoneNumber::parse(v)));
    // None: leave it; Some(None): clear it.
    let logo_url = match &patch.logo_url {
        Some(Some(url)) => errors
            .check("logo_url", HttpsUrl::parse(url))
            .map(|url| Some(url.into_string())),
        Some(None) => Some(None),
        None => None,
    };
    let within = |field: &str, v: Option<Money>, max_fen: i64, errors: &mut FieldErrors| {
        v.filter(|m| {
            let ok = (0..=max_fen).contains(&m.fen());
            if !ok {
                errors.push(field, format!("须在 0-{} 元之间", max_fen / 100));
            }
            ok
        })
    };
    let min_order = within("min_order", patch.min_order, 1_000_000, &mut errors);
    let delivery_fee = within("delivery_fee", patch.delivery_fee, 10_000, &mut errors);
    if patch.logo_url.is_some() && patch.logo_upload_id.is_some() {
        errors.push("logo_upload_id", "logo_url 与 logo_upload_id 只能给一个");
    }
    errors.finish()?;

    let txn = db::begin_write(db).await?;
    // The logo changes: the upload it was is given back, a new one taken.
    let previous: Vec<i64> = m.logo_upload_id.into_iter().collect();
    let owner = m.owner_user_id;
    let moderation = checked.map(|state| moderation::after_edit(&m, state));
    let mut active = m.into_active_model();
    if let Some((state, approved)) = moderation {
        active.moderation = Set(state.to_owned());
        active.approved_text = Set(approved);
    }
    if let Some(v) = description {
        active.description = Set(v);
    }
    if let Some(v) = logo_url {
        active.logo_url = Set(v);
        active.logo_upload_id = Set(None);
        uploads::release(&*txn, &previous).await?;
    }
    if let Some(upload_id) = patch.logo_upload_id {
        let url = match upload_id {
            Some(id) => {
                let u =
                    uploads::claim_one(&*txn, owner, Purpose::MerchantLogo, "logo_upload_id", id)
                        .await?;
                Some(media.public_url(&u.storage_key))
            }
            None => None,
        };
        active.logo_url = Set(url);
        active.logo_upload_id = Set(upload_id);
        uploads::release(&*txn, &previous).await?;
    }
    if let Some(v) = name {
        active.name = Set(v);
    }
    if let Some(v) = address {
        active.address = Set(v);
    }
    if let Some(v) = patch.lat {
        active.lat = Set(v);
    }
    if let Some(v) = patch.lng {
        active.lng = Set(v);
    }
    if let Some(v) = hours {
        active.business_hours = Set(v);
    }
    if let Some(v) = announcement {
        active.announcement = Set(v);
    }
    if let Some(v) = phone {
        active.contact_phone = Set(v.into_string());
    }
    if let Some(v) = patch.delivery_enabled {
        active.delivery_enabled = Set(v);
    }
    if let Some(v) = min_order {
        active.min_order_fen = Set(v.fen());
    }
    if let Some(v) = delivery_fee {
        active.delivery_fee_fen = Set(v.fen());
    }
    active.updated_at = Set(time::now());
    let saved = active.update(&*txn).await?;
    txn.commit().await?;
    full_view(db, saved).await
}
