//! The sign-up engine: never over capacity, the waiting list in order, one
//! promotion per cancellation, one place per person, Idempotency-Key.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;

use super::{first_session, fixture};

#[tokio::test]
async fn two_hundred_residents_race_for_thirty_places() {
    // The 200 sign-ups of one session commit one after another (its row
    // lock); on PostgreSQL behind the tests' 8 connections the last ones
    // wait longer for a connection than the 3 s that answers 503 in
    // production. This test is about the counts, so it lets them wait.
    let fix = Arc::new(super::fixture_with(|s| s.database.acquire_timeout_secs = 60).await);
    let activity = fix.publish(48, json!({ "capacity": 30 })).await;
    let session = first_session(&activity);
    let mut residents = Vec::new();
    for i in 0..200 {
        residents.push(fix.resident(&format!("race{i}")).await);
    }
    let mut tasks = Vec::new();
    for (token, _) in residents.clone() {
        let fix = fix.clone();
        tasks.push(tokio::spawn(async move {
            fix.app
                .post(
                    &format!("/activity-sessions/{session}/signups"),
                    Some(&token),
                    json!({}),
                )
                .await
        }));
    }
    let mut confirmed = 0;
    let mut waiting = Vec::new();
    for t in tasks {
        let r = t.await.expect("task");
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        match r.body["status"].as_str() {
            Some("confirmed") => confirmed += 1,
            Some("waiting") => waiting.push(r.body["id"].as_i64().expect("id")),
            other => panic!("unexpected status {other:?}"),
        }
    }
    assert_eq!(confirmed, 30);
    assert_eq!(waiting.len(), 170);

    let detail = fix
        .app
        .get(&format!("/activities/{}", activity["id"]), None)
        .await;
    assert_eq!(detail.body["sessions"][0]["taken"], 30);
    assert_eq!(detail.body["sessions"][0]["remaining"], 0);
    assert_eq!(detail.body["sessions"][0]["waiting"], 170);

    // The roster lists the waiting list in sign-up order, positions 1..=170.
    let roster = fix
        .app
        .get(
            &format!("/activity-sessions/{session}/roster"),
            Some(&fix.admin),
        )
        .await;
    assert_eq!(roster.status, 200, "{}", roster.text);
    let list = roster.body.as_array().expect("roster");
    let waits: Vec<(i64, u64)> = list
        .iter()
        .filter(|s| s["status"] == "waiting")
        .map(|s| {
            (
                s["id"].as_i64().unwrap_or(0),
                s["waiting_position"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    waiting.sort_unstable();
    assert_eq!(waits.iter().map(|w| w.0).collect::<Vec<_>>(), waiting);
    assert_eq!(
        waits.iter().map(|w| w.1).collect::<Vec<_>>(),
        (1..=170).collect::<Vec<_>>()
    );

    // Ten holders cancel at once: exactly the first ten waiting are promoted, once each.
    let holders: Vec<(String, i64)> = {
        let mut out = Vec::new();
        for (token, _) in &residents {
            let mine = fix.app.get("/me/signups", Some(token)).await;
            let s = &mine.body["items"][0];
            if s["status"] == "confirmed" {
                out.push((token.clone(), s["id"].as_i64().expect("id")));
            }
        }
        out
    };
    assert_eq!(holders.len(), 30);
    let mut cancels = Vec::new();
    for (token, id) in holders.iter().take(10) {
        let (fix, token, id) = (fix.clone(), token.clone(), *id);
        cancels.push(tokio::spawn(async move {
            fix.app
                .post(&format!("/me/signups/{id}/cancel"), Some(&token), json!({}))
                .await
        }));
    }
    for c in cancels {
        let r = c.await.expect("task");
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["status"], "cancelled");
    }
    let roster = fix
        .app
        .get(
            &format!("/activity-sessions/{session}/roster"),
            Some(&fix.admin),
        )
        .await;
    let list = roster.body.as_array().expect("roster");
    let confirmed: Vec<i64> = list
        .iter()
        .filter(|s| s["status"] == "confirmed")
        .map(|s| s["id"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(confirmed.len(), 30, "still exactly 30 places held");
    for promoted in &waiting[..10] {
        assert!(confirmed.contains(promoted), "{promoted} promoted in order");
    }
    let still_waiting = list.iter().filter(|s| s["status"] == "waiting").count();
    assert_eq!(still_waiting, 160);
    let detail = fix
        .app
        .get(&format!("/activities/{}", activity["id"]), None)
        .await;
    assert_eq!(detail.body["sessions"][0]["taken"], 30);

    // Each promoted resident got exactly one message saying so.
    let mut told = 0;
    for (token, _) in &residents {
        let inbox = fix.app.get("/me/messages", Some(token)).await;
        let n = inbox.body["items"]
            .as_array()
            .map(|a| a.iter().filter(|m| m["title"] == "候补成功").count())
            .unwrap_or(0);
        assert!(n <= 1);
        told += n;
    }
    assert_eq!(told, 10);
}

#[tokio::test]
async fn one_place_per_person_and_idempotent_retries() {
    let fix = fixture().await;
    let activity = fix
        .publish(48, json!({ "capacity": 2, "waitlist": false }))
        .await;
    let session = first_session(&activity);
    let (a, _) = fix.resident("one-a").await;
    let path = format!("/activity-sessions/{session}/signups");

    let send = |token: String, key: &'static str| {
        let req = fix
            .app
            .client
            .post(fix.app.url(&path))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&json!({}));
        fix.app.send(req)
    };
    let first = send(a.clone(), "k-1").await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = send(a.clone(), "k-1").await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body["id"], first.body["id"], "the first answer again");
    let twice = send(a.clone(), "k-2").await;
    assert_eq!(twice.status, 409);
    assert_eq!(twice.code(), "ALREADY_SIGNED_UP");

    let (b, _) = fix.resident("one-b").await;
    let (c, _) = fix.resident("one-c").await;
    assert_eq!(fix.app.post(&path, Some(&b), json!({})).await.status, 201);
    let full = fix.app.post(&path, Some(&c), json!({})).await;
    assert_eq!(full.status, 409);
    assert_eq!(full.code(), "SESSION_FULL");
    let detail = fix
        .app
        .get(&format!("/activities/{}", activity["id"]), None)
        .await;
    assert_eq!(detail.body["sessions"][0]["taken"], 2);

    // Cancelling frees the place (nobody waits) and the person may sign up again.
    let id = first.body["id"].as_i64().expect("id");
    let r = fix
        .app
        .post(&format!("/me/signups/{id}/cancel"), Some(&a), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let again = fix
        .app
        .post(&format!("/me/signups/{id}/cancel"), Some(&a), json!({}))
        .await;
    assert_eq!(again.code(), "INVALID_TRANSITION");
    assert_eq!(fix.app.post(&path, Some(&c), json!({})).await.status, 201);
    assert_eq!(
        fix.app.post(&path, Some(&a), json!({})).await.code(),
        "SESSION_FULL"
    );

    // Another resident's sign-up is 404 to them.
    let r = fix
        .app
        .post(&format!("/me/signups/{id}/cancel"), Some(&b), json!({}))
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "SIGNUP_NOT_FOUND");
}

#[tokio::test]
async fn cancelling_after_the_cut_off_is_refused_and_keeps_the_place() {
    let fix = fixture().await;
    let activity = fix
        .publish(3, json!({ "cancel_cutoff_minutes": 240 }))
        .await;
    let session = first_session(&activity);
    let (a, _) = fix.resident("late-a").await;
    let s = fix
        .app
        .post(
            &format!("/activity-sessions/{session}/signups"),
            Some(&a),
            json!({}),
        )
        .await;
    let id = s.body["id"].as_i64().expect("id");
    let r = fix
        .app
        .post(&format!("/me/signups/{id}/cancel"), Some(&a), json!({}))
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "CANCEL_CUTOFF_PASSED");
    let mine = fix.app.get(&format!("/me/signups/{id}"), Some(&a)).await;
    assert_eq!(mine.body["status"], "confirmed");
}
