//! Reporting a request (`POST /requests`): by a resident, or by a grid
//! worker for a resident of their grid (代办, consent recorded) or on their
//! own; a 速办件 (express) skips the community's queue and goes straight to
//! the category's department.

use entity::{building, city_component, community, grid_worker, request, user};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::flow::{Actor, record, save_photos};
use super::{
    ActorRole, Ctx, EventKind, ExtensionState, Level, MAX_PHOTOS, PhotoStage, Status, Urgency,
    categories,
};
use crate::auth::{AuthUser, Role};
use crate::calendar::local_date;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::Fields;

/// A report. Every field may be missing so that all problems are listed at once.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct ReportInput {
    /// A leaf of `GET /request-categories`.
    pub category_id: Option<i64>,
    /// What is wrong, 5-1000 characters.
    #[schema(
        min_length = 5,
        max_length = 1000,
        pattern = r"^\s*[^\s\u0000][^\u0000]{3,}[^\s\u0000]\s*$"
    )]
    pub content: Option<String>,
    /// Up to 9 upload ids (purpose `request_photo`).
    #[schema(max_items = 9)]
    pub photos: Option<Vec<i64>>,
    /// The building (bound, or scanned from its code).
    pub building_id: Option<i64>,
    /// The city component scanned.
    pub component_id: Option<i64>,
    /// With lat/lng only: the community it happens in (default: the reporter's).
    pub community_id: Option<i64>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// Where exactly (单元, 楼层, 电梯口 ...), up to 100 characters.
    #[schema(max_length = 100)]
    pub address: Option<String>,
    /// Hide the reporter from everyone handling the request (default false).
    pub anonymous: Option<bool>,
    /// `normal` (default) or `urgent`.
    #[schema(schema_with = urgencies)]
    pub urgency: Option<String>,
    /// A phone the handler may call back (default: the reporter's).
    #[schema(pattern = r"^(1[0-9]{10}|0[0-9]{2,3}-[0-9]{7,8})$")]
    pub contact_phone: Option<String>,
    /// A grid worker filing for a resident of their grid (代办).
    pub on_behalf_of_user_id: Option<i64>,
    /// How the resident agreed to 代办 (required with `on_behalf_of_user_id`), 2-200 characters.
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = r"^\s*[^\s\u0000][^\u0000]{0,}[^\s\u0000]\s*$"
    )]
    pub consent: Option<String>,
    /// A grid worker's 速办件: straight to the category's department, skipping the community's queue.
    pub express: Option<bool>,
}
fn urgencies() -> utoipa::openapi::Object {
    crate::openapi::choices(&["normal", "urgent"])
}

/// A report that passed every check.
struct Draft {
    category: entity::request_category::Model,
    content: String,
    photos: Vec<i64>,
    community_id: i64,
    grid_id: Option<i64>,
    building_id: Option<i64>,
    component_id: Option<i64>,
    lat_lng: Option<(f64, f64)>,
    address: String,
    anonymous: bool,
    urgency: Urgency,
    contact_phone: Option<String>,
    consent: Option<String>,
    express: bool,
}

/// Who the request is for, and who filed it.
struct Reporter {
    user: user::Model,
    filed_by: Option<i64>,
}

async fn reporter(
    conn: &impl ConnectionTrait,
    me: &AuthUser,
    input: &ReportInput,
) -> ApiResult<Reporter> {
    me.require_any(&[Role::Resident, Role::GridWorker])?;
    let express = input.express.unwrap_or(false);
    let for_other = input.on_behalf_of_user_id.filter(|&u| u != me.id());
    if express || for_other.is_some() {
        me.require(Role::GridWorker)?;
    }
    let Some(uid) = for_other else {
        return Ok(Reporter {
            user: me.user.clone(),
            filed_by: None,
        });
    };
    let forbidden = || ApiError::new(ErrorCode::Forbidden).message("只能为本网格的居民代办");
    let target = user::Entity::find_by_id(uid)
        .one(conn)
        .await?
        .ok_or_else(forbidden)?;
    let grid = match target.building_id {
        Some(b) => building::Entity::find_by_id(b)
            .one(conn)
            .await?
            .map(|b| b.grid_id),
        None => None,
    };
    let works = match grid {
        Some(g) => grid_worker::Entity::find_by_id((me.id(), g))
            .one(conn)
            .await?
            .is_some(),
        None => false,
    };
    if !works {
        return Err(forbidden());
    }
    Ok(Reporter {
        user: target,
        filed_by: Some(me.id()),
    })
}

async fn parse(
    conn: &impl ConnectionTrait,
    input: &ReportInput,
    reporter: &Reporter,
) -> ApiResult<Draft> {
    let mut f = Fields::new();
    let category_id = f.required("category_id", input.category_id);
    let content = f.text("content", input.content.as_deref(), 5, 1000);
    let photos = f.ids("photos", input.photos.as_deref(), MAX_PHOTOS);
    let address = f
        .optional_text("address", input.address.as_deref(), 100)
        .unwrap_or_default();
    let urgency = match input.urgency.as_deref() {
        None => Urgency::Normal,
        Some(raw) => Urgency::parse(raw).unwrap_or_else(|| {
            f.push("urgency", "须为 normal 或 urgent");
            Urgency::Normal
        }),
    };
    let contact_phone = f.phone("contact_phone", input.contact_phone.as_deref());
    let consent = if reporter.filed_by.is_some() {
        Some(f.text("consent", input.consent.as_deref(), 2, 200))
    } else {
        if input.consent.is_some() {
            f.push("consent", "仅代办时填写");
        }
        None
    };
    let lat_lng = f.lat_lng(input.lat, input.lng);

    let category = match category_id {
        Some(id) => {
            let found = categories::fileable(conn, id).await?;
            if found.is_none() {
                f.push("category_id", "类别不存在、已停用或不是末级类别");
            }
            found
        }
        None => None,
    };
    // The place: the building or component named, else (with neither nor
    // coordinates nor a community) the reporter's own building.
    let building_id = match (
        input.building_id,
        input.component_id,
        lat_lng,
        input.community_id,
    ) {
        (None, None, None, None) => reporter.user.building_id,
        _ => input.building_id,
    };
    let mut place: Option<(i64, Option<i64>)> = None;
    if let Some(id) = building_id {
        match building::Entity::find_by_id(id).one(conn).await? {
            Some(b) => place = Some((b.community_id, Some(b.grid_id))),
            None => f.push("building_id", "楼栋不存在"),
        }
    }
    if let Some(id) = input.component_id {
        match city_component::Entity::find_by_id(id).one(conn).await? {
            Some(c) => match place {
                Some((community, _)) if community != c.community_id => {
                    f.push("component_id", "与楼栋不在同一社区")
                }
                Some((community, None)) => place = Some((community, c.grid_id)),
                Some(_) => {}
                None => place = Some((c.community_id, c.grid_id)),
            },
            None => f.push("component_id", "城市部件不存在"),
        }
    }
    if place.is_none() && building_id.is_none() && input.component_id.is_none() {
        match input.community_id.or(reporter.user.community_id) {
            Some(id) if community::Entity::find_by_id(id).one(conn).await?.is_some() => {
                place = Some((id, None));
            }
            Some(_) => f.push("community_id", "社区不存在"),
            None => f.push("building_id", "请选择楼栋、扫描二维码，或填写经纬度和社区"),
        }
    }
    f.finish()?;
    let (Some(category), Some((community_id, grid_id))) = (category, place) else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "report parsed without a category or place"
        )));
    };
    Ok(Draft {
        category,
        content,
        photos,
        community_id,
        grid_id,
        building_id,
        component_id: input.component_id,
        lat_lng,
        address,
        anonymous: input.anonymous.unwrap_or(false),
        urgency,
        contact_phone: contact_phone.or_else(|| reporter.user.phone.clone()),
        consent,
        express: input.express.unwrap_or(false),
    })
}

/// Files the report in the caller's write transaction; answers the saved row.
#[tracing::instrument(skip_all, fields(user_id = me.id(), request_id))]
pub async fn create(
    conn: &impl ConnectionTrait,
    ctx: Ctx<'_>,
    me: &AuthUser,
    input: &ReportInput,
) -> ApiResult<request::Model> {
    let reporter = reporter(conn, me, input).await?;
    let draft = parse(conn, input, &reporter).await?;
    if draft.express {
        let mine = match draft.grid_id {
            Some(g) => grid_worker::Entity::find_by_id((me.id(), g))
                .one(conn)
                .await?
                .is_some(),
            None => false,
        };
        if !mine {
            return Err(ApiError::new(ErrorCode::Forbidden).message("速办件只能在本人网格内提交"));
        }
    }
    let category = &draft.category;
    let category_level = category.level;
    // Where it goes first: a 速办件 straight to the department (or the
    // category's own level without one); a grid-level category to its grid
    // (网格接单); anything else to the community's queue (中心派单).
    let routed = if draft.express {
        match category.department_id {
            Some(d) => Some((Level::Department, Some(d))),
            None if category_level == Level::Grid && draft.grid_id.is_some() => {
                Some((Level::Grid, None))
            }
            None => Some((Level::Community, None)),
        }
    } else if category_level == Level::Grid && draft.grid_id.is_some() {
        Some((Level::Grid, None))
    } else {
        None
    };
    let now = ctx.now;
    let cal = ctx.calendar;
    let assign_due = cal.add_working_days(now, std::cmp::max(category.assign_days, 1) as u32)?;
    let resolve_due = cal.add_working_days(now, std::cmp::max(category.resolve_days, 1) as u32)?;
    let accept_due = match routed {
        Some(_) => Some(cal.add_working_days(now, std::cmp::max(category.accept_days, 1) as u32)?),
        None => None,
    };
    let (status, level, department_id) = match routed {
        Some((level, department)) => (Status::Assigned, level, department),
        None => (Status::Submitted, Level::Community, None),
    };
    let saved = request::ActiveModel {
        community_id: Set(draft.community_id),
        grid_id: Set(draft.grid_id),
        building_id: Set(draft.building_id),
        component_id: Set(draft.component_id),
        lat: Set(draft.lat_lng.map(|l| l.0)),
        lng: Set(draft.lat_lng.map(|l| l.1)),
        address: Set(draft.address),
        category_id: Set(category.id),
        content: Set(draft.content),
        urgency: Set(draft.urgency.as_str().to_owned()),
        express: Set(draft.express),
        anonymous: Set(draft.anonymous),
        reporter_id: Set(reporter.user.id),
        filed_by: Set(reporter.filed_by),
        consent: Set(draft.consent),
        contact_phone: Set(draft.contact_phone),
        status: Set(status),
        level: Set(level),
        department_id: Set(department_id),
        assign_due_at: Set(assign_due),
        accept_due_at: Set(accept_due),
        resolve_due_at: Set(resolve_due),
        due_at: Set(Some(accept_due.unwrap_or(assign_due))),
        overdue_since: Set(None),
        escalation: Set(0),
        assigned_at: Set(routed.map(|_| now)),
        accepted_at: Set(None),
        accepted_by: Set(None),
        accept_secs: Set(None),
        resolved_at: Set(None),
        resolved_by: Set(None),
        resolution: Set(None),
        resolve_secs: Set(None),
        on_time: Set(None),
        extension_state: Set(ExtensionState::None),
        extension_days: Set(None),
        extension_reason: Set(None),
        urge_count: Set(0),
        last_urged_on: Set(None),
        reopen_count: Set(0),
        rating: Set(None),
        rating_comment: Set(None),
        rated_at: Set(None),
        rating_auto: Set(false),
        submitted_at: Set(now),
        submitted_on: Set(local_date(now).to_string()),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    tracing::Span::current().record("request_id", saved.id);
    save_photos(conn, saved.id, PhotoStage::Report, &draft.photos, 0).await?;
    let filer = if reporter.filed_by.is_some() {
        ActorRole::GridWorker
    } else {
        ActorRole::Reporter
    };
    record(
        conn,
        &saved,
        EventKind::Submitted,
        Actor::user(me.id(), filer),
        "",
        serde_json::json!({
            "express": saved.express,
            "filed_for": reporter.filed_by.map(|_| saved.reporter_id),
            "assign_due_at": saved.assign_due_at,
            "resolve_due_at": saved.resolve_due_at,
        }),
        now,
    )
    .await?;
    if let Some((level, department)) = routed {
        record(
            conn,
            &saved,
            EventKind::Assigned,
            Actor::system(),
            if saved.express {
                "速办件直派"
            } else {
                "网格接单"
            },
            serde_json::json!({
                "level": level,
                "department_id": department,
                "accept_due_at": accept_due,
            }),
            now,
        )
        .await?;
    }
    Ok(saved)
}
