//! Notices: validation, the admin's writes, the resident feed and reads.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{building, notice, notice_delivery, notice_read};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::push;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::pagination::{Page, Paged};
use crate::time;

pub const KINDS: [&str; 7] = [
    "water_outage",
    "power_outage",
    "gas_outage",
    "heating",
    "activity",
    "government",
    "general",
];
/// Outages: windowed, ordered first in the feed, and pushed.
pub const OUTAGES: [&str; 3] = ["water_outage", "power_outage", "gas_outage"];

pub fn needs_window(kind: &str) -> bool {
    OUTAGES.contains(&kind) || kind == "activity"
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct NoticeView {
    pub id: i64,
    pub community_id: i64,
    /// water_outage, power_outage, gas_outage, heating, activity, government or general.
    pub kind: String,
    pub title: String,
    pub content: String,
    /// Target buildings; empty = the whole community.
    pub building_ids: Vec<i64>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub publish_at: Option<DateTime<Utc>>,
    pub pinned: bool,
    pub push: bool,
    /// draft, scheduled, published or withdrawn.
    pub status: String,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A feed item: the notice, whether it concerns the caller, and where its window stands.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedItem {
    #[serde(flatten)]
    pub notice: NoticeView,
    /// For a logged-in resident: the notice targets the whole community or their building. Null when anonymous.
    pub affects_me: Option<bool>,
    /// upcoming, in_effect or ended for notices with a time window; null otherwise.
    pub window_status: Option<String>,
}

/// An admin-list item: the notice with its read count and push progress.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminNoticeView {
    #[serde(flatten)]
    pub notice: NoticeView,
    pub read_count: u64,
    pub push_sent: u64,
    pub push_failed: u64,
    pub push_pending: u64,
}

pub fn parse_ids(raw: &str) -> Vec<i64> {
    raw.split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

fn join_ids(ids: &[i64]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn view(n: &notice::Model) -> NoticeView {
    NoticeView {
        id: n.id,
        community_id: n.community_id,
        kind: n.kind.clone(),
        title: n.title.clone(),
        content: n.content.clone(),
        building_ids: parse_ids(&n.building_ids),
        starts_at: n.starts_at,
        ends_at: n.ends_at,
        publish_at: n.publish_at,
        pinned: n.pinned,
        push: n.push,
        status: n.status.clone(),
        published_at: n.published_at,
        created_at: n.created_at,
    }
}

/// Create body; on `PATCH` every field is optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NoticeInput {
    pub community_id: Option<i64>,
    pub kind: Option<String>,
    /// 1-64 characters.
    pub title: Option<String>,
    /// 1-5000 characters.
    pub content: Option<String>,
    /// Buildings of the community; empty = the whole community.
    pub building_ids: Option<Vec<i64>>,
    /// Required for outages and activities, before `ends_at`.
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Publish later: `POST …/publish` schedules it for this time.
    pub publish_at: Option<DateTime<Utc>>,
    pub pinned: Option<bool>,
    /// Send a subscribe message to affected residents (outage kinds) on publishing.
    pub push: Option<bool>,
}

/// Checks a complete notice; every bad field is reported.
async fn validate(db: &impl ConnectionTrait, n: &notice::Model) -> ApiResult<()> {
    let mut errors = Vec::new();
    if !KINDS.contains(&n.kind.as_str()) {
        errors.push(FieldError::new(
            "kind",
            format!("须为 {}", KINDS.join(", ")),
        ));
    }
    let title = n.title.trim().chars().count();
    if title == 0 || title > 64 {
        errors.push(FieldError::new("title", "标题须为 1-64 个字符"));
    }
    let content = n.content.trim().chars().count();
    if content == 0 || content > 5000 {
        errors.push(FieldError::new("content", "内容须为 1-5000 个字符"));
    }
    match (n.starts_at, n.ends_at) {
        (Some(s), Some(e)) if s >= e => {
            errors.push(FieldError::new("ends_at", "结束时间须晚于开始时间"))
        }
        (None, _) | (_, None) if needs_window(&n.kind) => errors.push(FieldError::new(
            "starts_at",
            "停水停电停气和活动须填写起止时间",
        )),
        (Some(_), None) | (None, Some(_)) => {
            errors.push(FieldError::new("ends_at", "起止时间须同时填写"))
        }
        _ => {}
    }
    let ids = parse_ids(&n.building_ids);
    if ids.len() > 500 {
        errors.push(FieldError::new("building_ids", "最多 500 栋楼"));
    } else if !ids.is_empty() {
        let found = building::Entity::find()
            .filter(building::Column::Id.is_in(ids.clone()))
            .filter(building::Column::CommunityId.eq(n.community_id))
            .count(db)
            .await?;
        if found != ids.len() as u64 {
            errors.push(FieldError::new("building_ids", "楼栋须属于该社区"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

fn apply(n: &mut notice::Model, input: NoticeInput) {
    if let Some(v) = input.kind {
        n.kind = v;
    }
    if let Some(v) = input.title {
        n.title = v.trim().to_owned();
    }
    if let Some(v) = input.content {
        n.content = v;
    }
    if let Some(mut v) = input.building_ids {
        v.sort_unstable();
        v.dedup();
        n.building_ids = join_ids(&v);
    }
    if let Some(v) = input.starts_at {
        n.starts_at = Some(time::normalise(v));
    }
    if let Some(v) = input.ends_at {
        n.ends_at = Some(time::normalise(v));
    }
    if let Some(v) = input.publish_at {
        n.publish_at = Some(time::normalise(v));
    }
    if let Some(v) = input.pinned {
        n.pinned = v;
    }
    if let Some(v) = input.push {
        n.push = v;
    }
}

pub async fn create(
    db: &DatabaseConnection,
    me: &AuthUser,
    input: NoticeInput,
) -> ApiResult<NoticeView> {
    let Some(community_id) = input.community_id else {
        return Err(ApiError::field("community_id", "请选择社区"));
    };
    if !crate::communities::service::exists(db, community_id).await? {
        return Err(ApiError::field("community_id", "社区不存在"));
    }
    me.require_admin_of(db, community_id).await?;
    let now = time::now();
    let mut n = notice::Model {
        id: 0,
        community_id,
        kind: String::new(),
        title: String::new(),
        content: String::new(),
        building_ids: String::new(),
        starts_at: None,
        ends_at: None,
        publish_at: None,
        pinned: false,
        push: false,
        status: "draft".into(),
        published_at: None,
        created_by: me.id(),
        created_at: now,
        updated_at: now,
    };
    apply(&mut n, input);
    validate(db, &n).await?;
    let mut active = n.into_active_model();
    active.id = sea_orm::NotSet;
    let saved = active.insert(db).await?;
    Ok(view(&saved))
}

/// The notice `id` if the caller administers its community (404 / 403 otherwise).
pub async fn administered(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<notice::Model> {
    let n = notice::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NoticeNotFound))?;
    me.require_admin_of(db, n.community_id).await?;
    Ok(n)
}

pub async fn update(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    input: NoticeInput,
) -> ApiResult<NoticeView> {
    let current = administered(db, me, id).await?;
    if !["draft", "scheduled"].contains(&current.status.as_str()) {
        return Err(
            ApiError::new(ErrorCode::InvalidTransition).message("已发布或已撤回的通知不能修改")
        );
    }
    if input
        .community_id
        .is_some_and(|c| c != current.community_id)
    {
        return Err(ApiError::field("community_id", "不能更换社区"));
    }
    let mut n = current.clone();
    apply(&mut n, input);
    validate(db, &n).await?;
    let mut active = current.into_active_model();
    active.kind = Set(n.kind);
    active.title = Set(n.title);
    active.content = Set(n.content);
    active.building_ids = Set(n.building_ids);
    active.starts_at = Set(n.starts_at);
    active.ends_at = Set(n.ends_at);
    active.publish_at = Set(n.publish_at);
    active.pinned = Set(n.pinned);
    active.push = Set(n.push);
    active.updated_at = Set(time::now());
    Ok(view(&active.update(db).await?))
}

/// Publishes now, or schedules when `publish_at` is in the future. A
/// publication that pushes records its recipients in the same transaction.
pub async fn publish(
    db: &DatabaseConnection,
    me: &AuthUser,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<NoticeView> {
    let n = administered(db, me, id).await?;
    if !["draft", "scheduled"].contains(&n.status.as_str()) {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("通知已发布或已撤回"));
    }
    if n.publish_at.is_some_and(|t| t > now) {
        let changed = notice::Entity::update_many()
            .col_expr(notice::Column::Status, Expr::value("scheduled"))
            .col_expr(notice::Column::UpdatedAt, Expr::value(now))
            .filter(notice::Column::Id.eq(id))
            .filter(notice::Column::Status.is_in(["draft", "scheduled"]))
            .exec(db)
            .await?;
        if changed.rows_affected != 1 {
            return Err(ErrorCode::InvalidTransition.into());
        }
    } else if !publish_one(db, id, now).await? {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("通知已发布或已撤回"));
    }
    let fresh = notice::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NoticeNotFound))?;
    Ok(view(&fresh))
}

/// Moves a draft or scheduled notice to published, once; true when this call did.
pub async fn publish_one(db: &DatabaseConnection, id: i64, now: DateTime<Utc>) -> ApiResult<bool> {
    let txn = crate::db::begin_write(db).await?;
    let changed = notice::Entity::update_many()
        .col_expr(notice::Column::Status, Expr::value("published"))
        .col_expr(notice::Column::PublishedAt, Expr::value(now))
        .col_expr(notice::Column::UpdatedAt, Expr::value(now))
        .filter(notice::Column::Id.eq(id))
        .filter(notice::Column::Status.is_in(["draft", "scheduled"]))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Ok(false);
    }
    if let Some(n) = notice::Entity::find_by_id(id).one(&txn).await?
        && n.push
        && OUTAGES.contains(&n.kind.as_str())
    {
        push::enqueue(&txn, &n, now).await?;
    }
    txn.commit().await?;
    Ok(true)
}

pub async fn withdraw(db: &DatabaseConnection, me: &AuthUser, id: i64) -> ApiResult<NoticeView> {
    administered(db, me, id).await?;
    let now = time::now();
    let changed = notice::Entity::update_many()
        .col_expr(notice::Column::Status, Expr::value("withdrawn"))
        .col_expr(notice::Column::UpdatedAt, Expr::value(now))
        .filter(notice::Column::Id.eq(id))
        .filter(notice::Column::Status.is_in(["scheduled", "published"]))
        .exec(db)
        .await?;
    if changed.rows_affected != 1 {
        return Err(
            ApiError::new(ErrorCode::InvalidTransition).message("只有已发布或待发布的通知可以撤回")
        );
    }
    // Messages not yet sent are not sent any more.
    notice_delivery::Entity::update_many()
        .col_expr(notice_delivery::Column::Status, Expr::value("skipped"))
        .filter(notice_delivery::Column::NoticeId.eq(id))
        .filter(notice_delivery::Column::Status.eq("pending"))
        .exec(db)
        .await?;
    let fresh = notice::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NoticeNotFound))?;
    Ok(view(&fresh))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminNoticeQuery {
    pub community_id: Option<i64>,
    /// draft, scheduled, published or withdrawn.
    pub status: Option<String>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

pub async fn list_admin(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    query: &AdminNoticeQuery,
    page: Page,
) -> ApiResult<Paged<AdminNoticeView>> {
    let mut select = notice::Entity::find();
    match query.community_id {
        Some(c) => {
            me.require_admin_of(db, c).await?;
            select = select.filter(notice::Column::CommunityId.eq(c));
        }
        None => {
            if let Some(ids) = me.admin_communities(db).await? {
                select = select.filter(notice::Column::CommunityId.is_in(ids));
            }
        }
    }
    if let Some(s) = &query.status {
        if !["draft", "scheduled", "published", "withdrawn"].contains(&s.as_str()) {
            return Err(ApiError::new(ErrorCode::InvalidQuery)
                .details(serde_json::json!({ "fields": [FieldError::new("status", "draft, scheduled, published 或 withdrawn")] })));
        }
        select = select.filter(notice::Column::Status.eq(s.as_str()));
    }
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_desc(notice::Column::CreatedAt)
        .order_by_desc(notice::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|n| n.id).collect();
    let reads: HashMap<i64, i64> = notice_read::Entity::find()
        .select_only()
        .column(notice_read::Column::NoticeId)
        .column_as(notice_read::Column::UserId.count(), "n")
        .filter(notice_read::Column::NoticeId.is_in(ids.clone()))
        .group_by(notice_read::Column::NoticeId)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut push: HashMap<(i64, String), i64> = HashMap::new();
    for (id, status, n) in notice_delivery::Entity::find()
        .select_only()
        .column(notice_delivery::Column::NoticeId)
        .column(notice_delivery::Column::Status)
        .column_as(notice_delivery::Column::Id.count(), "n")
        .filter(notice_delivery::Column::NoticeId.is_in(ids))
        .group_by(notice_delivery::Column::NoticeId)
        .group_by(notice_delivery::Column::Status)
        .into_tuple::<(i64, String, i64)>()
        .all(db)
        .await?
    {
        push.insert((id, status), n);
    }
    let count = |id: i64, s: &str| push.get(&(id, s.to_owned())).copied().unwrap_or(0) as u64;
    let items = rows
        .iter()
        .map(|n| AdminNoticeView {
            notice: view(n),
            read_count: reads.get(&n.id).copied().unwrap_or(0) as u64,
            push_sent: count(n.id, "sent"),
            push_failed: count(n.id, "failed"),
            push_pending: count(n.id, "pending") + count(n.id, "sending"),
        })
        .collect();
    Ok(Paged::new(items, page, total))
}

/// A community's published notices (what the feed is made of; cached).
pub async fn published_in(
    db: &impl ConnectionTrait,
    community_id: i64,
) -> ApiResult<Vec<NoticeView>> {
    let rows = notice::Entity::find()
        .filter(notice::Column::CommunityId.eq(community_id))
        .filter(notice::Column::Status.eq("published"))
        .order_by_desc(notice::Column::PublishedAt)
        .order_by_desc(notice::Column::Id)
        .limit(1000)
        .all(db)
        .await?;
    Ok(rows.iter().map(view).collect())
}

pub fn window_status(n: &NoticeView, now: DateTime<Utc>) -> Option<&'static str> {
    match (n.starts_at, n.ends_at) {
        (Some(s), _) if now < s => Some("upcoming"),
        (Some(_), Some(e)) if now < e => Some("in_effect"),
        (Some(_), Some(_)) => Some("ended"),
        _ => None,
    }
}

/// Orders the feed: pinned; outages in effect; upcoming outages, soonest
/// first; everything else, newest first. Filters by kind.
pub fn feed(
    notices: Vec<NoticeView>,
    kind: Option<&str>,
    building_id: Option<i64>,
    logged_in: bool,
    now: DateTime<Utc>,
) -> Vec<FeedItem> {
    let mut items: Vec<FeedItem> = notices
        .into_iter()
        .filter(|n| kind.is_none_or(|k| n.kind == k))
        .map(|n| {
            let affects = n.building_ids.is_empty()
                || building_id.is_some_and(|b| n.building_ids.contains(&b));
            FeedItem {
                window_status: window_status(&n, now).map(str::to_owned),
                affects_me: logged_in.then_some(affects),
                notice: n,
            }
        })
        .collect();
    let rank = |i: &FeedItem| -> u8 {
        let outage = OUTAGES.contains(&i.notice.kind.as_str());
        match (i.notice.pinned, outage, i.window_status.as_deref()) {
            (true, _, _) => 0,
            (false, true, Some("in_effect")) => 1,
            (false, true, Some("upcoming")) => 2,
            _ => 3,
        }
    };
    items.sort_by(|a, b| {
        rank(a).cmp(&rank(b)).then_with(|| match rank(a) {
            2 => a.notice.starts_at.cmp(&b.notice.starts_at),
            _ => b
                .notice
                .published_at
                .cmp(&a.notice.published_at)
                .then(b.notice.id.cmp(&a.notice.id)),
        })
    });
    items
}

/// A published notice; records one read per logged-in resident.
pub async fn read(
    db: &impl ConnectionTrait,
    id: i64,
    reader: Option<&AuthUser>,
) -> ApiResult<NoticeView> {
    let n = notice::Entity::find_by_id(id)
        .filter(notice::Column::Status.eq("published"))
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
    Ok(view(&n))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn n(
        id: i64,
        kind: &str,
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
            kind: kind.into(),
            title: format!("n{id}"),
            content: String::new(),
            building_ids: if id == 3 { vec![7] } else { vec![] },
            starts_at: window.map(|(s, _)| at(s)),
            ends_at: window.map(|(_, e)| at(e)),
            publish_at: None,
            pinned,
            push: false,
            status: "published".into(),
            published_at: Some(at(published_h)),
            created_at: at(published_h),
        }
    }

    #[test]
    fn feed_order_with_a_fixed_clock() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let notices = vec![
            n(1, "general", false, None, -10),
            n(2, "water_outage", false, Some((3, 5)), -9),
            n(3, "power_outage", false, Some((-1, 1)), -8),
            n(4, "gas_outage", false, Some((1, 2)), -7),
            n(5, "government", true, None, -20),
            n(6, "water_outage", false, Some((-5, -3)), -6),
            n(7, "activity", false, Some((-1, 1)), -1),
        ];
        let items = feed(notices, None, Some(9), true, now);
        let order: Vec<i64> = items.iter().map(|i| i.notice.id).collect();
        // pinned; outage in effect; upcoming outages soonest first; the rest newest first
        assert_eq!(order, vec![5, 3, 4, 2, 7, 6, 1]);
        let by_id = |id: i64| items.iter().find(|i| i.notice.id == id).unwrap();
        assert_eq!(by_id(3).window_status.as_deref(), Some("in_effect"));
        assert_eq!(by_id(6).window_status.as_deref(), Some("ended"));
        assert_eq!(by_id(1).window_status, None);
        assert_eq!(by_id(3).affects_me, Some(false), "building 7 only");
        assert_eq!(by_id(1).affects_me, Some(true));
        let anonymous = feed(
            vec![n(1, "general", false, None, 0)],
            None,
            None,
            false,
            now,
        );
        assert_eq!(anonymous[0].affects_me, None);
        assert!(
            feed(
                vec![n(1, "general", false, None, 0)],
                Some("activity"),
                None,
                false,
                now
            )
            .is_empty()
        );
    }
}
