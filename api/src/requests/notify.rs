//! Who hears of each event of a request, and the subscribe messages owed.
//!
//! [`audience`] is the one place that decides, per event, who should be
//! told and how: a subscribe message (to the reporter; only WeChat users
//! with a `request` grant receive one) or an inbox item (staff, and the
//! reporter; written by [`owe`] in the event's transaction). Messages owed
//! are rows of `request_notifications`, written in the event's transaction
//! (UNIQUE(event_id, user_id): once per event and user); the sender claims a
//! row by setting `sent_at` conditionally, so with any number of instances
//! each goes out at most once.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use entity::{
    admin_community, department_staff, grid_worker, request, request_category, request_event,
    request_notification,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use super::{Escalation, EventKind, Level};
use crate::error::ApiResult;
use crate::inbox::{self, Kind as InboxKind, Message};
use crate::state::AppState;
use crate::subscriptions::sender::{Delivery, deliver};
use crate::wechat::fit;

/// The subscribe-message topic of requests.
pub const TOPIC: &str = "request";

/// Who is told of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whom {
    /// The reporter (and so the resident a grid worker filed for).
    Reporter,
    /// Whoever handles the request at its level now.
    Handlers,
    /// The admins of the request's community.
    CommunityAdmins,
    /// The heads of the request's department (or its category's).
    DepartmentHeads,
}

/// How they are told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    SubscribeMessage,
    Inbox,
}

/// Who should hear of `kind` on `r` (as it is after the event), and how.
pub fn audience(kind: EventKind, r: &request::Model) -> Vec<(Whom, Channel)> {
    use Channel::{Inbox, SubscribeMessage};
    use Whom::*;
    match kind {
        // A new request: the queue it lands in.
        EventKind::Submitted | EventKind::Transferred | EventKind::Withdrawn
            if r.status == super::Status::Submitted =>
        {
            vec![(CommunityAdmins, Inbox)]
        }
        EventKind::Submitted
        | EventKind::Transferred
        | EventKind::Withdrawn
        | EventKind::Assigned
        | EventKind::Supplemented
        | EventKind::Reopened
        | EventKind::Rated
        | EventKind::AutoRated
        | EventKind::Overdue => vec![(Handlers, Inbox)],
        EventKind::Accepted | EventKind::Resolved => {
            vec![(Reporter, SubscribeMessage), (Reporter, Inbox)]
        }
        EventKind::Returned => vec![(Reporter, SubscribeMessage), (Reporter, Inbox)],
        // An urge is seen by the handler's supervisor.
        EventKind::Urged => match r.level {
            Level::Department => vec![(Handlers, Inbox), (DepartmentHeads, Inbox)],
            _ => vec![(Handlers, Inbox), (CommunityAdmins, Inbox)],
        },
        EventKind::Escalated => {
            let supervisor = match Escalation::from_level(r.escalation) {
                Escalation::DepartmentHead => DepartmentHeads,
                _ => CommunityAdmins,
            };
            vec![
                (supervisor, Inbox),
                (Handlers, Inbox),
                (Reporter, SubscribeMessage),
            ]
        }
        EventKind::ExtensionRequested => vec![(CommunityAdmins, Inbox)],
        EventKind::ExtensionApproved | EventKind::ExtensionRejected => vec![
            (Handlers, Inbox),
            (Reporter, SubscribeMessage),
            (Reporter, Inbox),
        ],
    }
}

/// The users `whom` names for `r`.
pub async fn resolve(
    conn: &impl ConnectionTrait,
    r: &request::Model,
    whom: Whom,
) -> ApiResult<Vec<i64>> {
    let admins = || {
        admin_community::Entity::find()
            .select_only()
            .column(admin_community::Column::UserId)
            .filter(admin_community::Column::CommunityId.eq(r.community_id))
            .into_tuple::<i64>()
    };
    Ok(match whom {
        Whom::Reporter => vec![r.reporter_id],
        Whom::CommunityAdmins => admins().all(conn).await?,
        Whom::Handlers => match r.level {
            Level::Grid => match r.grid_id {
                Some(g) => {
                    grid_worker::Entity::find()
                        .select_only()
                        .column(grid_worker::Column::UserId)
                        .filter(grid_worker::Column::GridId.eq(g))
                        .into_tuple::<i64>()
                        .all(conn)
                        .await?
                }
                None => Vec::new(),
            },
            Level::Department => match r.department_id {
                Some(d) => {
                    department_staff::Entity::find()
                        .select_only()
                        .column(department_staff::Column::UserId)
                        .filter(department_staff::Column::DepartmentId.eq(d))
                        .into_tuple::<i64>()
                        .all(conn)
                        .await?
                }
                None => Vec::new(),
            },
            Level::Community => admins().all(conn).await?,
        },
        Whom::DepartmentHeads => {
            let department = match r.department_id {
                Some(d) => Some(d),
                None => request_category::Entity::find_by_id(r.category_id)
                    .one(conn)
                    .await?
                    .and_then(|c| c.department_id),
            };
            match department {
                Some(d) => {
                    department_staff::Entity::find()
                        .select_only()
                        .column(department_staff::Column::UserId)
                        .filter(department_staff::Column::DepartmentId.eq(d))
                        .filter(department_staff::Column::IsHead.eq(true))
                        .into_tuple::<i64>()
                        .all(conn)
                        .await?
                }
                None => Vec::new(),
            }
        }
    })
}

/// Writes what `event` owes, in its transaction: subscribe messages to
/// send, and inbox items (once per event and user, whatever the number of
/// audiences naming them).
pub async fn owe(
    conn: &impl ConnectionTrait,
    r: &request::Model,
    event: &request_event::Model,
    kind: EventKind,
) -> ApiResult<()> {
    let mut inbox_users = BTreeSet::new();
    for (whom, channel) in audience(kind, r) {
        for user_id in resolve(conn, r, whom).await? {
            // Nobody is told of their own move.
            if event.actor_id == Some(user_id) {
                continue;
            }
            match channel {
                Channel::Inbox => {
                    inbox_users.insert(user_id);
                }
                Channel::SubscribeMessage => {
                    request_notification::ActiveModel {
                        request_id: Set(r.id),
                        event_id: Set(event.id),
                        user_id: Set(user_id),
                        created_at: Set(event.created_at),
                        sent_at: Set(None),
                        ..Default::default()
                    }
                    .insert(conn)
                    .await?;
                }
            }
        }
    }
    if !inbox_users.is_empty() {
        let excerpt: String = r.content.chars().take(60).collect();
        let message = Message::new(
            InboxKind::Request,
            format!("诉求{}", phrase(kind)),
            format!("诉求 #{}：{excerpt}", r.id),
        )
        .target(json!({ "type": "request", "id": r.id, "event": kind }))
        .once_per(format!("request_event:{}", event.id));
        let users: Vec<i64> = inbox_users.into_iter().collect();
        inbox::post_many(conn, &users, message).await?;
    }
    Ok(())
}

/// The status phrase of a message (`phrase` values: at most 5 characters).
fn phrase(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Accepted => "已受理",
        EventKind::Returned => "请补充",
        EventKind::Resolved => "已办结",
        EventKind::ExtensionApproved => "已延期",
        EventKind::ExtensionRejected => "延期未批",
        EventKind::Escalated => "已督办",
        _ => "有进展",
    }
}

fn wechat_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::calendar::SHANGHAI)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

async fn claim(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> ApiResult<bool> {
    Ok(request_notification::Entity::update_many()
        .col_expr(request_notification::Column::SentAt, Expr::value(now))
        .filter(request_notification::Column::Id.eq(id))
        .filter(request_notification::Column::SentAt.is_null())
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}

/// Sends every owed message not yet claimed; answers what this caller delivered.
pub async fn send_owed(state: &AppState) -> ApiResult<Vec<Delivery>> {
    let owed = request_notification::Entity::find()
        .filter(request_notification::Column::SentAt.is_null())
        .order_by_asc(request_notification::Column::Id)
        .limit(200)
        .all(&state.db)
        .await?;
    let mut done = Vec::new();
    for n in owed {
        if !claim(&state.db, n.id, crate::time::now()).await? {
            continue;
        }
        let (Some(r), Some(event)) = (
            request::Entity::find_by_id(n.request_id)
                .one(&state.db)
                .await?,
            request_event::Entity::find_by_id(n.event_id)
                .one(&state.db)
                .await?,
        ) else {
            continue;
        };
        let kind = EventKind::parse(&event.kind).unwrap_or(EventKind::Submitted);
        let category = request_category::Entity::find_by_id(r.category_id)
            .one(&state.db)
            .await?
            .map(|c| c.name)
            .unwrap_or_default();
        let note = if event.note.is_empty() {
            phrase(kind).to_owned()
        } else {
            event.note.clone()
        };
        let data = json!({
            "thing1": { "value": fit(&category, 20) },
            "phrase2": { "value": phrase(kind) },
            "time3": { "value": wechat_time(event.created_at) },
            "thing4": { "value": fit(&note, 20) },
        });
        let page = format!("pages/requests/detail?id={}", r.id);
        let template = state.settings.wechat.templates.request.clone();
        done.push(deliver(state, n.user_id, TOPIC, &template, &page, data).await?);
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(level: Level, escalation: i16, status: super::super::Status) -> request::Model {
        let t = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
        request::Model {
            id: 1,
            community_id: 1,
            grid_id: Some(1),
            building_id: None,
            component_id: None,
            lat: None,
            lng: None,
            address: String::new(),
            category_id: 1,
            content: String::new(),
            urgency: "normal".into(),
            express: false,
            anonymous: false,
            reporter_id: 9,
            filed_by: None,
            consent: None,
            contact_phone: None,
            status,
            level,
            department_id: Some(3),
            assign_due_at: t,
            accept_due_at: None,
            resolve_due_at: t,
            due_at: None,
            overdue_since: None,
            escalation,
            assigned_at: None,
            accepted_at: None,
            accepted_by: None,
            accept_secs: None,
            resolved_at: None,
            resolved_by: None,
            resolution: None,
            resolve_secs: None,
            on_time: None,
            extension_state: super::super::ExtensionState::None,
            extension_days: None,
            extension_reason: None,
            urge_count: 0,
            last_urged_on: None,
            reopen_count: 0,
            rating: None,
            rating_comment: None,
            rated_at: None,
            rating_auto: false,
            submitted_at: t,
            submitted_on: "2026-09-21".into(),
            updated_at: t,
        }
    }

    #[test]
    fn escalations_go_to_the_next_supervisor_and_message_the_reporter() {
        use super::super::Status;
        let once = request(Level::Grid, 1, Status::Assigned);
        assert_eq!(
            audience(EventKind::Escalated, &once),
            vec![
                (Whom::CommunityAdmins, Channel::Inbox),
                (Whom::Handlers, Channel::Inbox),
                (Whom::Reporter, Channel::SubscribeMessage),
            ]
        );
        let twice = request(Level::Department, 2, Status::Accepted);
        assert_eq!(
            audience(EventKind::Escalated, &twice)[0],
            (Whom::DepartmentHeads, Channel::Inbox)
        );
    }

    #[test]
    fn urges_reach_the_handlers_supervisor() {
        use super::super::Status;
        let dept = request(Level::Department, 0, Status::Accepted);
        assert!(
            audience(EventKind::Urged, &dept).contains(&(Whom::DepartmentHeads, Channel::Inbox))
        );
        let grid = request(Level::Grid, 0, Status::Assigned);
        assert!(
            audience(EventKind::Urged, &grid).contains(&(Whom::CommunityAdmins, Channel::Inbox))
        );
    }

    #[test]
    fn the_reporter_is_messaged_for_the_steps_that_concern_them() {
        use super::super::Status;
        let r = request(Level::Department, 0, Status::Resolved);
        for kind in [
            EventKind::Accepted,
            EventKind::Returned,
            EventKind::Resolved,
            EventKind::ExtensionApproved,
            EventKind::ExtensionRejected,
            EventKind::Escalated,
        ] {
            assert!(
                audience(kind, &r).contains(&(Whom::Reporter, Channel::SubscribeMessage)),
                "{kind:?}"
            );
        }
        for kind in [
            EventKind::Submitted,
            EventKind::Assigned,
            EventKind::Urged,
            EventKind::Overdue,
        ] {
            assert!(
                !audience(kind, &r).contains(&(Whom::Reporter, Channel::SubscribeMessage)),
                "{kind:?}"
            );
        }
    }
}
