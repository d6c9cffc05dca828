//! Who made a timeline entry, and the writes every path shares: a timeline
//! entry with the messages it owes, and a request's photos.

use chrono::{DateTime, Utc};
use entity::{request, request_event, request_photo};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde_json::Value;

use crate::error::ApiResult;
use crate::requests::{ActorRole, EventKind, PhotoStage};

/// Who made an event.
#[derive(Clone, Copy, Debug)]
pub struct Actor {
    pub id: Option<i64>,
    pub role: ActorRole,
}

impl Actor {
    pub fn user(id: i64, role: ActorRole) -> Self {
        Self { id: Some(id), role }
    }

    pub fn system() -> Self {
        Self {
            id: None,
            role: ActorRole::System,
        }
    }
}

/// Writes a timeline entry and the messages it owes, in the caller's transaction.
pub async fn record(
    conn: &impl ConnectionTrait,
    r: &request::Model,
    kind: EventKind,
    actor: Actor,
    note: &str,
    data: Value,
    now: DateTime<Utc>,
) -> ApiResult<request_event::Model> {
    let event = request_event::ActiveModel {
        request_id: Set(r.id),
        kind: Set(kind.as_str().to_owned()),
        actor_id: Set(actor.id),
        actor_role: Set(actor.role.as_str().to_owned()),
        note: Set(note.to_owned()),
        data: Set(data.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    crate::requests::notify::owe(conn, r, &event, kind).await?;
    Ok(event)
}

/// Saves photo upload ids at positions `first..`.
pub async fn save_photos(
    conn: &impl ConnectionTrait,
    request_id: i64,
    stage: PhotoStage,
    ids: &[i64],
    first: i16,
) -> ApiResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows = ids
        .iter()
        .zip(first..)
        .map(|(&upload_id, position)| request_photo::ActiveModel {
            request_id: Set(request_id),
            stage: Set(stage.as_str().to_owned()),
            position: Set(position),
            upload_id: Set(upload_id),
        });
    request_photo::Entity::insert_many(rows).exec(conn).await?;
    Ok(())
}
