//! Reporting: every bad field at once, 代办 with consent, 速办件, anonymity,
//! idempotency, and the subscribe messages owed to the reporter.

use entity::{request, request_photo};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use super::{desk, desk_on, ids};

#[tokio::test]
async fn a_report_lists_every_bad_field_and_refuses_nul_bytes() {
    let d = desk().await;
    d.at("2026-09-21T10:00:00+08:00");
    // Authorization comes first: no token is 401, an admin account 403, whatever the body.
    assert_eq!(d.app.post("/requests", None, json!({})).await.status, 401);
    assert_eq!(
        d.app
            .post("/requests", Some(&d.admin), json!({}))
            .await
            .status,
        403
    );
    let (stranger, _, _) = d.app.resident("unbound").await;
    let r = d.app.post("/requests", Some(&stranger), json!({})).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.fields(), ["category_id", "content", "building_id"]);
    let r = d
        .report_as(
            &d.resident,
            d.outage,
            json!({
                "content": "", "photos": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
                "urgency": "very", "contact_phone": "12345", "consent": "同意",
                "lat": 95.0, "lng": 114.3, "building_id": 99_999, "address": "x".repeat(101)
            }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.fields(),
        [
            "content",
            "photos",
            "address",
            "urgency",
            "contact_phone",
            "consent",
            "lat",
            "building_id"
        ]
    );
    // A NUL byte anywhere in a body is refused before anything else is
    // read (hardening 13), naming its field.
    let r = d
        .report_as(
            &d.resident,
            d.outage,
            json!({ "content": "停电\u{0}了很久了", "building_id": d.building }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.fields(), ["content"]);
    let r = d.report_as(&d.resident, 99_999, json!({})).await;
    assert_eq!(r.fields(), ["category_id"]);
    // A category with children is not a leaf.
    let parent = super::category(
        &d.app,
        &d.platform,
        json!({ "name": "市政", "level": "department", "department_id": d.power }),
    )
    .await;
    super::category(&d.app, &d.platform, json!({ "name": "路灯", "level": "department", "department_id": d.power, "parent_id": parent })).await;
    assert_eq!(
        d.report_as(&d.resident, parent, json!({})).await.fields(),
        ["category_id"]
    );
    assert_eq!(request::Entity::find().count(&d.app.db).await.unwrap(), 0);

    // Without a place, the resident's own building is used.
    let r = d
        .app
        .post(
            "/requests",
            Some(&d.resident),
            json!({ "category_id": d.outage, "content": "整栋楼停电了", "photos": [5, 6] }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["building_id"], d.building);
    assert_eq!(r.body["grid_id"], d.grid);
    assert_eq!(r.body["photos"], json!([5, 6]));
    let photos = request_photo::Entity::find()
        .filter(request_photo::Column::RequestId.eq(r.body["id"].as_i64().unwrap()))
        .count(&d.app.db)
        .await
        .unwrap();
    assert_eq!(photos, 2);
    // Coordinates and a community serve a place without a building.
    let r = d
        .app
        .post(
            "/requests",
            Some(&stranger),
            json!({ "category_id": d.outage, "content": "路口信号灯不亮", "lat": 30.51, "lng": 114.32, "community_id": d.community }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.body["grid_id"].clone(), r.body["lat"].clone()),
        (json!(null), json!(30.51))
    );
}

#[tokio::test]
async fn a_retried_report_is_filed_once() {
    let d = desk().await;
    d.at("2026-09-21T10:00:00+08:00");
    let body =
        json!({ "category_id": d.outage, "content": "整栋楼停电了", "building_id": d.building });
    let send = |body: serde_json::Value| {
        d.app.send(
            d.app
                .client
                .post(d.app.url("/requests"))
                .bearer_auth(&d.resident)
                .header("Idempotency-Key", "report-1")
                .json(&body),
        )
    };
    let first = send(body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = send(body.clone()).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body["id"], first.body["id"]);
    let mut other = body.clone();
    other["content"] = json!("另一件事情要反映");
    assert_eq!(send(other).await.code(), "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(request::Entity::find().count(&d.app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn grid_workers_file_for_their_residents_with_consent_and_express_to_the_department() {
    let d = desk().await;
    d.at("2026-09-21T10:00:00+08:00");
    // A resident of another grid.
    let other_building = {
        let g = d
            .app
            .post(
                &format!("/admin/communities/{}/grids", d.community),
                Some(&d.platform),
                json!({ "name": "第二网格" }),
            )
            .await;
        let gid = g.body["id"].as_i64().unwrap();
        let b = d
            .app
            .post(
                &format!("/admin/grids/{gid}/buildings"),
                Some(&d.platform),
                json!({ "name": "9号楼", "households": 60 }),
            )
            .await;
        b.body["id"].as_i64().unwrap()
    };
    let (elsewhere, elsewhere_id, _) = d.app.resident("elsewhere").await;
    d.app.bind_building(&elsewhere, other_building).await;

    // Only grid workers file for others, only for their grid, only with consent.
    let r = d
        .report_as(
            &elsewhere,
            d.outage,
            json!({ "on_behalf_of_user_id": d.resident_id, "consent": "电话同意" }),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = d
        .report_as(
            &d.worker,
            d.outage,
            json!({ "on_behalf_of_user_id": elsewhere_id, "consent": "电话同意" }),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = d
        .report_as(
            &d.worker,
            d.outage,
            json!({ "on_behalf_of_user_id": d.resident_id }),
        )
        .await;
    assert_eq!(r.fields(), ["consent"]);
    let r = d
        .report_as(
            &d.worker,
            d.outage,
            json!({ "on_behalf_of_user_id": d.resident_id, "consent": "上门走访时本人同意" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let filed = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["reporter"]["id"], d.resident_id);
    assert_eq!(r.body["filed_by"]["id"], d.worker_id);
    assert_eq!(r.body["consent"], "上门走访时本人同意");
    assert_eq!(
        r.body["status"], "submitted",
        "代办 still goes through the community's queue"
    );
    // Both see it as theirs.
    assert_eq!(
        ids(&d.app.get("/me/requests", Some(&d.resident)).await),
        vec![filed]
    );
    assert_eq!(
        ids(&d.app.get("/me/requests", Some(&d.worker)).await),
        vec![filed]
    );

    // 速办件: straight to the category's department, past the queue.
    let r = d
        .report_as(&d.resident, d.outage, json!({ "express": true }))
        .await;
    assert_eq!(r.status, 403, "residents file no 速办件");
    let r = d
        .report_as(
            &d.worker,
            d.outage,
            json!({ "express": true, "building_id": other_building }),
        )
        .await;
    assert_eq!(r.status, 403, "outside the worker's grid");
    let r = d
        .report_as(
            &d.worker,
            d.outage,
            json!({ "express": true, "content": "电线杆倾斜有倒塌危险", "urgency": "urgent" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let express = r.body["id"].as_i64().unwrap();
    assert_eq!(
        (r.body["status"].as_str(), r.body["level"].as_str()),
        (Some("assigned"), Some("department"))
    );
    assert_eq!(r.body["department_id"], d.power);
    assert_eq!(r.body["express"], true);
    assert_eq!(
        ids(&d
            .app
            .get("/admin/requests?status=submitted", Some(&d.admin))
            .await),
        vec![filed],
        "the express request skipped the community's queue"
    );
    assert_eq!(
        ids(&d.app.get("/me/request-queue", Some(&d.power_staff)).await),
        vec![express]
    );
    d.ok(&d.power_staff, express, "accept", json!({})).await;
}

#[tokio::test]
async fn an_anonymous_reporter_is_hidden_from_everyone_handling_it() {
    let d = desk().await;
    d.at("2026-09-21T10:00:00+08:00");
    let r = d
        .report_as(
            &d.resident,
            d.outage,
            json!({ "anonymous": true, "contact_phone": "13812345678" }),
        )
        .await;
    assert_eq!(r.status, 201);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(
        r.body["reporter"]["id"], d.resident_id,
        "the reporter sees themself"
    );
    assert_eq!(r.body["contact_phone"], "13812345678");
    d.ok(&d.admin, id, "assign", json!({})).await;
    d.ok(&d.resident, id, "urge", json!({})).await;
    for (who, token) in [
        ("staff", &d.power_staff),
        ("admin", &d.admin),
        ("worker", &d.worker),
    ] {
        let v = d.detail(token, id).await.body;
        assert_eq!(v["reporter"], json!(null), "{who}");
        assert_eq!(v["contact_phone"], json!(null), "{who}");
        for e in v["timeline"].as_array().unwrap() {
            if e["actor_role"] == "reporter" {
                assert_eq!(e["actor"], json!(null), "{who}: {e}");
            }
        }
        assert!(!v.to_string().contains("居民resident"), "{who}: {v}");
    }
    let board = d.app.get("/admin/requests", Some(&d.admin)).await;
    assert_eq!(board.body["items"][0]["reporter"], json!(null));
    let queue = d.app.get("/me/request-queue", Some(&d.power_staff)).await;
    assert_eq!(queue.body["items"][0]["reporter"], json!(null));

    // Not anonymous: the handler sees whom to call back.
    let open = d.report(d.outage).await;
    d.ok(&d.admin, open, "assign", json!({})).await;
    let v = d.detail(&d.power_staff, open).await.body;
    assert_eq!(v["reporter"]["name"], "居民resident");
}

#[tokio::test]
async fn reporters_with_a_grant_get_a_message_when_their_request_moves() {
    use yizhan::subscriptions::sender::Delivery;
    let app = crate::support::spawn_app_with(|s| {
        s.jobs.sweep_interval_ms = 3_600_000;
        s.wechat.templates.request = "tmpl-request".into();
    })
    .await;
    let d = desk_on(app).await;
    d.at("2026-09-21T10:00:00+08:00");
    let r = d
        .app
        .post(
            "/me/subscriptions",
            Some(&d.resident),
            json!({ "topic": "request", "grants": 2 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = d.report(d.outage).await;
    d.ok(&d.admin, id, "assign", json!({})).await;
    d.ok(&d.power_staff, id, "accept", json!({})).await;
    d.ok(
        &d.power_staff,
        id,
        "resolve",
        json!({ "note": "已恢复供电" }),
    )
    .await;
    // A reporter without a grant is owed messages too, but none can go out.
    let (other, _, _) = d.app.resident("no-grant").await;
    d.app.bind_building(&other, d.building).await;
    let quiet = d.report_as(&other, d.outage, json!({})).await.body["id"]
        .as_i64()
        .unwrap();
    d.ok(&d.admin, quiet, "assign", json!({})).await;
    d.ok(&d.power_staff, quiet, "accept", json!({})).await;
    d.app.wechat_issues_token("tok").await;
    for phrase in ["已受理", "已办结"] {
        Mock::given(method("POST"))
            .and(path("/cgi-bin/message/subscribe/send"))
            .and(body_partial_json(json!({
                "touser": "resident", "template_id": "tmpl-request",
                "page": format!("pages/requests/detail?id={id}"),
                "data": { "phrase2": { "value": phrase } }
            })))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "errcode": 0 })))
            .expect(1)
            .mount(&d.app.wechat)
            .await;
    }
    let sent = yizhan::requests::notify::send_owed(&d.app.state)
        .await
        .unwrap();
    assert_eq!(sent, [Delivery::Sent, Delivery::Sent, Delivery::Skipped]);
    assert!(
        yizhan::requests::notify::send_owed(&d.app.state)
            .await
            .unwrap()
            .is_empty(),
        "each message once"
    );
    let grants = d.app.get("/me/subscriptions", Some(&d.resident)).await;
    let request = grants
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["topic"] == "request")
        .unwrap()
        .clone();
    assert_eq!(request["remaining"], 0);
}
