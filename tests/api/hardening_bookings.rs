//! Hardening finding 7: a resident cannot hold every free slot of a helper,
//! and reads the helper's phone only once the helper accepted.

use futures_util::future::join_all;
use serde_json::json;

use crate::support::{TestApp, spawn_app_with};

/// A helper with one service in a community, and a resident living there;
/// answers (app, helper token, service id, resident token).
async fn helper_and_resident(max_open: u64) -> (TestApp, String, i64, String) {
    let app = spawn_app_with(|s| {
        s.bookings.max_open_per_resident = max_open;
        s.jobs.sweep_interval_ms = 3_600_000;
    })
    .await;
    let platform = app.platform_admin().await;
    let (community, _, building) = app.community_with_building(&platform, "甲").await;
    let (helper, _, _) = app
        .approved_helper(&platform, "helper", &[community], &["水电维修"])
        .await;
    let service = app
        .offer_service(
            &helper,
            json!({ "category": "水电维修", "title": "水管维修", "price": "30.00",
                    "duration_minutes": 60, "community_ids": [community] }),
        )
        .await;
    let (resident, _, _) = app.resident("r1").await;
    app.bind_building(&resident, building).await;
    (app, helper, service, resident)
}

fn booking(service: i64, slot: i64) -> serde_json::Value {
    json!({ "service_id": service, "slot_id": slot, "address": "1号楼2单元301",
            "contact_phone": "13700137000" })
}

#[tokio::test]
async fn open_bookings_per_resident_are_capped_and_freed_by_cancelling() {
    let (app, helper, service, resident) = helper_and_resident(2).await;
    let mut slots = Vec::new();
    for hours in 2..6 {
        slots.push(app.publish_slot(&helper, hours, 60).await);
    }
    let first = app
        .post("/bookings", Some(&resident), booking(service, slots[0]))
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let r = app
        .post("/bookings", Some(&resident), booking(service, slots[1]))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = app
        .post("/bookings", Some(&resident), booking(service, slots[2]))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "TOO_MANY_OPEN_BOOKINGS")
    );
    assert_eq!(r.body["error"]["details"]["limit"], 2);
    let free = app.get(&format!("/services/{service}/slots"), None).await;
    assert_eq!(free.status, 200, "{}", free.text);
    assert!(
        free.text.contains(&format!("\"id\":{}", slots[2])),
        "the refused booking holds no slot: {}",
        free.text
    );

    // Cancelling one makes room for the next.
    let id = first.body["id"].as_i64().expect("id");
    let r = app
        .post(
            &format!("/bookings/{id}/cancel"),
            Some(&resident),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .post("/bookings", Some(&resident), booking(service, slots[2]))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn racing_bookings_of_one_resident_never_pass_the_cap() {
    let (app, helper, service, resident) = helper_and_resident(3).await;
    let mut slots = Vec::new();
    for hours in 2..14 {
        slots.push(app.publish_slot(&helper, hours, 60).await);
    }
    let replies = join_all(
        slots
            .iter()
            .map(|slot| app.post("/bookings", Some(&resident), booking(service, *slot))),
    )
    .await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let capped = replies
        .iter()
        .filter(|r| r.status == 409 && r.code() == "TOO_MANY_OPEN_BOOKINGS")
        .count();
    assert_eq!(
        (created, capped),
        (3, 9),
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    let mine = app.get("/me/bookings", Some(&resident)).await;
    assert_eq!(mine.body["total"], 3);
}

#[tokio::test]
async fn the_helpers_phone_is_masked_until_the_booking_is_accepted() {
    let (app, helper, service, resident) = helper_and_resident(5).await;
    let slot = app.publish_slot(&helper, 3, 60).await;
    let r = app
        .post("/bookings", Some(&resident), booking(service, slot))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["helper_phone"], "139****9000");
    let id = r.body["id"].as_i64().expect("id");
    let listed = app.get("/me/bookings", Some(&resident)).await;
    assert_eq!(listed.body["items"][0]["helper_phone"], "139****9000");
    let r = app
        .post(&format!("/bookings/{id}/accept"), Some(&helper), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let seen = app.get(&format!("/bookings/{id}"), Some(&resident)).await;
    assert_eq!(seen.body["helper_phone"], "13900139000");
    // The helper always sees the resident's contact phone.
    let theirs = app.get(&format!("/bookings/{id}"), Some(&helper)).await;
    assert_eq!(theirs.body["contact_phone"], "13700137000");
}
