//! `Idempotency-Key` on `POST /bookings` (the shared mechanism in
//! `yizhan::idempotency`).

use chrono::TimeDelta;
use entity::{booking, idempotency_key};
use futures_util::future::join_all;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, spawn_app};

struct Setup {
    app: TestApp,
    resident: String,
    resident_id: i64,
    service: i64,
    helper: String,
    building: i64,
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (cid, _, building) = app.community_with_building(&platform, "甲").await;
    let (helper, _, _) = app
        .approved_helper(&platform, "h", &[cid], &["家政保洁"])
        .await;
    let service = app
        .offer_service(
            &helper,
            json!({ "category": "家政保洁", "title": "保洁", "price": "0.00",
                    "duration_minutes": 60, "community_ids": [cid] }),
        )
        .await;
    let (resident, resident_id, _) = app.resident("r").await;
    app.bind_building(&resident, building).await;
    Setup {
        app,
        resident,
        resident_id,
        service,
        helper,
        building,
    }
}

fn body(service: i64, slot: i64) -> Value {
    json!({ "service_id": service, "slot_id": slot, "address": "1号楼", "contact_phone": "13700137000", "note": "" })
}

async fn post_with_key(app: &TestApp, token: &str, key: &str, body: &Value) -> Reply {
    app.send(
        app.client
            .post(app.url("/bookings"))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body),
    )
    .await
}

async fn bookings(app: &TestApp) -> u64 {
    booking::Entity::find().count(&app.db).await.unwrap()
}

#[tokio::test]
async fn the_same_key_sent_ten_times_at_once_books_exactly_once() {
    let s = setup().await;
    let slot = s.app.publish_slot(&s.helper, 5, 60).await;
    let b = body(s.service, slot);
    let replies = join_all((0..10).map(|_| post_with_key(&s.app, &s.resident, "key-1", &b))).await;
    for r in &replies {
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body, replies[0].body, "every retry sees the first answer");
    }
    assert_eq!(bookings(&s.app).await, 1);
    let rows = idempotency_key::Entity::find()
        .all(&s.app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].state, "completed");
    assert_eq!(rows[0].response_status, Some(201));
}

#[tokio::test]
async fn retries_replay_the_first_answer_and_a_reused_key_is_refused() {
    let s = setup().await;
    let app = &s.app;
    let slot = app.publish_slot(&s.helper, 5, 60).await;
    let other_slot = app.publish_slot(&s.helper, 8, 60).await;
    let b = body(s.service, slot);

    let first = post_with_key(app, &s.resident, "order-42", &b).await;
    assert_eq!(first.status, 201, "{}", first.text);
    // The booking is cancelled meanwhile: a retry still answers what the first request did.
    let id = first.body["id"].as_i64().unwrap();
    app.post(
        &format!("/bookings/{id}/cancel"),
        Some(&s.resident),
        json!({}),
    )
    .await;
    let retry = post_with_key(app, &s.resident, "order-42", &b).await;
    assert_eq!((retry.status, &retry.body), (first.status, &first.body));
    assert_eq!(bookings(app).await, 1);

    // Same key, another body.
    let reused = post_with_key(app, &s.resident, "order-42", &body(s.service, other_slot)).await;
    assert_eq!(
        (reused.status.as_u16(), reused.code()),
        (422, "IDEMPOTENCY_KEY_REUSED")
    );
    assert_eq!(bookings(app).await, 1);

    // Keys belong to a user: another resident's identical key is independent.
    let (second, _, _) = app.resident("r2").await;
    app.bind_building(&second, s.building).await;
    let r = post_with_key(app, &second, "order-42", &body(s.service, other_slot)).await;
    assert_eq!(r.status, 201, "{}", r.text);

    // Without a key every request is new.
    let again = app
        .post("/bookings", Some(&s.resident), body(s.service, other_slot))
        .await;
    assert_eq!((again.status.as_u16(), again.code()), (409, "SLOT_TAKEN"));

    // Final client errors are replayed too, even once the slot frees up.
    let taken_body = body(s.service, other_slot);
    let lost = post_with_key(app, &s.resident, "late", &taken_body).await;
    assert_eq!(lost.code(), "SLOT_TAKEN");
    let other_booking = r.body["id"].as_i64().unwrap();
    app.post(
        &format!("/bookings/{other_booking}/cancel"),
        Some(&second),
        json!({}),
    )
    .await;
    let replay = post_with_key(app, &s.resident, "late", &taken_body).await;
    assert_eq!((replay.status, &replay.body), (lost.status, &lost.body));
    let fresh = post_with_key(app, &s.resident, "late-2", &taken_body).await;
    assert_eq!(fresh.status, 201, "a new key does the work: {}", fresh.text);
}

#[tokio::test]
async fn malformed_keys_are_rejected_before_any_work() {
    let s = setup().await;
    let slot = s.app.publish_slot(&s.helper, 5, 60).await;
    let b = body(s.service, slot);
    for key in ["k".repeat(65), "has space".to_owned(), "".to_owned()] {
        let r = post_with_key(&s.app, &s.resident, &key, &b).await;
        assert_eq!(r.status, 422, "{key:?}: {}", r.text);
        assert_eq!(r.fields(), vec!["Idempotency-Key"]);
    }
    assert_eq!(bookings(&s.app).await, 0);
    let ok = post_with_key(&s.app, &s.resident, &"k".repeat(64), &b).await;
    assert_eq!(ok.status, 201);
}

async fn plant(
    s: &Setup,
    key: &str,
    hash: &str,
    state: &str,
    age: TimeDelta,
) -> idempotency_key::Model {
    idempotency_key::ActiveModel {
        user_id: Set(s.resident_id),
        key: Set(key.to_owned()),
        request_hash: Set(hash.to_owned()),
        state: Set(state.to_owned()),
        response_status: Set(None),
        response_body: Set(None),
        created_at: Set(yizhan::time::now() - age),
        ..Default::default()
    }
    .insert(&s.app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_key_still_in_progress_answers_409_stale_and_expired_records_are_taken_over() {
    let s = setup().await;
    let app = &s.app;
    let slot = app.publish_slot(&s.helper, 5, 60).await;
    let b = body(s.service, slot);
    let parsed: yizhan::bookings::service::NewBooking = serde_json::from_value(b.clone()).unwrap();
    let hash = yizhan::idempotency::fingerprint("POST /bookings", &parsed);

    // Another instance is working on it right now and does not finish in time.
    plant(&s, "busy", &hash, "in_progress", TimeDelta::zero()).await;
    let started = std::time::Instant::now();
    let r = post_with_key(app, &s.resident, "busy", &b).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "IDEMPOTENCY_IN_PROGRESS")
    );
    assert!(started.elapsed() >= yizhan::idempotency::WAIT_FOR_FIRST);
    assert_eq!(bookings(app).await, 0);

    // It finishes while we wait: we get its answer.
    plant(&s, "finishing", &hash, "in_progress", TimeDelta::zero()).await;
    let db = app.db.clone();
    let finisher = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        idempotency_key::Entity::update_many()
            .col_expr(
                idempotency_key::Column::State,
                sea_orm::sea_query::Expr::value("completed"),
            )
            .col_expr(
                idempotency_key::Column::ResponseStatus,
                sea_orm::sea_query::Expr::value(201),
            )
            .col_expr(
                idempotency_key::Column::ResponseBody,
                sea_orm::sea_query::Expr::value("{\"id\":777}"),
            )
            .filter(idempotency_key::Column::Key.eq("finishing"))
            .exec(&db)
            .await
            .unwrap();
    });
    let r = post_with_key(app, &s.resident, "finishing", &b).await;
    finisher.await.unwrap();
    assert_eq!(
        (r.status.as_u16(), r.body.clone()),
        (201, json!({ "id": 777 }))
    );
    assert_eq!(bookings(app).await, 0);

    // An in-progress record abandoned long ago is taken over.
    plant(&s, "abandoned", &hash, "in_progress", TimeDelta::minutes(5)).await;
    let r = post_with_key(app, &s.resident, "abandoned", &b).await;
    assert_eq!(r.status, 201, "{}", r.text);

    // After 24 hours a key is forgotten, whatever it answered.
    plant(
        &s,
        "old",
        "other-request",
        "completed",
        TimeDelta::hours(25),
    )
    .await;
    let slot2 = app.publish_slot(&s.helper, 8, 60).await;
    let r = post_with_key(app, &s.resident, "old", &body(s.service, slot2)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(bookings(app).await, 2);
}

#[tokio::test]
async fn server_errors_are_forgotten_so_a_retry_runs_and_client_errors_are_kept() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use actix_web::http::StatusCode;
    use yizhan::error::{ApiError, ErrorCode};
    use yizhan::idempotency::run;

    let s = setup().await;
    let db = &s.app.db;
    let runs = AtomicUsize::new(0);
    let uid = s.resident_id;

    let failed = run(db, uid, Some("k5"), "fp", || async {
        runs.fetch_add(1, Ordering::SeqCst);
        Err::<(StatusCode, Value), _>(ApiError::internal(anyhow::anyhow!("database hiccup")))
    })
    .await;
    assert_eq!(failed.unwrap_err().code, ErrorCode::InternalError);
    assert_eq!(idempotency_key::Entity::find().count(db).await.unwrap(), 0);
    let ok = run(db, uid, Some("k5"), "fp", || async {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok((StatusCode::CREATED, json!({ "n": 1 })))
    })
    .await
    .unwrap();
    assert_eq!(ok, (StatusCode::CREATED, json!({ "n": 1 })));
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "the retry after a 5xx did the work"
    );

    let refused = run(db, uid, Some("k4"), "fp", || async {
        runs.fetch_add(1, Ordering::SeqCst);
        Err::<(StatusCode, Value), _>(ApiError::new(ErrorCode::SlotTaken))
    })
    .await;
    assert_eq!(refused.unwrap_err().code, ErrorCode::SlotTaken);
    let (status, body) = run(db, uid, Some("k4"), "fp", || async {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok((StatusCode::CREATED, json!({})))
    })
    .await
    .unwrap();
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "SLOT_TAKEN");
    assert_eq!(
        runs.load(Ordering::SeqCst),
        3,
        "the 409 was replayed, not redone"
    );

    // No key: always runs.
    for _ in 0..2 {
        run(db, uid, None, "fp", || async {
            runs.fetch_add(1, Ordering::SeqCst);
            Ok((StatusCode::OK, json!({})))
        })
        .await
        .unwrap();
    }
    assert_eq!(runs.load(Ordering::SeqCst), 5);
}
