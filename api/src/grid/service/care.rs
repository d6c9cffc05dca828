//! Care profiles: a resident's replaced whole, and offline residents an admin registers.

use chrono::{DateTime, Utc};
use entity::{building, care_profile, user};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Set};
use serde::Deserialize;
use utoipa::ToSchema;

use super::residents::{ResidentView, views};
use super::{date, join_tags, next_due, reach};
use crate::auth::{AuthUser, Role, join_roles};
use crate::calendar::local_date;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::Fields;
use crate::grid::{CareTag, CareTier};

/// A care profile, replaced whole.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CareInput {
    /// `red`, `orange`, `yellow`, `blue`, `green`; null or absent = untiered.
    pub tier: Option<String>,
    /// Tags; `living_alone_elderly`, `disabled` and `petitioner` (三必访)
    /// mean a visit at least every 30 days.
    pub tags: Option<Vec<String>>,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
    /// Up to 500 characters.
    pub note: Option<String>,
}

/// An offline resident (no WeChat) an admin registers.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct OfflineInput {
    /// A building of a community the admin administers.
    pub building_id: Option<i64>,
    pub room: Option<String>,
    /// 1-20 characters.
    #[schema(max_length = 20, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: Option<String>,
    /// The resident's phone (required: the grid worker calls it).
    #[schema(pattern = r"^(1[0-9]{10}|0[0-9]{2,3}-[0-9]{7,8})$")]
    pub phone: Option<String>,
    /// 1-20 characters.
    #[schema(max_length = 20, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub guardian_name: Option<String>,
    #[schema(pattern = r"^(1[0-9]{10}|0[0-9]{2,3}-[0-9]{7,8})$")]
    pub guardian_phone: Option<String>,
    #[schema(value_type = Option<crate::grid::CareTier>)]
    pub tier: Option<String>,
    #[schema(value_type = Option<Vec<crate::grid::CareTag>>)]
    pub tags: Option<Vec<String>>,
    pub note: Option<String>,
}

struct Care {
    tier: Option<CareTier>,
    tags: Vec<CareTag>,
    guardian_name: Option<String>,
    guardian_phone: Option<String>,
    note: String,
}

fn parse_care(
    f: &mut Fields,
    tier: Option<&str>,
    tags: Option<&[String]>,
    guardian_name: Option<&str>,
    guardian_phone: Option<&str>,
    note: Option<&str>,
) -> Care {
    let tier = tier.and_then(|raw| {
        CareTier::parse(raw).or_else(|| {
            f.push("tier", "须为 red、orange、yellow、blue 或 green");
            None
        })
    });
    let mut parsed = Vec::new();
    for raw in tags.unwrap_or_default() {
        match CareTag::parse(raw) {
            Some(t) if !parsed.contains(&t) => parsed.push(t),
            Some(_) => {}
            None => f.push("tags", format!("未知的标签 {raw}")),
        }
    }
    Care {
        tier,
        tags: parsed,
        guardian_name: f.optional_text("guardian_name", guardian_name, 20),
        guardian_phone: f.phone("guardian_phone", guardian_phone),
        note: f.optional_text("note", note, 500).unwrap_or_default(),
    }
}

/// Replaces a resident's care profile (their grid worker, or an admin of their community).
#[tracing::instrument(skip_all, fields(user_id = me.id(), resident_id = user_id))]
pub async fn set_care(
    db: &DatabaseConnection,
    me: &AuthUser,
    user_id: i64,
    input: &CareInput,
    now: DateTime<Utc>,
) -> ApiResult<ResidentView> {
    me.require_any(&[Role::GridWorker, Role::CommunityAdmin, Role::PlatformAdmin])?;
    let (resident, _) = reach(db, me, user_id, true).await?;
    let mut f = Fields::new();
    let care = parse_care(
        &mut f,
        input.tier.as_deref(),
        input.tags.as_deref(),
        input.guardian_name.as_deref(),
        input.guardian_phone.as_deref(),
        input.note.as_deref(),
    );
    f.finish()?;
    let today = local_date(now);
    let txn = crate::db::begin_write(db).await?;
    let existing = care_profile::Entity::find_by_id(resident.id)
        .one(&txn)
        .await?;
    let last = existing
        .as_ref()
        .and_then(|p| date(p.last_visited_on.as_deref()));
    let next = next_due(care.tier, &care.tags, last, today).map(|d| d.to_string());
    let is_new = existing.is_none();
    let mut active = match existing {
        Some(p) => p.into_active_model(),
        None => care_profile::ActiveModel {
            user_id: Set(resident.id),
            offline: Set(false),
            last_visited_on: Set(None),
            created_by: Set(me.id()),
            created_at: Set(now),
            ..Default::default()
        },
    };
    active.tier = Set(care.tier.map(|t| t.as_str().to_owned()));
    active.tags = Set(join_tags(&care.tags));
    active.guardian_name = Set(care.guardian_name);
    active.guardian_phone = Set(care.guardian_phone);
    active.note = Set(care.note);
    active.next_visit_due = Set(next);
    active.updated_at = Set(now);
    if is_new {
        // Two first edits at once: the second is told to retry.
        crate::db::or_conflict(active.insert(&txn).await, ErrorCode::Conflict)?;
    } else {
        active.update(&txn).await?;
    }
    txn.commit().await?;
    let mut out = views(db, vec![resident], today).await?;
    out.pop().ok_or_else(|| ErrorCode::UserNotFound.into())
}

/// Registers an offline resident of a building in the admin's community.
#[tracing::instrument(skip_all, fields(user_id = me.id()))]
pub async fn create_offline(
    db: &DatabaseConnection,
    me: &AuthUser,
    input: &OfflineInput,
    now: DateTime<Utc>,
) -> ApiResult<ResidentView> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let mut f = Fields::new();
    let building = match f.required("building_id", input.building_id) {
        Some(id) => {
            let found = building::Entity::find_by_id(id).one(db).await?;
            match &found {
                Some(b) => me.require_admin_of(db, b.community_id).await?,
                None => f.push("building_id", "楼栋不存在"),
            }
            found
        }
        None => None,
    };
    let name = f.text("name", input.name.as_deref(), 1, 20);
    let phone = f.phone("phone", input.phone.as_deref());
    if input.phone.is_none() {
        f.push("phone", "必填");
    }
    let room = f.optional_text("room", input.room.as_deref(), 16);
    let care = parse_care(
        &mut f,
        input.tier.as_deref(),
        input.tags.as_deref(),
        input.guardian_name.as_deref(),
        input.guardian_phone.as_deref(),
        input.note.as_deref(),
    );
    f.finish()?;
    let Some(building) = building else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "offline resident without a building"
        )));
    };
    let today = local_date(now);
    let txn = crate::db::begin_write(db).await?;
    let person = user::ActiveModel {
        nickname: Set(name),
        phone: Set(phone),
        roles: Set(join_roles(&[Role::Resident])),
        community_id: Set(Some(building.community_id)),
        building_id: Set(Some(building.id)),
        room: Set(room),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    care_profile::ActiveModel {
        user_id: Set(person.id),
        tier: Set(care.tier.map(|t| t.as_str().to_owned())),
        tags: Set(join_tags(&care.tags)),
        guardian_name: Set(care.guardian_name),
        guardian_phone: Set(care.guardian_phone),
        note: Set(care.note),
        offline: Set(true),
        last_visited_on: Set(None),
        next_visit_due: Set(next_due(care.tier, &care.tags, None, today).map(|d| d.to_string())),
        created_by: Set(me.id()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    let mut out = views(db, vec![person], today).await?;
    out.pop().ok_or_else(|| ErrorCode::UserNotFound.into())
}
