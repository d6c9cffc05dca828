//! Requests as their viewers see them: the reporter's identity is hidden
//! from everyone but the reporter's own side when the request is anonymous,
//! in the request and in its timeline.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    building, city_component, community, department, request, request_category, request_event,
    request_photo, user,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::access::Relation;
use super::{ActorRole, Escalation, EventKind, ExtensionState, Level, PhotoStage, Status, Urgency};
use crate::error::ApiResult;

/// A person named on a request.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonView {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ExtensionView {
    pub state: ExtensionState,
    /// The whole time to resolve asked for, in working days from submission.
    pub working_days: Option<i16>,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    pub id: i64,
    pub kind: EventKind,
    pub actor_role: ActorRole,
    /// None for the system, and for the reporter of an anonymous request
    /// when the viewer is not on the reporter's side.
    pub actor: Option<PersonView>,
    pub note: String,
    /// The event's particulars (deadlines, levels, departments, rating ...).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestView {
    pub id: i64,
    pub status: Status,
    pub category_id: i64,
    pub category_name: String,
    pub content: String,
    /// Upload ids of the reporter's photos.
    pub photos: Vec<i64>,
    pub urgency: Urgency,
    /// A grid worker's 速办件.
    pub express: bool,
    pub anonymous: bool,
    pub community_id: i64,
    pub community_name: String,
    pub grid_id: Option<i64>,
    pub building_id: Option<i64>,
    pub building_name: Option<String>,
    pub component_id: Option<i64>,
    pub component_name: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub address: String,
    /// Null when the request is anonymous and the viewer handles or supervises it.
    pub reporter: Option<PersonView>,
    /// The phone to call back (hidden with the reporter).
    pub contact_phone: Option<String>,
    /// The grid worker who filed it for the reporter (代办).
    pub filed_by: Option<PersonView>,
    pub consent: Option<String>,
    /// Who handles it now.
    pub level: Level,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub assign_due_at: DateTime<Utc>,
    pub accept_due_at: Option<DateTime<Utc>>,
    pub resolve_due_at: DateTime<Utc>,
    /// The deadline of the clock running now; null when none runs.
    pub due_at: Option<DateTime<Utc>>,
    /// The running clock has run out.
    pub overdue: bool,
    pub escalation: Escalation,
    pub assigned_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
    pub resolution_photos: Vec<i64>,
    /// Resolved by its deadline.
    pub on_time: Option<bool>,
    pub extension: ExtensionView,
    pub urge_count: i32,
    pub reopen_count: i16,
    pub rating: Option<i16>,
    pub rating_comment: Option<String>,
    /// Rated automatically (satisfied) 48 hours after resolution.
    pub rating_auto: bool,
    pub rated_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Who did what when; in the detail only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

/// What the views need besides the rows, fetched once per page.
struct Names {
    categories: HashMap<i64, String>,
    communities: HashMap<i64, String>,
    buildings: HashMap<i64, String>,
    components: HashMap<i64, String>,
    departments: HashMap<i64, String>,
    people: HashMap<i64, user::Model>,
    photos: HashMap<(i64, String), Vec<i64>>,
}

async fn names(
    conn: &impl ConnectionTrait,
    rows: &[request::Model],
    extra_people: &[i64],
) -> ApiResult<Names> {
    fn ids(rows: &[request::Model], f: impl Fn(&request::Model) -> Option<i64>) -> Vec<i64> {
        rows.iter()
            .filter_map(f)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect()
    }
    let mut people: Vec<i64> = ids(rows, |r| Some(r.reporter_id));
    people.extend(ids(rows, |r| r.filed_by));
    people.extend_from_slice(extra_people);
    let request_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut photos: HashMap<(i64, String), Vec<i64>> = HashMap::new();
    for p in request_photo::Entity::find()
        .filter(request_photo::Column::RequestId.is_in(request_ids))
        .order_by_asc(request_photo::Column::Position)
        .all(conn)
        .await?
    {
        photos
            .entry((p.request_id, p.stage))
            .or_default()
            .push(p.upload_id);
    }
    Ok(Names {
        categories: request_category::Entity::find()
            .filter(request_category::Column::Id.is_in(ids(rows, |r| Some(r.category_id))))
            .all(conn)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
        communities: community::Entity::find()
            .filter(community::Column::Id.is_in(ids(rows, |r| Some(r.community_id))))
            .all(conn)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
        buildings: building::Entity::find()
            .filter(building::Column::Id.is_in(ids(rows, |r| r.building_id)))
            .all(conn)
            .await?
            .into_iter()
            .map(|b| (b.id, b.name))
            .collect(),
        components: city_component::Entity::find()
            .filter(city_component::Column::Id.is_in(ids(rows, |r| r.component_id)))
            .all(conn)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
        departments: department::Entity::find()
            .filter(department::Column::Id.is_in(ids(rows, |r| r.department_id)))
            .all(conn)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect(),
        people: user::Entity::find()
            .filter(user::Column::Id.is_in(people))
            .all(conn)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect(),
        photos,
    })
}

fn person(names: &Names, id: i64) -> Option<PersonView> {
    names.people.get(&id).map(|u| PersonView {
        id: u.id,
        name: u.nickname.clone(),
        phone: u.phone.clone(),
    })
}

fn build(r: request::Model, names: &Names, sees_identity: bool, now: DateTime<Utc>) -> RequestView {
    let hidden = r.anonymous && !sees_identity;
    let photos = |stage: PhotoStage| {
        names
            .photos
            .get(&(r.id, stage.as_str().to_owned()))
            .cloned()
            .unwrap_or_default()
    };
    let status = r.status;
    RequestView {
        status,
        category_name: names
            .categories
            .get(&r.category_id)
            .cloned()
            .unwrap_or_default(),
        photos: photos(PhotoStage::Report),
        resolution_photos: photos(PhotoStage::Resolution),
        urgency: Urgency::parse(&r.urgency).unwrap_or(Urgency::Normal),
        community_name: names
            .communities
            .get(&r.community_id)
            .cloned()
            .unwrap_or_default(),
        building_name: r.building_id.and_then(|b| names.buildings.get(&b).cloned()),
        component_name: r
            .component_id
            .and_then(|c| names.components.get(&c).cloned()),
        reporter: if hidden {
            None
        } else {
            person(names, r.reporter_id)
        },
        contact_phone: if hidden {
            None
        } else {
            r.contact_phone.clone()
        },
        filed_by: r.filed_by.and_then(|f| person(names, f)),
        level: r.level,
        department_name: r
            .department_id
            .and_then(|d| names.departments.get(&d).cloned()),
        overdue: status.is_live() && r.due_at.is_some_and(|due| due <= now),
        escalation: Escalation::from_level(r.escalation),
        extension: ExtensionView {
            state: r.extension_state,
            working_days: r.extension_days,
            reason: r.extension_reason.clone(),
        },
        id: r.id,
        category_id: r.category_id,
        content: r.content,
        express: r.express,
        anonymous: r.anonymous,
        community_id: r.community_id,
        grid_id: r.grid_id,
        building_id: r.building_id,
        component_id: r.component_id,
        lat: r.lat,
        lng: r.lng,
        address: r.address,
        consent: r.consent,
        department_id: r.department_id,
        submitted_at: r.submitted_at,
        assign_due_at: r.assign_due_at,
        accept_due_at: r.accept_due_at,
        resolve_due_at: r.resolve_due_at,
        due_at: r.due_at,
        assigned_at: r.assigned_at,
        accepted_at: r.accepted_at,
        resolved_at: r.resolved_at,
        resolution: r.resolution,
        on_time: r.on_time,
        urge_count: r.urge_count,
        reopen_count: r.reopen_count,
        rating: r.rating,
        rating_comment: r.rating_comment,
        rating_auto: r.rating_auto,
        rated_at: r.rated_at,
        updated_at: r.updated_at,
        timeline: None,
    }
}

/// List items for `viewer`, who sees an anonymous reporter only on the
/// reporter's side (the reporter, or the grid worker who filed).
pub async fn list(
    conn: &impl ConnectionTrait,
    rows: Vec<request::Model>,
    viewer: i64,
    now: DateTime<Utc>,
) -> ApiResult<Vec<RequestView>> {
    let names = names(conn, &rows, &[]).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let own_side = r.reporter_id == viewer || r.filed_by == Some(viewer);
            build(r, &names, own_side, now)
        })
        .collect())
}

/// One request with its timeline, as `rel` may see it.
pub async fn detail(
    conn: &impl ConnectionTrait,
    r: request::Model,
    rel: &Relation,
    now: DateTime<Utc>,
) -> ApiResult<RequestView> {
    let events = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(r.id))
        .order_by_asc(request_event::Column::Id)
        .all(conn)
        .await?;
    let actors: Vec<i64> = events.iter().filter_map(|e| e.actor_id).collect();
    let names = names(conn, std::slice::from_ref(&r), &actors).await?;
    let hidden = r.anonymous && !rel.sees_identity();
    let reporter_id = r.reporter_id;
    let timeline = events
        .into_iter()
        .map(|e| TimelineEntry {
            actor: match e.actor_id {
                Some(id) if hidden && id == reporter_id => None,
                Some(id) => person(&names, id),
                None => None,
            },
            kind: EventKind::parse(&e.kind).unwrap_or(EventKind::Submitted),
            actor_role: ActorRole::parse(&e.actor_role).unwrap_or(ActorRole::System),
            note: e.note,
            data: serde_json::from_str(&e.data).unwrap_or_default(),
            created_at: e.created_at,
            id: e.id,
        })
        .collect();
    let mut view = build(r, &names, rel.sees_identity(), now);
    view.timeline = Some(timeline);
    Ok(view)
}
