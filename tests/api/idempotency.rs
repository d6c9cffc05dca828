//! `Idempotency-Key` on `POST /bookings` (the shared mechanism in
//! `yizhan::idempotency`).

use chrono::TimeDelta;
use entity::{booking, idempotency_key};
use futures_util::future::join_all;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};

use crate::support::{Reply, TestApp, spawn_app};

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
async fn a_request_waits_for_a_running_one_with_its_key_and_replays_its_answer() {
    use actix_web::http::StatusCode;
    use yizhan::idempotency::{Begun, IdempotencyKey, begin};

    let s = setup().await;
    let app = &s.app;
    let slot = app.publish_slot(&s.helper, 5, 60).await;
    let b = body(s.service, slot);
    let parsed: yizhan::bookings::service::NewBooking = serde_json::from_value(b.clone()).unwrap();
    let hash = yizhan::idempotency::fingerprint("POST /bookings", &parsed);

    // Another instance is booking this slot with this key right now.
    let busy = IdempotencyKey::parse("busy").unwrap();
    let Begun::Fresh(running) = begin(&app.db, s.resident_id, Some(&busy), &hash)
        .await
        .unwrap()
    else {
        panic!("a fresh key begins fresh work");
    };
    entity::slot::Entity::update_many()
        .col_expr(
            entity::slot::Column::Booked,
            sea_orm::sea_query::Expr::value(true),
        )
        .filter(entity::slot::Column::Id.eq(slot))
        .exec(running.txn())
        .await
        .unwrap();
    let client = app.client.clone();
    let url = app.url("/bookings");
    let token = s.resident.clone();
    let sent = b.clone();
    let retry = tokio::spawn(async move {
        let r = client
            .post(url)
            .bearer_auth(token)
            .header("Idempotency-Key", "busy")
            .json(&sent)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(
        !retry.is_finished(),
        "the retry waits for the running request"
    );
    running
        .finish(&app.db, Ok((StatusCode::CREATED, json!({ "id": 777 }))))
        .await
        .unwrap();
    assert_eq!(
        retry.await.unwrap(),
        (201, json!({ "id": 777 })),
        "the retry answers what the first request did"
    );
    assert_eq!(
        bookings(app).await,
        0,
        "the retry booked nothing of its own"
    );

    // A record a crashed older version left in progress: fresh is 409, old is taken over.
    let b = body(s.service, app.publish_slot(&s.helper, 11, 60).await);
    let parsed: yizhan::bookings::service::NewBooking = serde_json::from_value(b.clone()).unwrap();
    let hash = yizhan::idempotency::fingerprint("POST /bookings", &parsed);
    plant(&s, "stuck", &hash, "in_progress", TimeDelta::zero()).await;
    let r = post_with_key(app, &s.resident, "stuck", &b).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "IDEMPOTENCY_IN_PROGRESS")
    );
    assert_eq!(bookings(app).await, 0);
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

    // The purge deletes expired records only.
    plant(&s, "older", "x", "completed", TimeDelta::hours(30)).await;
    assert_eq!(
        yizhan::idempotency::purge_expired(&app.db).await.unwrap(),
        1
    );
    let keys: Vec<String> = idempotency_key::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.key)
        .collect();
    assert_eq!(keys.len(), 4, "{keys:?}");
    assert!(!keys.contains(&"older".to_owned()));
}

/// Runs `answer` as the work of an attempt with `key`; None when replayed.
async fn attempt(
    db: &sea_orm::DatabaseConnection,
    uid: i64,
    key: Option<&str>,
    answer: yizhan::error::ApiResult<(actix_web::http::StatusCode, Value)>,
) -> (
    bool,
    yizhan::error::ApiResult<(actix_web::http::StatusCode, Value)>,
) {
    use yizhan::idempotency::{Begun, IdempotencyKey, begin};
    let key = key.map(|k| IdempotencyKey::parse(k).unwrap());
    match begin(db, uid, key.as_ref(), "fp").await.unwrap() {
        Begun::Replay(status, body) => (false, Ok((status, body))),
        Begun::Fresh(work) => {
            // The work writes something, which must stand or fall with the answer.
            idempotency_key::ActiveModel {
                user_id: Set(uid),
                key: Set(format!("work-{}", rand_suffix())),
                request_hash: Set("work".to_owned()),
                state: Set("completed".to_owned()),
                response_status: Set(None),
                response_body: Set(None),
                created_at: Set(yizhan::time::now()),
                ..Default::default()
            }
            .insert(work.txn())
            .await
            .unwrap();
            (true, work.finish(db, answer).await)
        }
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::SeqCst).to_string()
}

async fn work_rows(db: &sea_orm::DatabaseConnection) -> u64 {
    idempotency_key::Entity::find()
        .filter(idempotency_key::Column::RequestHash.eq("work"))
        .count(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn server_errors_are_forgotten_so_a_retry_runs_and_client_errors_are_kept() {
    use actix_web::http::StatusCode;
    use yizhan::error::{ApiError, ErrorCode};

    let s = setup().await;
    let db = &s.app.db;
    let uid = s.resident_id;

    let (ran, failed) = attempt(
        db,
        uid,
        Some("k5"),
        Err(ApiError::internal(anyhow::anyhow!("database hiccup"))),
    )
    .await;
    assert!(ran);
    assert_eq!(failed.unwrap_err().code, ErrorCode::InternalError);
    assert_eq!(idempotency_key::Entity::find().count(db).await.unwrap(), 0);
    assert_eq!(work_rows(db).await, 0, "the failed work was rolled back");
    let (ran, ok) = attempt(
        db,
        uid,
        Some("k5"),
        Ok((StatusCode::CREATED, json!({ "n": 1 }))),
    )
    .await;
    assert!(ran, "the retry after a 5xx did the work");
    assert_eq!(ok.unwrap(), (StatusCode::CREATED, json!({ "n": 1 })));
    assert_eq!(work_rows(db).await, 1);

    let (ran, refused) = attempt(
        db,
        uid,
        Some("k4"),
        Err(ApiError::new(ErrorCode::SlotTaken)),
    )
    .await;
    assert!(ran);
    assert_eq!(refused.unwrap_err().code, ErrorCode::SlotTaken);
    assert_eq!(work_rows(db).await, 1, "the refused work was rolled back");
    let (ran, replayed) = attempt(db, uid, Some("k4"), Ok((StatusCode::CREATED, json!({})))).await;
    assert!(!ran, "the 409 was replayed, not redone");
    let (status, body) = replayed.unwrap();
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "SLOT_TAKEN");

    // No key: always runs.
    for _ in 0..2 {
        let (ran, ok) = attempt(db, uid, None, Ok((StatusCode::OK, json!({})))).await;
        assert!(ran);
        assert_eq!(ok.unwrap().0, StatusCode::OK);
    }
    assert_eq!(work_rows(db).await, 3);
}
