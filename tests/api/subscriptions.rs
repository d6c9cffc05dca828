//! Subscribe-message grants and the messages owed for group-buy results and
//! booking status changes.

use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::group_buys::{market, neighbour, open_campaign, reach_cut_off};
use crate::support::{TestApp, spawn_app_with};

async fn app_with_templates() -> TestApp {
    spawn_app_with(|s| {
        s.jobs.sweep_interval_ms = 3_600_000;
        s.rate_limit.login_per_minute = 10_000;
        s.wechat.templates.group_buy = "TPL_GROUP_BUY".into();
        s.wechat.templates.booking = "TPL_BOOKING".into();
    })
    .await
}

async fn wechat_accepts_messages(app: &TestApp) {
    app.wechat_issues_token("AT").await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "errcode": 0, "errmsg": "ok" })),
        )
        .mount(&app.wechat)
        .await;
}

async fn sent_messages(app: &TestApp) -> Vec<Value> {
    app.wechat
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/cgi-bin/message/subscribe/send")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

async fn grants(app: &TestApp, token: &str, topic: &str) -> i64 {
    let r = app.get("/me/subscriptions", Some(token)).await;
    r.body
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["topic"] == topic)
        .unwrap()["remaining"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn grants_add_up_per_topic_and_bad_input_is_422() {
    let app = app_with_templates().await;
    let (token, _, _) = app.resident("g").await;
    let r = app
        .post(
            "/me/subscriptions",
            Some(&token),
            json!({ "topic": "outage", "grants": 2 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.post(
        "/me/subscriptions",
        Some(&token),
        json!({ "topic": "outage", "grants": 3 }),
    )
    .await;
    assert_eq!(grants(&app, &token, "outage").await, 5);
    assert_eq!(grants(&app, &token, "booking").await, 0);
    let bad = app
        .post(
            "/me/subscriptions",
            Some(&token),
            json!({ "topic": "spam", "grants": 0 }),
        )
        .await;
    let mut fields = bad.fields();
    fields.sort();
    assert_eq!(
        (bad.status.as_u16(), fields),
        (422, vec!["grants".to_owned(), "topic".to_owned()])
    );
    assert_eq!(grants(&app, &token, "outage").await, 5);
    assert_eq!(
        app.post(
            "/me/subscriptions",
            None,
            json!({ "topic": "outage", "grants": 1 })
        )
        .await
        .status,
        401
    );
}

#[tokio::test]
async fn a_group_buy_result_reaches_each_participant_with_a_grant_once() {
    let app = app_with_templates().await;
    // A second instance, started before anything is owed (its sweep runs at start-up).
    let sibling = crate::support::spawn_sibling(&app).await;
    wechat_accepts_messages(&app).await;
    let m = market(&app, 20).await;
    let id = open_campaign(&app, &m, 10, 1, 5).await;
    let with_grant = neighbour(&app, &m, "granted").await;
    let without = neighbour(&app, &m, "silent").await;
    app.post(
        "/me/subscriptions",
        Some(&with_grant),
        json!({ "topic": "group_buy", "grants": 1 }),
    )
    .await;
    for t in [&with_grant, &without] {
        assert_eq!(
            app.post(
                &format!("/group-buys/{id}/orders"),
                Some(t),
                json!({ "quantity": 1 })
            )
            .await
            .status,
            201
        );
    }
    reach_cut_off(&app, id).await;
    yizhan::group_buys::settlement::sweep(&app.db, &app.state_cache())
        .await
        .unwrap();

    // Two instances sweeping at once still send one message.
    let (x, y) = tokio::join!(
        yizhan::subscriptions::sender::sweep(&app.state),
        yizhan::subscriptions::sender::sweep(&sibling.state)
    );
    let outcomes: Vec<_> = x.unwrap().into_iter().chain(y.unwrap()).collect();
    assert_eq!(
        outcomes.len(),
        2,
        "two participants, each claimed once: {outcomes:?}"
    );
    let sent = sent_messages(&app).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["touser"], "granted");
    assert_eq!(sent[0]["template_id"], "TPL_GROUP_BUY");
    assert_eq!(sent[0]["page"], format!("pages/group-buy/detail?id={id}"));
    assert_eq!(sent[0]["data"]["phrase2"]["value"], "成团成功");
    assert_eq!(grants(&app, &with_grant, "group_buy").await, 0);

    assert!(
        yizhan::subscriptions::sender::sweep(&app.state)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(sent_messages(&app).await.len(), 1);
}

#[tokio::test]
async fn a_refusal_zeroes_the_topic() {
    let app = app_with_templates().await;
    app.wechat_issues_token("AT").await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({ "errcode": 43101, "errmsg": "user refuse to accept the msg" }),
            ),
        )
        .mount(&app.wechat)
        .await;
    let m = market(&app, 20).await;
    let id = open_campaign(&app, &m, 10, 5, 5).await;
    let a = neighbour(&app, &m, "refuser").await;
    app.post(
        "/me/subscriptions",
        Some(&a),
        json!({ "topic": "group_buy", "grants": 3 }),
    )
    .await;
    app.post(
        &format!("/group-buys/{id}/orders"),
        Some(&a),
        json!({ "quantity": 1 }),
    )
    .await;
    reach_cut_off(&app, id).await;
    yizhan::group_buys::settlement::sweep(&app.db, &app.state_cache())
        .await
        .unwrap();
    let out = yizhan::subscriptions::sender::sweep(&app.state)
        .await
        .unwrap();
    assert_eq!(out, vec![yizhan::subscriptions::sender::Delivery::Refused]);
    assert_eq!(grants(&app, &a, "group_buy").await, 0);
}

#[tokio::test]
async fn booking_status_changes_message_the_resident() {
    let app = app_with_templates().await;
    wechat_accepts_messages(&app).await;
    let platform = app.platform_admin().await;
    let (community, _, building) = app.community_with_building(&platform, "甲").await;
    let (helper, _, _) = app
        .approved_helper(&platform, "helper", &[community], &["上门理发"])
        .await;
    let service = app
        .offer_service(&helper, json!({ "category": "上门理发", "title": "老人上门理发", "price": "0.00", "duration_minutes": 30, "community_ids": [community] }))
        .await;
    let slot = app.publish_slot(&helper, 6, 30).await;
    let (resident, _, _) = app.resident("grandma").await;
    app.bind_building(&resident, building).await;
    app.post(
        "/me/subscriptions",
        Some(&resident),
        json!({ "topic": "booking", "grants": 5 }),
    )
    .await;
    let b = app
        .post("/bookings", Some(&resident), json!({ "service_id": service, "slot_id": slot, "address": "1号楼", "contact_phone": "13800000000", "note": "" }))
        .await;
    assert_eq!(b.status, 201, "{}", b.text);
    let id = b.body["id"].as_i64().unwrap();
    assert_eq!(
        app.call(
            Method::POST,
            &format!("/bookings/{id}/accept"),
            Some(&helper),
            None
        )
        .await
        .status,
        200
    );
    yizhan::subscriptions::sender::sweep(&app.state)
        .await
        .unwrap();
    yizhan::subscriptions::sender::sweep(&app.state)
        .await
        .unwrap();
    let sent = sent_messages(&app).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["touser"], "grandma");
    assert_eq!(sent[0]["template_id"], "TPL_BOOKING");
    assert_eq!(sent[0]["data"]["phrase2"]["value"], "已接单");
    assert_eq!(sent[0]["data"]["thing1"]["value"], "老人上门理发");
    assert_eq!(grants(&app, &resident, "booking").await, 4);
}
