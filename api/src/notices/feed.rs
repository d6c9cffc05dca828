//! The resident feed: a community's published notices in the order that
//! matters to a resident, each saying whether it concerns them; and one
//! notice's reads.

use chrono::{DateTime, Utc};
use entity::notice::{self, NoticeKind, NoticeStatus};
use entity::notice_read;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::view::{NoticeView, view, views};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::media::MediaStore;
use crate::pagination::{Page, Paged};
use crate::time;

/// Most notices a community's feed holds.
const FEED_LIMIT: u64 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Defaults to the resident's community; without either the feed is empty.
    pub community_id: Option<i64>,
    /// One kind only.
    pub kind: Option<NoticeKind>,
}

/// Where a notice's time window stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowStatus {
    Upcoming,
    InEffect,
    Ended,
}

/// A feed item: the notice, whether it concerns the caller, and where its window stands.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedItem {
    #[serde(flatten)]
    pub notice: NoticeView,
    /// For a logged-in resident: the notice targets the whole community or their building. Null when anonymous.
    pub affects_me: Option<bool>,
    /// upcoming, in_effect or ended for notices with a time window; null otherwise.
    pub window_status: Option<WindowStatus>,
}

/// Who reads the feed.
#[derive(Clone, Copy, Debug)]
pub enum Reader {
    Anonymous,
    /// A logged-in user and where they live (perhaps nowhere yet).
    Resident {
        community_id: Option<i64>,
        building_id: Option<i64>,
    },
}

impl Reader {
    pub fn of(user: Option<&AuthUser>) -> Self {
        match user {
            None => Reader::Anonymous,
            Some(me) => Reader::Resident {
                community_id: me.user.community_id,
                building_id: me.user.building_id,
            },
        }
    }

    /// The community whose feed they see: the one asked for, else their own;
    /// None when neither is known (an anonymous caller without
    /// `community_id`, a resident not bound to a building): their feed is empty.
    pub fn community(&self, asked: Option<i64>) -> Option<i64> {
        let home = match self {
            Reader::Anonymous => None,
            Reader::Resident { community_id, .. } => *community_id,
        };
        asked.or(home)
    }

    /// Whether `n` concerns them: None when anonymous; false for a notice
    /// of a community they do not live in (the notices are public, but none
    /// is theirs).
    pub fn affected_by(&self, n: &NoticeView) -> Option<bool> {
        match self {
            Reader::Anonymous => None,
            Reader::Resident {
                community_id,
                building_id,
            } => Some(*community_id == Some(n.community_id) && n.targets().affects(*building_id)),
        }
    }
}

/// A community's published notices, newest first: what the feed is made
/// of, the same for every reader (cached).
pub async fn published_in(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    community_id: i64,
) -> ApiResult<Vec<NoticeView>> {
    let rows = notice::Entity::find()
        .filter(notice::Column::CommunityId.eq(community_id))
        .filter(notice::Column::Status.eq(NoticeStatus::Published))
        .order_by_desc(notice::Column::PublishedAt)
        .order_by_desc(notice::Column::Id)
        .limit(FEED_LIMIT)
        .all(db)
        .await?;
    views(db, media, rows).await
}

pub fn window_status(n: &NoticeView, now: DateTime<Utc>) -> Option<WindowStatus> {
    match (n.starts_at, n.ends_at) {
        (Some(s), _) if now < s => Some(WindowStatus::Upcoming),
        (Some(_), Some(e)) if now < e => Some(WindowStatus::InEffect),
        (Some(_), Some(_)) => Some(WindowStatus::Ended),
        _ => None,
    }
}

/// The feed of `reader`: pinned; outages in effect; upcoming outages,
/// soonest first; everything else, newest first. One kind when asked.
pub fn feed(
    notices: &[NoticeView],
    kind: Option<NoticeKind>,
    reader: Reader,
    now: DateTime<Utc>,
) -> Vec<FeedItem> {
    ranked(notices, kind, now)
        .into_iter()
        .map(|(n, window)| item(n, window, reader))
        .collect()
}

/// The notices of the feed in its order, each with where its window stands:
/// the community's notices are shared by every reader, so they are sorted by
/// reference and only the page asked for is copied.
fn ranked(
    notices: &[NoticeView],
    kind: Option<NoticeKind>,
    now: DateTime<Utc>,
) -> Vec<(&NoticeView, Option<WindowStatus>)> {
    let mut items: Vec<(&NoticeView, Option<WindowStatus>)> = notices
        .iter()
        .filter(|n| kind.is_none_or(|k| n.kind == k))
        .map(|n| (n, window_status(n, now)))
        .collect();
    let rank = |(n, window): &(&NoticeView, Option<WindowStatus>)| -> u8 {
        match (n.pinned, n.kind.is_outage(), window) {
            (true, _, _) => 0,
            (false, true, Some(WindowStatus::InEffect)) => 1,
            (false, true, Some(WindowStatus::Upcoming)) => 2,
            _ => 3,
        }
    };
    items.sort_by(|a, b| {
        rank(a).cmp(&rank(b)).then_with(|| match rank(a) {
            2 => a.0.starts_at.cmp(&b.0.starts_at),
            _ => {
                b.0.published_at
                    .cmp(&a.0.published_at)
                    .then(b.0.id.cmp(&a.0.id))
            }
        })
    });
    items
}

fn item(n: &NoticeView, window_status: Option<WindowStatus>, reader: Reader) -> FeedItem {
    FeedItem {
        window_status,
        affects_me: reader.affected_by(n),
        notice: n.clone(),
    }
}

/// One page of the feed.
pub fn feed_page(
    notices: &[NoticeView],
    kind: Option<NoticeKind>,
    reader: Reader,
    page: Page,
) -> Paged<FeedItem> {
    let ranked = ranked(notices, kind, time::now());
    let total = ranked.len() as u64;
    let items = ranked
        .into_iter()
        .skip(page.offset() as usize)
        .take(page.page_size as usize)
        .map(|(n, window)| item(n, window, reader))
        .collect();
    Paged::new(items, page, total)
}

/// A published notice; records one read per logged-in resident.
pub async fn read(
    db: &impl ConnectionTrait,
    media: &MediaStore,
    id: i64,
    reader: Option<&AuthUser>,
) -> ApiResult<NoticeView> {
    let n = notice::Entity::find_by_id(id)
        .filter(notice::Column::Status.eq(NoticeStatus::Published))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NoticeNotFound))?;
    if let Some(me) = reader {
        notice_read::Entity::insert(notice_read::ActiveModel {
            notice_id: Set(id),
            user_id: Set(me.id()),
            read_at: Set(time::now()),
        })
        .on_conflict(
            OnConflict::columns([notice_read::Column::NoticeId, notice_read::Column::UserId])
                .do_nothing()
                .to_owned(),
        )
        .try_insert()
        .exec(db)
        .await?;
    }
    view(db, media, n).await
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn n(
        id: i64,
        kind: NoticeKind,
        pinned: bool,
        window: Option<(i64, i64)>,
        published_h: i64,
    ) -> NoticeView {
        let at = |h: i64| {
            Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap() + chrono::Duration::hours(h)
        };
        NoticeView {
            id,
            community_id: 1,
            kind,
            title: format!("n{id}"),
            content: String::new(),
            images: vec![],
            image_refs: vec![],
            building_ids: if id == 3 { vec![7] } else { vec![] },
            starts_at: window.map(|(s, _)| at(s)),
            ends_at: window.map(|(_, e)| at(e)),
            publish_at: None,
            pinned,
            push: false,
            status: NoticeStatus::Published,
            published_at: Some(at(published_h)),
            created_at: at(published_h),
        }
    }

    #[test]
    fn feed_order_with_a_fixed_clock() {
        use NoticeKind::*;
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let notices = vec![
            n(1, General, false, None, -10),
            n(2, WaterOutage, false, Some((3, 5)), -9),
            n(3, PowerOutage, false, Some((-1, 1)), -8),
            n(4, GasOutage, false, Some((1, 2)), -7),
            n(5, Government, true, None, -20),
            n(6, WaterOutage, false, Some((-5, -3)), -6),
            n(7, Activity, false, Some((-1, 1)), -1),
        ];
        let home = Reader::Resident {
            community_id: Some(1),
            building_id: Some(9),
        };
        let items = feed(&notices, None, home, now);
        let order: Vec<i64> = items.iter().map(|i| i.notice.id).collect();
        // pinned; outage in effect; upcoming outages soonest first; the rest newest first
        assert_eq!(order, vec![5, 3, 4, 2, 7, 6, 1]);
        let by_id = |id: i64| items.iter().find(|i| i.notice.id == id).unwrap();
        assert_eq!(by_id(3).window_status, Some(WindowStatus::InEffect));
        assert_eq!(by_id(6).window_status, Some(WindowStatus::Ended));
        assert_eq!(by_id(1).window_status, None);
        assert_eq!(by_id(3).affects_me, Some(false), "building 7 only");
        assert_eq!(by_id(1).affects_me, Some(true));
        let anonymous = feed(
            &[n(1, General, false, None, 0)],
            None,
            Reader::Anonymous,
            now,
        );
        assert_eq!(anonymous[0].affects_me, None);
        let visitor = Reader::Resident {
            community_id: Some(2),
            building_id: Some(9),
        };
        let visiting = feed(&[n(1, General, false, None, 0)], None, visitor, now);
        assert_eq!(
            visiting[0].affects_me,
            Some(false),
            "another community's notice"
        );
        assert!(
            feed(
                &[n(1, General, false, None, 0)],
                Some(Activity),
                Reader::Anonymous,
                now
            )
            .is_empty()
        );
    }
}
