//! Community notices: writing, scheduling, the feed, reads and outage push.

use std::time::Instant;

use chrono::{Duration, SubsecRound, Utc};
use reqwest::Method;
use sea_orm::{EntityTrait, Set};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::{TestApp, spawn_app_with, spawn_sibling};

struct Town {
    app: TestApp,
    admin: String,
    community: i64,
    b1: i64,
    b2: i64,
}

async fn town() -> Town {
    let app = spawn_app_with(|s| {
        s.jobs.sweep_interval_ms = 3_600_000;
        s.rate_limit.login_per_minute = 100_000;
        s.wechat.templates.outage = "TPL_OUTAGE".into();
    })
    .await;
    let platform = app.platform_admin().await;
    let (community, grid, b1) = app.community_with_building(&platform, "通知社区").await;
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
        admin,
        community,
        b1,
        b2,
    }
}

fn ts(offset: Duration) -> String {
    (Utc::now().trunc_subsecs(0) + offset).to_rfc3339()
}

impl Town {
    async fn notice(&self, body: Value) -> i64 {
        let mut body = body;
        body["community_id"] = json!(self.community);
        let r = self
            .app
            .post("/admin/notices", Some(&self.admin), body)
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["id"].as_i64().unwrap()
    }

    async fn publish(&self, id: i64) -> crate::support::Reply {
        self.app
            .call(
                Method::POST,
                &format!("/admin/notices/{id}/publish"),
                Some(&self.admin),
                None,
            )
            .await
    }

    async fn resident_in(&self, openid: &str, building: i64, grants: i64) -> String {
        let (token, _, _) = self.app.resident(openid).await;
        self.app.bind_building(&token, building).await;
        if grants > 0 {
            self.app
                .post(
                    "/me/subscriptions",
                    Some(&token),
                    json!({ "topic": "outage", "grants": grants }),
                )
                .await;
        }
        token
    }

    async fn admin_item(&self, id: i64) -> Value {
        let list = self
            .app
            .get(
                &format!(
                    "/admin/notices?community_id={}&page_size=100",
                    self.community
                ),
                Some(&self.admin),
            )
            .await;
        list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .cloned()
            .unwrap()
    }
}

fn outage(title: &str, from: Duration, to: Duration) -> Value {
    json!({ "kind": "water_outage", "title": title, "content": "因管网检修停水", "starts_at": ts(from), "ends_at": ts(to) })
}

#[tokio::test]
async fn notices_are_validated_and_scoped_to_the_admins_community() {
    let t = town().await;
    let app = &t.app;
    let bad = app
        .post(
            "/admin/notices",
            Some(&t.admin),
            json!({ "community_id": t.community, "kind": "rumour", "title": "", "content": "x" }),
        )
        .await;
    assert_eq!(bad.status, 422);
    let mut f = bad.fields();
    f.sort();
    assert_eq!(f, vec!["kind", "title"]);
    let no_window = app
        .post("/admin/notices", Some(&t.admin), json!({ "community_id": t.community, "kind": "power_outage", "title": "停电", "content": "x" }))
        .await;
    assert_eq!(no_window.fields(), vec!["starts_at"]);
    let backwards = app
        .post("/admin/notices", Some(&t.admin), json!({ "community_id": t.community, "kind": "activity", "title": "义诊", "content": "x",
            "starts_at": ts(Duration::hours(2)), "ends_at": ts(Duration::hours(1)) }))
        .await;
    assert_eq!(backwards.fields(), vec!["ends_at"]);

    // Buildings must be the community's own; another community's admin is refused.
    let platform = app.platform_admin().await;
    let (other, _, other_building) = app.community_with_building(&platform, "别的社区").await;
    let wrong_building = app
        .post("/admin/notices", Some(&t.admin), json!({ "community_id": t.community, "kind": "general", "title": "t", "content": "c", "building_ids": [other_building] }))
        .await;
    assert_eq!(wrong_building.fields(), vec!["building_ids"]);
    let foreign = app
        .post(
            "/admin/notices",
            Some(&t.admin),
            json!({ "community_id": other, "kind": "general", "title": "t", "content": "c" }),
        )
        .await;
    assert_eq!(
        (foreign.status.as_u16(), foreign.code()),
        (403, "FORBIDDEN")
    );
    let (resident, _, _) = app.resident("nosy").await;
    let r = app
        .post(
            "/admin/notices",
            Some(&resident),
            json!({ "community_id": t.community, "kind": "general", "title": "t", "content": "c" }),
        )
        .await;
    assert_eq!(r.status, 403);
    let other_admin = app.community_admin(&platform, &[other]).await;
    let id = t
        .notice(json!({ "kind": "general", "title": "通知", "content": "内容" }))
        .await;
    let r = app
        .call(
            Method::POST,
            &format!("/admin/notices/{id}/publish"),
            Some(&other_admin),
            None,
        )
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .patch(
            &format!("/admin/notices/{id}"),
            Some(&other_admin),
            json!({ "title": "改" }),
        )
        .await;
    assert_eq!(r.status, 403);
    let list = app.get("/admin/notices", Some(&t.admin)).await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(
        app.get("/admin/notices", Some(&other_admin)).await.body["total"],
        0
    );
}

#[tokio::test]
async fn drafts_publish_withdraw_and_edits_follow_the_lifecycle() {
    let t = town().await;
    let app = &t.app;
    let id = t
        .notice(json!({ "kind": "general", "title": "草稿", "content": "内容" }))
        .await;
    let feed = app
        .get(&format!("/notices?community_id={}", t.community), None)
        .await;
    assert_eq!(feed.body["total"], 0, "drafts are not public");
    assert_eq!(app.get(&format!("/notices/{id}"), None).await.status, 404);
    let edited = app
        .patch(
            &format!("/admin/notices/{id}"),
            Some(&t.admin),
            json!({ "title": "正式通知", "pinned": true }),
        )
        .await;
    assert_eq!(
        (edited.status.as_u16(), edited.body["title"].as_str()),
        (200, Some("正式通知"))
    );

    let p = t.publish(id).await;
    assert_eq!(
        (p.status.as_u16(), p.body["status"].as_str()),
        (200, Some("published"))
    );
    assert!(p.body["published_at"].is_string());
    assert_eq!(
        app.get(&format!("/notices?community_id={}", t.community), None)
            .await
            .body["total"],
        1
    );
    assert_eq!(t.publish(id).await.code(), "INVALID_TRANSITION");
    let late = app
        .patch(
            &format!("/admin/notices/{id}"),
            Some(&t.admin),
            json!({ "title": "再改" }),
        )
        .await;
    assert_eq!(
        (late.status.as_u16(), late.code()),
        (409, "INVALID_TRANSITION")
    );

    let w = app
        .call(
            Method::POST,
            &format!("/admin/notices/{id}/withdraw"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(w.body["status"], "withdrawn");
    assert_eq!(
        app.get(&format!("/notices?community_id={}", t.community), None)
            .await
            .body["total"],
        0
    );
    assert_eq!(
        app.get(&format!("/notices/{id}"), None).await.code(),
        "NOTICE_NOT_FOUND"
    );
    assert_eq!(
        app.get(
            &format!(
                "/admin/notices?status=withdrawn&community_id={}",
                t.community
            ),
            Some(&t.admin)
        )
        .await
        .body["total"],
        1
    );
}

#[tokio::test]
async fn the_feed_orders_pinned_then_outages_in_effect_then_upcoming_then_newest() {
    let t = town().await;
    let app = &t.app;
    let mut ids = std::collections::HashMap::new();
    for (name, body) in [
        (
            "old_general",
            json!({ "kind": "general", "title": "旧通知", "content": "c" }),
        ),
        (
            "upcoming_late",
            outage("三小时后停水", Duration::hours(3), Duration::hours(5)),
        ),
        (
            "ended",
            outage("已结束停水", Duration::hours(-5), Duration::hours(-3)),
        ),
        (
            "in_effect",
            outage("正在停水", Duration::hours(-1), Duration::hours(1)),
        ),
        (
            "upcoming_soon",
            outage("一小时后停水", Duration::hours(1), Duration::hours(2)),
        ),
        (
            "pinned",
            json!({ "kind": "government", "title": "置顶政策", "content": "c", "pinned": true }),
        ),
        (
            "new_activity",
            json!({ "kind": "activity", "title": "四点半课堂", "content": "c", "starts_at": ts(Duration::days(1)), "ends_at": ts(Duration::days(2)) }),
        ),
    ] {
        let id = t.notice(body).await;
        assert_eq!(t.publish(id).await.status, 200);
        ids.insert(name, id);
    }
    let feed = app
        .get(&format!("/notices?community_id={}", t.community), None)
        .await;
    let order: Vec<i64> = feed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    let expected: Vec<i64> = [
        "pinned",
        "in_effect",
        "upcoming_soon",
        "upcoming_late",
        "new_activity",
        "ended",
        "old_general",
    ]
    .iter()
    .map(|n| ids[n])
    .collect();
    assert_eq!(order, expected);
    let items = feed.body["items"].as_array().unwrap();
    assert_eq!(items[1]["window_status"], "in_effect");
    assert_eq!(items[2]["window_status"], "upcoming");
    assert_eq!(items[5]["window_status"], "ended");
    assert_eq!(items[0]["window_status"], Value::Null);
    assert_eq!(
        items[0]["affects_me"],
        Value::Null,
        "anonymous callers get no affects_me"
    );

    let outages = app
        .get(
            &format!("/notices?community_id={}&kind=water_outage", t.community),
            None,
        )
        .await;
    assert_eq!(outages.body["total"], 4);
    // Without a community (anonymous, no community_id) the feed is empty.
    let none = app.get("/notices", None).await;
    assert_eq!(
        (none.status.as_u16(), none.body["total"].as_u64()),
        (200, Some(0)),
        "{}",
        none.text
    );
    assert_eq!(
        app.get(
            &format!("/notices?community_id={}&kind=gossip", t.community),
            None
        )
        .await
        .status,
        400
    );
}

#[tokio::test]
async fn affects_me_follows_the_residents_building_and_reads_are_counted_once() {
    let t = town().await;
    let app = &t.app;
    let targeted = t.notice(json!({ "kind": "general", "title": "1号楼电梯检修", "content": "c", "building_ids": [t.b1] })).await;
    let everyone = t
        .notice(json!({ "kind": "general", "title": "全体通知", "content": "c" }))
        .await;
    t.publish(targeted).await;
    t.publish(everyone).await;
    let in_b1 = t.resident_in("b1", t.b1, 0).await;
    let in_b2 = t.resident_in("b2", t.b2, 0).await;
    let flag = |feed: &Value, id: i64| {
        feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .unwrap()["affects_me"]
            .clone()
    };
    // A resident's own community is the default.
    let f1 = app.get("/notices", Some(&in_b1)).await.body;
    let f2 = app.get("/notices", Some(&in_b2)).await.body;
    assert_eq!(
        (flag(&f1, targeted), flag(&f1, everyone)),
        (json!(true), json!(true))
    );
    assert_eq!(
        (flag(&f2, targeted), flag(&f2, everyone)),
        (json!(false), json!(true))
    );

    for token in [&in_b1, &in_b1, &in_b2] {
        assert_eq!(
            app.get(&format!("/notices/{targeted}"), Some(token))
                .await
                .status,
            200
        );
    }
    app.get(&format!("/notices/{targeted}"), None).await;
    let item = t.admin_item(targeted).await;
    // Building 2's resident read it, but it is not theirs (finding 9).
    assert_eq!(item["read_count"], 1);
    assert_eq!(t.admin_item(everyone).await["read_count"], 0);
}

#[tokio::test]
async fn a_scheduled_notice_publishes_itself_at_its_time() {
    let t = town().await;
    let app = &t.app;
    let id = t.notice(json!({ "kind": "general", "title": "明天的通知", "content": "c", "publish_at": ts(Duration::hours(1)) })).await;
    let p = t.publish(id).await;
    assert_eq!(p.body["status"], "scheduled");
    let report = yizhan::notices::push::sweep(&app.state, Utc::now())
        .await
        .unwrap();
    assert_eq!(report.published, 0);
    assert_eq!(
        app.get(&format!("/notices?community_id={}", t.community), None)
            .await
            .body["total"],
        0
    );
    // As time passes, on any instance, after any restart: the row says when.
    let report = yizhan::notices::push::sweep(&app.state, Utc::now() + Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(report.published, 1);
    assert_eq!(
        app.get(&format!("/notices?community_id={}", t.community), None)
            .await
            .body["total"],
        1
    );
    assert_eq!(
        app.get(&format!("/notices/{id}"), None).await.body["status"],
        "published"
    );
}

async fn wechat_ok(app: &TestApp) {
    app.wechat_issues_token("AT").await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "errcode": 0, "errmsg": "ok" })),
        )
        .mount(&app.wechat)
        .await;
}

async fn messages_by_user(app: &TestApp) -> std::collections::HashMap<String, usize> {
    let mut out = std::collections::HashMap::new();
    for r in app.wechat.received_requests().await.unwrap() {
        if r.url.path() == "/cgi-bin/message/subscribe/send" {
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            *out.entry(v["touser"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    out
}

#[tokio::test]
async fn an_outage_reaches_each_affected_resident_with_a_grant_exactly_once_from_two_instances() {
    let t = town().await;
    let sibling = spawn_sibling(&t.app).await;
    let app = &t.app;
    wechat_ok(app).await;
    for i in 0..5 {
        t.resident_in(&format!("in-b1-{i}"), t.b1, 2).await;
    }
    t.resident_in("no-grant", t.b1, 0).await;
    t.resident_in("in-b2", t.b2, 2).await;
    let id = t
        .notice(json!({ "kind": "water_outage", "title": "1号楼明日停水", "content": "c", "building_ids": [t.b1], "push": true,
                        "starts_at": ts(Duration::hours(10)), "ends_at": ts(Duration::hours(14)) }))
        .await;
    t.publish(id).await;
    let now = Utc::now();
    let (a, b) = tokio::join!(
        yizhan::notices::push::sweep(&app.state, now),
        yizhan::notices::push::sweep(&sibling.state, now)
    );
    assert_eq!(a.unwrap().sent + b.unwrap().sent, 5);
    let by_user = messages_by_user(app).await;
    assert_eq!(by_user.len(), 5, "{by_user:?}");
    assert!(by_user.values().all(|n| *n == 1));
    assert!(!by_user.contains_key("no-grant") && !by_user.contains_key("in-b2"));
    let item = t.admin_item(id).await;
    assert_eq!(
        (
            item["push_sent"].as_u64(),
            item["push_failed"].as_u64(),
            item["push_pending"].as_u64()
        ),
        (Some(5), Some(0), Some(0))
    );
    // Nothing more to send, ever.
    assert_eq!(
        yizhan::notices::push::sweep(&app.state, now + Duration::hours(1))
            .await
            .unwrap()
            .sent,
        0
    );
    let one: Value = serde_json::from_slice(
        &app.wechat
            .received_requests()
            .await
            .unwrap()
            .iter()
            .rev()
            .find(|r| r.url.path() == "/cgi-bin/message/subscribe/send")
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(one["template_id"], "TPL_OUTAGE");
    assert_eq!(one["page"], format!("pages/notice/detail?id={id}"));
    assert_eq!(one["data"]["thing1"]["value"], "1号楼明日停水");
}

#[tokio::test]
async fn a_refusal_zeroes_grants_and_a_transient_failure_is_retried() {
    let t = town().await;
    let app = &t.app;
    app.wechat_issues_token("AT").await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .and(body_partial_json(json!({ "touser": "refuser" })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "errcode": 43101, "errmsg": "refused" })),
        )
        .mount(&app.wechat)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .and(body_partial_json(json!({ "touser": "flaky" })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "errcode": -1, "errmsg": "system busy" })),
        )
        .up_to_n_times(1)
        .mount(&app.wechat)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "errcode": 0, "errmsg": "ok" })),
        )
        .mount(&app.wechat)
        .await;
    let refuser = t.resident_in("refuser", t.b1, 3).await;
    let flaky = t.resident_in("flaky", t.b1, 1).await;
    let id = t
        .notice(
            json!({ "kind": "power_outage", "title": "停电", "content": "c", "push": true,
                        "starts_at": ts(Duration::hours(1)), "ends_at": ts(Duration::hours(3)) }),
        )
        .await;
    t.publish(id).await;
    let now = Utc::now();
    let first = yizhan::notices::push::sweep(&app.state, now).await.unwrap();
    assert_eq!((first.failed, first.retried, first.sent), (1, 1, 0));
    let grants = |token: &str| {
        let token = token.to_owned();
        async move {
            app.get("/me/subscriptions", Some(&token))
                .await
                .body
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["topic"] == "outage")
                .unwrap()["remaining"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(grants(&refuser).await, 0, "43101 zeroes the topic");
    assert_eq!(t.admin_item(id).await["push_pending"], 1);
    // Before the backoff nothing happens; after it the retry succeeds.
    assert_eq!(
        yizhan::notices::push::sweep(&app.state, now)
            .await
            .unwrap()
            .sent,
        0
    );
    let later = yizhan::notices::push::sweep(&app.state, now + Duration::seconds(30))
        .await
        .unwrap();
    assert_eq!(later.sent, 1);
    let item = t.admin_item(id).await;
    assert_eq!(
        (
            item["push_sent"].as_u64(),
            item["push_failed"].as_u64(),
            item["push_pending"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
    assert_eq!(grants(&flaky).await, 0, "one grant spent across the retry");
}

#[tokio::test]
async fn a_fan_out_to_three_thousand_residents_completes() {
    let t = town().await;
    let app = &t.app;
    wechat_ok(app).await;
    let now = yizhan::time::now();
    for chunk in (0..3000).collect::<Vec<i64>>().chunks(500) {
        entity::user::Entity::insert_many(chunk.iter().map(|i| entity::user::ActiveModel {
            openid: Set(Some(format!("fan-{i}"))),
            nickname: Set(format!("居民{i}")),
            roles: Set("resident".into()),
            community_id: Set(Some(t.community)),
            building_id: Set(Some(if i % 2 == 0 { t.b1 } else { t.b2 })),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec(&app.db)
        .await
        .unwrap();
    }
    let ids: Vec<i64> = <entity::user::Entity as EntityTrait>::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.openid.as_deref().is_some_and(|o| o.starts_with("fan-")))
        .map(|u| u.id)
        .collect();
    for chunk in ids.chunks(500) {
        entity::subscription_grant::Entity::insert_many(chunk.iter().map(|u| {
            entity::subscription_grant::ActiveModel {
                user_id: Set(*u),
                topic: Set("outage".into()),
                remaining: Set(1),
                updated_at: Set(now),
            }
        }))
        .exec(&app.db)
        .await
        .unwrap();
    }
    let id = t
        .notice(
            json!({ "kind": "gas_outage", "title": "全社区停气", "content": "c", "push": true,
                        "starts_at": ts(Duration::hours(2)), "ends_at": ts(Duration::hours(6)) }),
        )
        .await;
    let started = Instant::now();
    t.publish(id).await;
    let report = yizhan::notices::push::sweep(&app.state, Utc::now())
        .await
        .unwrap();
    eprintln!(
        "fan-out to 3000 residents: publish + sweep took {:.2}s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(report.sent, 3000);
    assert_eq!(messages_by_user(app).await.len(), 3000);
    assert_eq!(t.admin_item(id).await["push_sent"], 3000);
}

#[tokio::test]
async fn a_sender_killed_mid_send_never_causes_a_second_message() {
    use sea_orm::{ColumnTrait, QueryFilter};
    let t = town().await;
    let app = &t.app;
    wechat_ok(app).await;
    t.resident_in("victim", t.b1, 2).await;
    t.resident_in("fine", t.b1, 2).await;
    let id = t
        .notice(
            json!({ "kind": "water_outage", "title": "停水", "content": "c", "push": true,
                        "starts_at": ts(Duration::hours(1)), "ends_at": ts(Duration::hours(2)) }),
        )
        .await;
    t.publish(id).await;
    // A process claimed one row and died before finishing: the row stays `sending`.
    let row = entity::notice_delivery::Entity::find()
        .filter(entity::notice_delivery::Column::NoticeId.eq(id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut dead: entity::notice_delivery::ActiveModel = row.clone().into();
    dead.status = Set(entity::notice_delivery::DeliveryStatus::Sending);
    dead.attempts = Set(1);
    dead.locked_until = Set(Some(yizhan::time::now() + Duration::seconds(60)));
    sea_orm::ActiveModelTrait::update(dead, &app.db)
        .await
        .unwrap();

    let now = Utc::now();
    let first = yizhan::notices::push::sweep(&app.state, now).await.unwrap();
    assert_eq!(
        first.sent, 1,
        "the other resident is served; the claimed row is left alone while its lock holds"
    );
    let after_lock = yizhan::notices::push::sweep(&app.state, now + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(after_lock.sent, 0);
    assert_eq!(messages_by_user(app).await.values().sum::<usize>(), 1);
    let item = t.admin_item(id).await;
    assert_eq!(
        (
            item["push_sent"].as_u64(),
            item["push_failed"].as_u64(),
            item["push_pending"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
}
