//! Tool lending (工具借用点): points, tools, reservations never above the
//! units of a date (a race), hand-over and return, overdue reminders once.

use chrono::{TimeDelta, Utc};
use futures_util::future::join_all;
use serde_json::json;

use crate::support::{TestApp, spawn_app_with};
use crate::uploads::{jpeg, upload};

async fn app() -> TestApp {
    spawn_app_with(|s| {
        s.rate_limit.writes_per_minute_per_user = 1_000_000;
        s.rate_limit.writes_per_minute_per_ip = 1_000_000;
        // The sweep runs by hand below.
        s.jobs.sweep_interval_ms = 3_600_000;
    })
    .await
}

async fn resident_of(app: &TestApp, openid: &str, building: i64) -> (String, i64) {
    let (token, id, _) = app.resident(openid).await;
    app.bind_building(&token, building).await;
    (token, id)
}

/// A point in a new community with its keeper and a tool of `quantity`:
/// (platform, community building, keeper token, point id, tool id).
async fn point_with_tool(app: &TestApp, quantity: i64) -> (String, i64, String, i64, i64) {
    let platform = app.platform_admin().await;
    let (c, _, b) = app.community_with_building(&platform, "借用社区").await;
    let admin = app.community_admin(&platform, &[c]).await;
    let (keeper, keeper_id) = resident_of(app, "keeper", b).await;
    let p = app
        .post(
            "/admin/lending-points",
            Some(&admin),
            json!({ "community_id": c, "name": "一号借用点", "address": "活动中心", "keeper_user_id": keeper_id }),
        )
        .await;
    assert_eq!(p.status, 201, "{}", p.text);
    let point = p.body["id"].as_i64().unwrap();
    let photo = upload(app, &keeper, "tool_photo", &jpeg(64, 64)).await;
    assert!(photo.status == 201 || photo.status == 200, "{}", photo.text);
    let photo_id = photo.body["id"].as_i64().unwrap();
    let t = app
        .post(
            &format!("/lending-points/{point}/tools"),
            Some(&keeper),
            json!({ "name": "电钻", "description": "冲击钻", "photos": [photo_id], "quantity": quantity }),
        )
        .await;
    assert_eq!(t.status, 201, "{}", t.text);
    assert_eq!(t.body["photos"], json!([photo_id]));
    (platform, b, keeper, point, t.body["id"].as_i64().unwrap())
}

fn today() -> String {
    yizhan::calendar::local_date(Utc::now())
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test]
async fn reservations_never_exceed_the_units_of_a_date() {
    let app = app().await;
    let (platform, b, keeper, point, tool) = point_with_tool(&app, 2).await;
    let date = today();
    let mut residents = Vec::new();
    for i in 0..10 {
        residents.push(resident_of(&app, &format!("lend-{i}"), b).await.0);
    }
    let path = format!("/lending-tools/{tool}/loans");
    let replies = join_all(
        residents
            .iter()
            .map(|t| app.post(&path, Some(t), json!({ "date": date }))),
    )
    .await;
    let ok: Vec<_> = replies.iter().filter(|r| r.status == 201).collect();
    let full = replies
        .iter()
        .filter(|r| r.status == 409 && r.code() == "TOOL_UNAVAILABLE")
        .count();
    assert_eq!(
        (ok.len(), full),
        (2, 8),
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    let tools = app
        .get(&format!("/lending-points/{point}/tools?date={date}"), None)
        .await;
    assert_eq!(tools.body["items"][0]["available"], 0, "{}", tools.text);
    let loans = app
        .get(
            &format!("/lending-points/{point}/loans?status=reserved"),
            Some(&keeper),
        )
        .await;
    assert_eq!(loans.body["total"], 2);

    // A cancellation frees a unit for someone else.
    let owner_of_first = residents
        .iter()
        .zip(&replies)
        .find(|(_, r)| r.status == 201)
        .map(|(t, r)| (t.clone(), r.body["id"].as_i64().unwrap()))
        .unwrap();
    let cancelled = app
        .post(
            &format!("/loans/{}/cancel", owner_of_first.1),
            Some(&owner_of_first.0),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.body["status"], "cancelled", "{}", cancelled.text);
    let after = app
        .get(&format!("/lending-points/{point}/tools?date={date}"), None)
        .await;
    assert_eq!(after.body["items"][0]["available"], 1);
    let waiting = residents
        .iter()
        .zip(&replies)
        .find(|(_, r)| r.status == 409)
        .map(|(t, _)| t.clone())
        .unwrap();
    assert_eq!(
        app.post(&path, Some(&waiting), json!({ "date": date }))
            .await
            .status,
        201
    );

    // Bad dates, strangers, someone else's loan.
    let bad = app
        .post(&path, Some(&waiting), json!({ "date": "2099-01-01" }))
        .await;
    assert_eq!(bad.fields(), ["date"]);
    let (c2, _, b2) = app.community_with_building(&platform, "别的社区").await;
    let _ = c2;
    let (stranger, _) = resident_of(&app, "lend-stranger", b2).await;
    let far = app
        .post(&path, Some(&stranger), json!({ "date": date }))
        .await;
    assert_eq!(
        (far.status.as_u16(), far.code()),
        (403, "NOT_FOR_YOUR_COMMUNITY")
    );
    let theirs = app
        .post(
            &format!("/loans/{}/cancel", owner_of_first.1),
            Some(&stranger),
            json!({}),
        )
        .await;
    assert_eq!(theirs.status, 404);
    let not_keeper = app
        .post(
            &format!("/lending-points/{point}/tools"),
            Some(&stranger),
            json!({ "name": "锤子", "quantity": 1 }),
        )
        .await;
    assert_eq!(not_keeper.status, 403);
}

#[tokio::test]
async fn the_keeper_lends_and_takes_back_and_overdue_loans_are_reminded_once() {
    let app = app().await;
    let (_, b, keeper, point, tool) = point_with_tool(&app, 1).await;
    let (r, _) = resident_of(&app, "borrower", b).await;
    let loan = app
        .post(
            &format!("/lending-tools/{tool}/loans"),
            Some(&r),
            json!({ "date": today() }),
        )
        .await;
    assert_eq!(loan.status, 201, "{}", loan.text);
    let id = loan.body["id"].as_i64().unwrap();
    assert_eq!(
        app.post(&format!("/loans/{id}/hand-over"), Some(&r), json!({}))
            .await
            .status,
        404,
        "the borrower is not the keeper"
    );
    let out = app
        .post(
            &format!("/loans/{id}/hand-over"),
            Some(&keeper),
            json!({ "condition": "完好" }),
        )
        .await;
    assert_eq!(out.status, 200, "{}", out.text);
    assert_eq!(out.body["status"], "lent");
    let cancel = app
        .post(&format!("/loans/{id}/cancel"), Some(&r), json!({}))
        .await;
    assert_eq!(cancel.code(), "INVALID_TRANSITION");

    // Two days later it is overdue: listed, and reminded exactly once.
    app.state.clock.set(Utc::now() + TimeDelta::days(2));
    let overdue = app
        .get(
            &format!("/lending-points/{point}/loans?overdue=true"),
            Some(&keeper),
        )
        .await;
    assert_eq!(overdue.body["total"], 1, "{}", overdue.text);
    assert_eq!(overdue.body["items"][0]["overdue"], true);
    let platform = app.platform_admin().await;
    let dashboard = app.get("/admin/stats", Some(&platform)).await;
    assert_eq!(dashboard.body["civic"]["loans"], 1, "{}", dashboard.text);
    let later = yizhan::calendar::local_date(Utc::now() + TimeDelta::days(2));
    let rounds =
        join_all((0..4).map(|_| yizhan::lending::loans::remind_overdue(&app.db, later))).await;
    let reminded: u64 = rounds.into_iter().map(|r| r.unwrap()).sum();
    assert_eq!(reminded, 1);
    assert_eq!(
        yizhan::lending::loans::remind_overdue(&app.db, later)
            .await
            .unwrap(),
        0
    );
    let inbox = app.get("/me/messages", Some(&r)).await;
    let items: Vec<_> = inbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "tool_loan")
        .collect();
    assert_eq!(items.len(), 1, "{}", inbox.text);
    assert_eq!(items[0]["target"], json!({ "type": "tool_loan", "id": id }));

    // Back, with its condition noted.
    let no_note = app
        .post(&format!("/loans/{id}/return"), Some(&keeper), json!({}))
        .await;
    assert_eq!(no_note.fields(), ["condition"]);
    let back = app
        .post(
            &format!("/loans/{id}/return"),
            Some(&keeper),
            json!({ "condition": "钻头磨损" }),
        )
        .await;
    assert_eq!(back.status, 200, "{}", back.text);
    assert_eq!(back.body["status"], "returned");
    assert_eq!(back.body["return_condition"], "钻头磨损");
    assert_eq!(back.body["overdue"], false);
    let mine = app.get("/me/loans", Some(&r)).await;
    assert_eq!(mine.body["items"][0]["status"], "returned");
    let none = app
        .get(
            &format!("/lending-points/{point}/loans?overdue=true"),
            Some(&keeper),
        )
        .await;
    assert_eq!(none.body["total"], 0);
}

#[tokio::test]
async fn a_replayed_reservation_answers_again_and_reserves_nothing_more() {
    let app = app().await;
    let (_, b, keeper, point, tool) = point_with_tool(&app, 2).await;
    let (r, _) = resident_of(&app, "replayer", b).await;
    let date = today();
    let path = format!("/lending-tools/{tool}/loans");
    let send = |key: &str, body: serde_json::Value| {
        app.send(
            app.client
                .post(app.url(&path))
                .bearer_auth(&r)
                .header("Idempotency-Key", key)
                .json(&body),
        )
    };
    let first = send("reserve-1", json!({ "date": date })).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["status"], "reserved");
    // The same key and body, one after the other and several at once:
    // the first answer each time.
    let again = send("reserve-1", json!({ "date": date })).await;
    assert_eq!(
        (again.status.as_u16(), again.body.clone()),
        (201, first.body.clone())
    );
    let racing = join_all((0..5).map(|_| send("reserve-1", json!({ "date": date })))).await;
    for reply in &racing {
        assert_eq!(
            (reply.status.as_u16(), reply.body.clone()),
            (201, first.body.clone()),
            "{}",
            reply.text
        );
    }
    // The same key with another body is refused, and reserves nothing.
    let other_day = yizhan::calendar::local_date(Utc::now() + TimeDelta::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let reused = send("reserve-1", json!({ "date": other_day })).await;
    assert_eq!(
        (reused.status.as_u16(), reused.code()),
        (422, "IDEMPOTENCY_KEY_REUSED")
    );
    // One reservation: one unit of two taken that day, none the next.
    let mine = app.get("/me/loans", Some(&r)).await;
    assert_eq!(mine.body["total"], 1, "{}", mine.text);
    let listed = app
        .get(&format!("/lending-points/{point}/loans"), Some(&keeper))
        .await;
    assert_eq!(listed.body["total"], 1, "{}", listed.text);
    let tools = app
        .get(&format!("/lending-points/{point}/tools?date={date}"), None)
        .await;
    assert_eq!(tools.body["items"][0]["available"], 1, "{}", tools.text);
    let next = app
        .get(
            &format!("/lending-points/{point}/tools?date={other_day}"),
            None,
        )
        .await;
    assert_eq!(next.body["items"][0]["available"], 2, "{}", next.text);
    // A new key is a new reservation.
    let second = send("reserve-2", json!({ "date": date })).await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert_ne!(second.body["id"], first.body["id"]);
    let full = app
        .get(&format!("/lending-points/{point}/tools?date={date}"), None)
        .await;
    assert_eq!(full.body["items"][0]["available"], 0, "{}", full.text);
}
