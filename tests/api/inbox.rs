//! The inbox (站内信): items written with their events, the list, the cached
//! unread count (exact under concurrent writes and reads), marking read,
//! nobody reading another's messages, and notice fan-out exactly once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{Duration, SubsecRound, Utc};
use entity::inbox_message;
use futures_util::future::join_all;
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use yizhan::inbox::{self, Kind, Message};

use crate::support::{TestApp, spawn_app_with, spawn_sibling};

async fn app() -> TestApp {
    spawn_app_with(|s| {
        s.jobs.sweep_interval_ms = 3_600_000;
        s.rate_limit.login_per_minute = 100_000;
    })
    .await
}

async fn unread(app: &TestApp, token: &str) -> u64 {
    let r = app.get("/me/messages/unread-count", Some(token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["unread"].as_u64().expect("unread")
}

async fn messages(app: &TestApp, token: &str, query: &str) -> Value {
    let r = app.get(&format!("/me/messages{query}"), Some(token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

async fn stored(app: &TestApp, user: i64) -> u64 {
    inbox_message::Entity::find()
        .filter(inbox_message::Column::UserId.eq(user))
        .count(&app.db)
        .await
        .unwrap()
}

/// Writes one message to `user` as an event does: in a tracking scope, so
/// the cached count drops once it has committed.
async fn event_for(app: &TestApp, user: i64, n: u64) {
    let message = Message::new(Kind::OrderStatus, "订单状态", format!("第 {n} 条"));
    inbox::tracking::scope(&app.cache, inbox::post(&app.db, user, message))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_application_review_reaches_the_applicant_who_alone_reads_it() {
    let app = app().await;
    let platform = app.platform_admin().await;
    let (community, _, _) = app.community_with_building(&platform, "收件社区").await;
    let (_, owner) = app
        .approved_merchant(&platform, &[community], "鲜果铺")
        .await;
    let (stranger, _, _) = app.resident("stranger").await;

    assert_eq!(unread(&app, &owner).await, 1);
    let page = messages(&app, &owner, "").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["kind"], "application_reviewed");
    assert_eq!(items[0]["target"]["type"], "merchant_application");
    assert_eq!(items[0]["target"]["status"], "approved");
    assert!(items[0]["read_at"].is_null());
    assert!(page["next_cursor"].is_null());
    let id = items[0]["id"].as_i64().unwrap();

    // Another user can neither see nor mark it.
    assert_eq!(
        messages(&app, &stranger, "").await["items"],
        json!([]),
        "a stranger's inbox is empty"
    );
    let r = app
        .call(
            Method::POST,
            &format!("/me/messages/{id}/read"),
            Some(&stranger),
            None,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.code(), "MESSAGE_NOT_FOUND");
    assert_eq!(
        unread(&app, &owner).await,
        1,
        "the stranger changed nothing"
    );
    let r = app
        .call(Method::POST, "/me/messages/read-all", Some(&stranger), None)
        .await;
    assert_eq!(r.body["marked"], 0);
    assert_eq!(unread(&app, &owner).await, 1);

    let r = app
        .call(
            Method::POST,
            &format!("/me/messages/{id}/read"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["read_at"].is_string());
    assert_eq!(unread(&app, &owner).await, 0);
    assert_eq!(
        messages(&app, &owner, "?unread=true").await["items"],
        json!([])
    );
    assert_eq!(
        messages(&app, &owner, "?unread=false").await["items"][0]["id"],
        id
    );
    let r = app.get("/me/messages", None).await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn the_list_pages_newest_first_by_cursor_and_read_all_clears_the_count() {
    let app = app().await;
    let (token, user, _) = app.resident("pager").await;
    for n in 0..5 {
        event_for(&app, user, n).await;
    }
    assert_eq!(unread(&app, &token).await, 5);
    let first = messages(&app, &token, "?page_size=2").await;
    let ids = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect()
    };
    let a = ids(&first);
    assert_eq!(a.len(), 2);
    assert!(a[0] > a[1], "newest first: {a:?}");
    assert_eq!(first["items"][0]["body"], "第 4 条");
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = messages(&app, &token, &format!("?page_size=2&cursor={cursor}")).await;
    let b = ids(&second);
    assert!(b[0] < a[1]);
    let cursor = second["next_cursor"].as_str().unwrap().to_owned();
    let third = messages(&app, &token, &format!("?page_size=2&cursor={cursor}")).await;
    assert_eq!(ids(&third).len(), 1);
    assert!(third["next_cursor"].is_null());

    for bad in [
        "?cursor=abc",
        "?cursor=-1",
        "?page_size=0",
        "?page_size=101",
        "?unread=maybe",
    ] {
        let r = app.get(&format!("/me/messages{bad}"), Some(&token)).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert_eq!(r.code(), "INVALID_QUERY", "{bad}");
    }

    let r = app
        .call(Method::POST, "/me/messages/read-all", Some(&token), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["marked"], 5);
    assert_eq!(unread(&app, &token).await, 0);
    let r = app
        .call(Method::POST, "/me/messages/read-all", Some(&token), None)
        .await;
    assert_eq!(r.body["marked"], 0);
}

#[tokio::test]
async fn the_cached_unread_count_is_exact_under_concurrent_writes_and_reads() {
    let app = Arc::new(app().await);
    let (token, user, _) = app.resident("busy").await;
    assert_eq!(unread(&app, &token).await, 0, "cached at zero");
    let written = Arc::new(AtomicU64::new(0));
    let tasks = (0..24).map(|n| {
        let (app, token, written) = (app.clone(), token.clone(), written.clone());
        async move {
            if n % 2 == 0 {
                event_for(&app, user, n).await;
                written.fetch_add(1, Ordering::SeqCst);
            } else {
                // Every write finished before this read began is counted.
                let before = written.load(Ordering::SeqCst);
                let seen = unread(&app, &token).await;
                assert!(seen >= before, "read {seen} after {before} writes finished");
            }
        }
    });
    join_all(tasks).await;
    assert_eq!(unread(&app, &token).await, 12);
    assert_eq!(stored(&app, user).await, 12);

    // Marking read concurrently with more writes: still exact at the end.
    let page = messages(&app, &token, "?page_size=6").await;
    let ids: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    let reads = ids.iter().map(|id| {
        let (app, token) = (app.clone(), token.clone());
        async move {
            let r = app
                .call(
                    Method::POST,
                    &format!("/me/messages/{id}/read"),
                    Some(&token),
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            unread(&app, &token).await;
        }
    });
    let writes = (100..104).map(|n| {
        let app = app.clone();
        async move { event_for(&app, user, n).await }
    });
    tokio::join!(join_all(reads), join_all(writes));
    assert_eq!(unread(&app, &token).await, 12 - 6 + 4);
}

/// A community with two buildings and an admin; residents in each.
pub struct Town {
    pub app: TestApp,
    pub platform: String,
    pub admin: String,
    pub community: i64,
    pub grid: i64,
    pub b1: i64,
    pub b2: i64,
}

pub async fn town() -> Town {
    let app = app().await;
    let platform = app.platform_admin().await;
    let (community, grid, b1) = app.community_with_building(&platform, "收件社区").await;
    let b2 = app
        .post(
            &format!("/admin/grids/{grid}/buildings"),
            Some(&platform),
            json!({ "name": "2号楼", "households": 50 }),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let admin = app.community_admin(&platform, &[community]).await;
    Town {
        app,
        platform,
        admin,
        community,
        grid,
        b1,
        b2,
    }
}

impl Town {
    pub async fn living_in(&self, openid: &str, building: i64) -> (String, i64) {
        let (token, id, _) = self.app.resident(openid).await;
        self.app.bind_building(&token, building).await;
        (token, id)
    }

    pub async fn notice(&self, buildings: &[i64], publish_at: Option<String>) -> i64 {
        let r = self
            .app
            .post(
                "/admin/notices",
                Some(&self.admin),
                json!({ "community_id": self.community, "kind": "general",
                        "title": "停水通知", "content": "管道检修，请提前储水。",
                        "building_ids": buildings, "publish_at": publish_at }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["id"].as_i64().unwrap()
    }
}

#[tokio::test]
async fn a_published_notice_reaches_each_affected_resident_once_even_from_two_instances() {
    let t = town().await;
    let app = &t.app;
    let (in_b1, b1_user) = t.living_in("b1", t.b1).await;
    let (in_b2, b2_user) = t.living_in("b2", t.b2).await;
    let (elsewhere, _, _) = app.resident("nowhere").await;
    assert_eq!(unread(app, &in_b1).await, 0, "cached before the notice");

    // Published now, to building 1 only.
    let id = t.notice(&[t.b1], None).await;
    let r = app
        .call(
            Method::POST,
            &format!("/admin/notices/{id}/publish"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(unread(app, &in_b1).await, 1, "the cached zero was dropped");
    assert_eq!(unread(app, &in_b2).await, 0);
    assert_eq!(unread(app, &elsewhere).await, 0);
    let item = &messages(app, &in_b1, "").await["items"][0];
    assert_eq!(item["kind"], "notice");
    assert_eq!(item["title"], "停水通知");
    assert_eq!(
        item["target"],
        json!({ "type": "notice", "id": id, "kind": "general" })
    );

    // Scheduled for the whole community, published by two instances at once.
    let sibling = spawn_sibling(app).await;
    let at = Utc::now().trunc_subsecs(0) + Duration::minutes(30);
    let scheduled = t.notice(&[], Some(at.to_rfc3339())).await;
    let r = app
        .call(
            Method::POST,
            &format!("/admin/notices/{scheduled}/publish"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(r.body["status"], "scheduled", "{}", r.text);
    assert_eq!(unread(app, &in_b2).await, 0);
    let later = at + Duration::minutes(1);
    let (a, b) = tokio::join!(
        yizhan::notices::push::sweep(&app.state, later),
        yizhan::notices::push::sweep(&sibling.state, later)
    );
    let (a, b) = (a.unwrap().published, b.unwrap().published);
    assert_eq!(a + b, 1);
    assert_eq!(stored(app, b1_user).await, 2);
    assert_eq!(stored(app, b2_user).await, 1);
    // The publishing instance dropped its counts (sharing Redis, both did).
    let winner = if a == 1 { app } else { &sibling };
    assert_eq!(unread(winner, &in_b1).await, 2);
    assert_eq!(unread(winner, &in_b2).await, 1);
    // Publishing twice writes nothing more.
    let again = yizhan::notices::publish::publish_one(&app.db, scheduled, later)
        .await
        .unwrap();
    assert!(!again);
    assert_eq!(stored(app, b2_user).await, 1);
}

#[tokio::test]
async fn bookings_tell_the_helper_of_requests_and_the_resident_of_changes() {
    let app = app().await;
    let platform = app.platform_admin().await;
    let (community, _, building) = app.community_with_building(&platform, "服务社区").await;
    let (helper, _, _) = app
        .approved_helper(&platform, "fixer", &[community], &["水电维修"])
        .await;
    assert_eq!(unread(&app, &helper).await, 1, "the application review");
    let service = app
        .offer_service(
            &helper,
            json!({ "category": "水电维修", "title": "水管维修", "price": "30.00",
                    "duration_minutes": 60, "community_ids": [community] }),
        )
        .await;
    let (resident, _, _) = app.resident("booker").await;
    app.bind_building(&resident, building).await;
    let slot = app.publish_slot(&helper, 5, 60).await;
    let r = app
        .post(
            "/bookings",
            Some(&resident),
            json!({ "service_id": service, "slot_id": slot, "address": "1号楼301",
                    "contact_phone": "13700137000", "note": "" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let booking = r.body["id"].as_i64().unwrap();
    assert_eq!(unread(&app, &helper).await, 2);
    let newest = &messages(&app, &helper, "").await["items"][0];
    assert_eq!(newest["kind"], "booking_requested");
    assert_eq!(newest["target"]["id"], booking);
    assert_eq!(unread(&app, &resident).await, 0);

    let r = app
        .post(
            &format!("/bookings/{booking}/accept"),
            Some(&helper),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(unread(&app, &resident).await, 1);
    let item = &messages(&app, &resident, "").await["items"][0];
    assert_eq!(item["kind"], "booking_status");
    assert_eq!(item["target"]["status"], "accepted");
    assert_eq!(unread(&app, &helper).await, 2, "the helper's own move");

    let r = app
        .post(
            &format!("/bookings/{booking}/cancel"),
            Some(&resident),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(unread(&app, &helper).await, 3);
    assert_eq!(
        messages(&app, &helper, "").await["items"][0]["target"]["status"],
        "cancelled"
    );
}
