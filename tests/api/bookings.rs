//! Bookings: creation rules, the lifecycle, races, grid workers, reviews and
//! the status-change notifications.

use entity::{booking, booking_notification, slot};
use futures_util::future::join_all;
use sea_orm::{ActiveEnum, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::support::{Reply, TestApp, spawn_app_with};

/// A community with a helper offering one 60-minute service there.
struct World {
    app: TestApp,
    platform: String,
    community: i64,
    grid: i64,
    building: i64,
    helper: String,
    helper_id: i64,
    service: i64,
}

async fn world() -> World {
    // Races log in dozens of residents from one address.
    // The sender is run by hand where a test wants it: with the default
    // sweep it could deliver the owed messages mid-test.
    let app = spawn_app_with(|s| {
        s.rate_limit.login_per_minute = 10_000;
        s.jobs.sweep_interval_ms = 3_600_000;
    })
    .await;
    let platform = app.platform_admin().await;
    let (community, grid, building) = app.community_with_building(&platform, "甲").await;
    let (helper, _, helper_id) = app
        .approved_helper(&platform, "helper", &[community], &["水电维修"])
        .await;
    let service = app
        .offer_service(
            &helper,
            json!({ "category": "水电维修", "title": "水管维修", "price": "30.00",
                    "duration_minutes": 60, "community_ids": [community] }),
        )
        .await;
    World {
        app,
        platform,
        community,
        grid,
        building,
        helper,
        helper_id,
        service,
    }
}

impl World {
    /// A resident living in the world's building.
    async fn resident(&self, openid: &str) -> (String, i64) {
        let (token, id, _) = self.app.resident(openid).await;
        self.app.bind_building(&token, self.building).await;
        (token, id)
    }

    async fn book(&self, token: &str, slot: i64) -> Reply {
        self.app
            .post(
                "/bookings",
                Some(token),
                json!({ "service_id": self.service, "slot_id": slot, "address": "1号楼2单元301",
                        "contact_phone": "13700137000", "note": "厨房水管漏水" }),
            )
            .await
    }

    async fn act(&self, token: &str, id: i64, action: &str) -> Reply {
        self.app
            .post(&format!("/bookings/{id}/{action}"), Some(token), json!({}))
            .await
    }

    /// A new slot `hours_ahead` from now, booked by `token`; answers (booking, slot).
    async fn fresh_booking(&self, token: &str, hours_ahead: i64) -> (i64, i64) {
        let slot = self.app.publish_slot(&self.helper, hours_ahead, 60).await;
        (id(&self.book(token, slot).await), slot)
    }

    async fn slot_booked(&self, slot_id: i64) -> bool {
        slot::Entity::find_by_id(slot_id)
            .one(&self.app.db)
            .await
            .unwrap()
            .unwrap()
            .booked
    }
}

fn id(r: &Reply) -> i64 {
    r.body["id"].as_i64().expect("id")
}

#[tokio::test]
async fn a_booking_goes_through_its_whole_lifecycle_seen_only_by_its_parties() {
    let w = world().await;
    let app = &w.app;
    let (resident, rid) = w.resident("r1").await;
    let (stranger, _) = w.resident("r2").await;
    let slot = app.publish_slot(&w.helper, 5, 60).await;

    let r = w.book(&resident, slot).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["status"], "requested");
    assert_eq!(r.body["resident_id"], rid);
    assert_eq!(r.body["helper_id"], w.helper_id);
    assert_eq!(r.body["service_id"], w.service);
    assert_eq!(r.body["slot_id"], slot);
    assert_eq!(r.body["price"], "30.00");
    assert_eq!(r.body["on_behalf_of_user_id"], Value::Null);
    assert_eq!(
        r.body["helper_phone"], "139****9000",
        "the helper's phone stays masked until they accept"
    );
    assert_eq!(r.body["contact_phone"], "13700137000");
    let b = id(&r);
    assert!(w.slot_booked(slot).await);

    let seen = app.get(&format!("/bookings/{b}"), Some(&w.helper)).await;
    assert_eq!(seen.body["contact_phone"], "13700137000");
    assert_eq!(seen.body["note"], "厨房水管漏水");
    let r = app.get(&format!("/bookings/{b}"), Some(&stranger)).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "BOOKING_NOT_FOUND"));
    let r = app.get(&format!("/bookings/{b}"), Some(&w.platform)).await;
    assert_eq!(r.status, 404, "not even an admin reads someone's booking");
    let r = app.get(&format!("/bookings/{b}"), None).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        app.get("/me/bookings", Some(&stranger)).await.body["total"],
        0
    );
    let list = app
        .get("/me/bookings?status=requested", Some(&resident))
        .await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0]["id"], b);
    assert_eq!(
        app.get("/me/bookings?status=accepted", Some(&resident))
            .await
            .body["total"],
        0
    );
    let bad = app.get("/me/bookings?status=lost", Some(&resident)).await;
    assert_eq!((bad.status.as_u16(), bad.code()), (400, "INVALID_QUERY"));
    assert_eq!(bad.fields(), vec!["status"], "the parameter is named");
    let list = app.get("/helpers/me/bookings", Some(&w.helper)).await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(
        app.get("/helpers/me/bookings", Some(&resident))
            .await
            .status,
        403
    );

    // Only the booking's helper moves it forward; strangers do not see it at all.
    assert_eq!(w.act(&resident, b, "accept").await.code(), "FORBIDDEN");
    assert_eq!(
        w.act(&stranger, b, "accept").await.code(),
        "BOOKING_NOT_FOUND"
    );
    assert_eq!(w.act(&w.helper, b, "cancel").await.code(), "FORBIDDEN");
    let wrong = w.act(&w.helper, b, "start").await;
    assert_eq!(
        (wrong.status.as_u16(), wrong.code()),
        (409, "INVALID_TRANSITION")
    );
    assert_eq!(wrong.body["error"]["details"]["status"], "requested");
    assert_eq!(
        w.act(&w.helper, b, "complete").await.code(),
        "INVALID_TRANSITION"
    );

    let r = w.act(&w.helper, b, "accept").await;
    assert_eq!(
        (r.status.as_u16(), r.body["status"].as_str()),
        (200, Some("accepted"))
    );
    let seen = app.get(&format!("/bookings/{b}"), Some(&resident)).await;
    assert_eq!(
        seen.body["helper_phone"], "13900139000",
        "accepted: the resident can call the helper"
    );
    assert_eq!(
        w.act(&w.helper, b, "accept").await.code(),
        "INVALID_TRANSITION"
    );
    assert_eq!(
        w.act(&w.helper, b, "decline").await.code(),
        "INVALID_TRANSITION"
    );
    assert_eq!(
        w.act(&w.helper, b, "complete").await.code(),
        "INVALID_TRANSITION"
    );
    let r = w.act(&w.helper, b, "start").await;
    assert_eq!(r.body["status"], "in_service");
    let r = w.act(&resident, b, "cancel").await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "INVALID_TRANSITION"),
        "no cancelling once the service started"
    );
    let r = w.act(&w.helper, b, "complete").await;
    assert_eq!(r.body["status"], "completed");
    for action in ["accept", "decline", "start", "complete"] {
        assert_eq!(
            w.act(&w.helper, b, action).await.code(),
            "INVALID_TRANSITION"
        );
    }
    assert_eq!(
        w.act(&resident, b, "cancel").await.code(),
        "INVALID_TRANSITION"
    );
    let seen = app.get(&format!("/bookings/{b}"), Some(&resident)).await;
    assert_eq!(seen.body["status"], "completed");
    assert!(
        w.slot_booked(slot).await,
        "a completed booking keeps its slot"
    );

    // The resident was told of each change, once each.
    let notes = booking_notification::Entity::find()
        .filter(booking_notification::Column::BookingId.eq(b))
        .order_by_asc(booking_notification::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let statuses: Vec<String> = notes.iter().map(|n| n.status.to_value()).collect();
    assert_eq!(statuses, vec!["accepted", "in_service", "completed"]);
    assert!(
        notes
            .iter()
            .all(|n| n.user_id == rid && n.sent_at.is_none())
    );
    // A second record of the same change is a no-op.
    let model = booking::Entity::find_by_id(b)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    yizhan::bookings::notify::notify_status_change(&app.db, &model).await;
    let count = booking_notification::Entity::find()
        .filter(booking_notification::Column::BookingId.eq(b))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 3);
}

#[tokio::test]
async fn decline_and_cancel_free_the_slot_for_someone_else() {
    let w = world().await;
    let app = &w.app;
    let (first, _) = w.resident("r1").await;
    let (second, _) = w.resident("r2").await;
    let slot = app.publish_slot(&w.helper, 5, 60).await;

    let b1 = id(&w.book(&first, slot).await);
    let taken = w.book(&second, slot).await;
    assert_eq!((taken.status.as_u16(), taken.code()), (409, "SLOT_TAKEN"));
    let r = w.act(&w.helper, b1, "decline").await;
    assert_eq!(r.body["status"], "declined");
    assert!(!w.slot_booked(slot).await);
    let free = app
        .get(&format!("/services/{}/slots", w.service), None)
        .await;
    assert_eq!(free.body.as_array().unwrap().len(), 1);

    let r = w.book(&second, slot).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let b2 = id(&r);
    w.act(&w.helper, b2, "accept").await;
    let r = w.act(&second, b2, "cancel").await;
    assert_eq!(r.body["status"], "cancelled");
    assert!(!w.slot_booked(slot).await);
    assert_eq!(
        w.act(&second, b2, "cancel").await.code(),
        "INVALID_TRANSITION"
    );
    // The resident's own cancellation is not notified back to them.
    let notes: Vec<String> = booking_notification::Entity::find()
        .filter(booking_notification::Column::BookingId.eq(b2))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.status.to_value())
        .collect();
    assert_eq!(notes, vec!["accepted"]);

    let r = w.book(&first, slot).await;
    assert_eq!(r.status, 201, "third time, after a cancel: {}", r.text);
    let live = booking::Entity::find()
        .filter(booking::Column::ActiveSlotId.eq(slot))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(live, 1);
}

#[tokio::test]
async fn booking_requests_are_validated() {
    let w = world().await;
    let app = &w.app;
    let (resident, _) = w.resident("r1").await;
    let slot = app.publish_slot(&w.helper, 5, 60).await;
    let short = app.publish_slot(&w.helper, 8, 30).await;

    let r = app
        .post(
            "/bookings",
            Some(&resident),
            json!({ "service_id": w.service, "slot_id": slot, "address": "", "contact_phone": "110", "note": "长".repeat(501) }),
        )
        .await;
    assert_eq!(r.status, 422);
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, vec!["address", "contact_phone", "note"]);
    let r = app
        .post(
            "/bookings",
            Some(&resident),
            json!({ "service_id": "x", "slot_id": slot }),
        )
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(
        fields,
        vec!["address", "contact_phone", "service_id"],
        "every bad or missing field at once"
    );

    let book = |service: i64, slot: i64| {
        let resident = resident.clone();
        async move {
            app.post(
                "/bookings",
                Some(&resident),
                json!({ "service_id": service, "slot_id": slot, "address": "1号楼", "contact_phone": "0715-1234567" }),
            )
            .await
        }
    };
    assert_eq!(book(9999, slot).await.code(), "SERVICE_NOT_FOUND");
    assert_eq!(book(w.service, 9999).await.code(), "SLOT_NOT_FOUND");
    let r = book(w.service, short).await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["slot_id".to_owned()])
    );

    // A slot of another helper is not this service's.
    let (other_helper, _, _) = app
        .approved_helper(&w.platform, "h2", &[w.community], &["水电维修"])
        .await;
    let foreign = app.publish_slot(&other_helper, 5, 60).await;
    assert_eq!(book(w.service, foreign).await.code(), "SLOT_NOT_FOUND");

    // A slot that already started.
    let now = chrono::Utc::now();
    let past = sea_orm::ActiveModelTrait::insert(
        slot::ActiveModel {
            helper_id: sea_orm::Set(w.helper_id),
            starts_at: sea_orm::Set(yizhan::time::normalise(now - chrono::TimeDelta::minutes(5))),
            ends_at: sea_orm::Set(yizhan::time::normalise(now + chrono::TimeDelta::hours(2))),
            booked: sea_orm::Set(false),
            created_at: sea_orm::Set(yizhan::time::now()),
            ..Default::default()
        },
        &app.db,
    )
    .await
    .unwrap();
    let r = book(w.service, past.id).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "SLOT_PASSED"));

    // The resident must live where the service is offered.
    let (unbound, _, _) = app.resident("nobody").await;
    let r = w.book(&unbound, slot).await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["service_id".to_owned()])
    );
    let (c2, _, b2) = app.community_with_building(&w.platform, "乙").await;
    let (elsewhere, _, _) = app.resident("far").await;
    app.bind_building(&elsewhere, b2).await;
    assert_eq!(w.book(&elsewhere, slot).await.fields(), vec!["service_id"]);
    let _ = c2;
    // A helper does not book their own service.
    app.bind_building(&w.helper, w.building).await;
    assert_eq!(w.book(&w.helper, slot).await.fields(), vec!["service_id"]);
    // An admin account is not a resident.
    assert_eq!(w.book(&w.platform, slot).await.status, 403);

    let count = booking::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(count, 0, "nothing was booked");
    assert!(!w.slot_booked(slot).await);
    let r = w.book(&resident, slot).await;
    assert_eq!(r.status, 201, "{}", r.text);

    let booked = id(&r);

    // A service taken off the catalog cannot be booked; its bookings go on.
    let later = app.publish_slot(&w.helper, 10, 60).await;
    let r = app
        .patch(
            &format!("/services/{}", w.service),
            Some(&w.helper),
            json!({ "active": false }),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(w.book(&resident, later).await.code(), "SERVICE_NOT_FOUND");
    assert_eq!(w.act(&w.helper, booked, "accept").await.status, 200);
}

#[tokio::test]
async fn fifty_residents_racing_for_one_slot_make_exactly_one_booking() {
    let w = world().await;
    let app = &w.app;
    let slot = app.publish_slot(&w.helper, 5, 60).await;
    let mut tokens = Vec::new();
    for i in 0..50 {
        tokens.push(w.resident(&format!("racer{i}")).await.0);
    }
    let replies = join_all(tokens.iter().map(|t| w.book(t, slot))).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let taken = replies
        .iter()
        .filter(|r| r.status == 409 && r.code() == "SLOT_TAKEN")
        .count();
    assert_eq!(
        (created, taken),
        (1, 49),
        "{:?}",
        replies
            .iter()
            .filter(|r| r.status != 201 && r.status != 409)
            .map(|r| &r.text)
            .collect::<Vec<_>>()
    );
    let rows = booking::Entity::find()
        .filter(booking::Column::SlotId.eq(slot))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    assert!(w.slot_booked(slot).await);
}

#[tokio::test]
async fn concurrent_transitions_on_one_booking_leave_one_consistent_winner() {
    let w = world().await;
    let app = &w.app;
    let (resident, _) = w.resident("r1").await;
    let mut hour = 3;
    let row = |b: i64| async move {
        booking::Entity::find_by_id(b)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
    };
    for _ in 0..4 {
        // accept vs cancel: cancel is allowed after accept too, so the booking
        // always ends cancelled; if cancel ran first, accept lost.
        hour += 2;
        let (b, slot) = w.fresh_booking(&resident, hour).await;
        let (accept, cancel) =
            tokio::join!(w.act(&w.helper, b, "accept"), w.act(&resident, b, "cancel"));
        assert_eq!(cancel.status, 200, "{}", cancel.text);
        assert!(
            accept.status == 200 || accept.code() == "INVALID_TRANSITION",
            "{}",
            accept.text
        );
        let r = row(b).await;
        assert_eq!(
            (r.status.to_value().as_str(), r.active_slot_id),
            ("cancelled", None)
        );
        assert!(!w.slot_booked(slot).await);

        // start vs cancel of an accepted booking, decline vs cancel of a
        // requested one: the two exclude each other, exactly one wins.
        for (first, prepare) in [("start", true), ("decline", false)] {
            hour += 2;
            let (b, slot) = w.fresh_booking(&resident, hour).await;
            if prepare {
                assert_eq!(w.act(&w.helper, b, "accept").await.status, 200);
            }
            let (helper_side, resident_side) =
                tokio::join!(w.act(&w.helper, b, first), w.act(&resident, b, "cancel"));
            let statuses = [helper_side.status.as_u16(), resident_side.status.as_u16()];
            assert!(
                statuses == [200, 409] || statuses == [409, 200],
                "{} / {}",
                helper_side.text,
                resident_side.text
            );
            let loser = if helper_side.status == 200 {
                &resident_side
            } else {
                &helper_side
            };
            assert_eq!(loser.code(), "INVALID_TRANSITION");
            let r = row(b).await;
            let expected = if helper_side.status == 200 {
                if prepare { "in_service" } else { "declined" }
            } else {
                "cancelled"
            };
            assert_eq!(r.status.to_value(), expected);
            let live = r.status.to_value() == "in_service";
            assert_eq!(r.active_slot_id.is_some(), live);
            assert_eq!(w.slot_booked(slot).await, live);
        }
    }
}

#[tokio::test]
async fn grid_workers_book_for_residents_of_their_grid_only() {
    let w = world().await;
    let app = &w.app;
    let (elder, elder_id) = w.resident("elder").await;
    let (worker, worker_id) = w.resident("worker").await;
    let admin = app.community_admin(&w.platform, &[w.community]).await;
    let r = app
        .post(
            "/admin/grid-workers",
            Some(&admin),
            json!({ "user_id": worker_id, "grid_id": w.grid }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let slot = app.publish_slot(&w.helper, 5, 60).await;
    let on_behalf = |token: String, user: i64| async move {
        app.post(
            "/bookings",
            Some(&token),
            json!({ "service_id": w.service, "slot_id": slot, "address": "1号楼101（独居老人）",
                    "contact_phone": "13600136000", "on_behalf_of_user_id": user }),
        )
        .await
    };

    // A resident of another grid of the same community is out of scope.
    let g2 = app
        .post(
            &format!("/admin/communities/{}/grids", w.community),
            Some(&w.platform),
            json!({ "name": "第二网格" }),
        )
        .await;
    let g2 = g2.body["id"].as_i64().unwrap();
    let b2 = app
        .post(
            &format!("/admin/grids/{g2}/buildings"),
            Some(&w.platform),
            json!({ "name": "9号楼", "households": 10 }),
        )
        .await;
    let (outsider, outsider_id, _) = app.resident("outsider").await;
    app.bind_building(&outsider, b2.body["id"].as_i64().unwrap())
        .await;
    let r = on_behalf(worker.clone(), outsider_id).await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    let r = on_behalf(worker.clone(), 999_999).await;
    assert_eq!(r.status, 403);
    // Someone who is not a grid worker cannot book for others.
    let r = on_behalf(outsider.clone(), elder_id).await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    assert!(!w.slot_booked(slot).await);

    let r = on_behalf(worker.clone(), elder_id).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["resident_id"], elder_id);
    assert_eq!(r.body["on_behalf_of_user_id"], elder_id);
    assert_eq!(r.body["grid_worker_id"], worker_id);
    let b = id(&r);
    for token in [&elder, &worker, &w.helper] {
        let seen = app.get(&format!("/bookings/{b}"), Some(token)).await;
        assert_eq!(seen.status, 200, "{}", seen.text);
    }
    assert_eq!(app.get("/me/bookings", Some(&elder)).await.body["total"], 1);
    assert_eq!(
        app.get("/me/bookings", Some(&worker)).await.body["total"],
        1
    );
    assert_eq!(
        app.get(&format!("/bookings/{b}"), Some(&outsider))
            .await
            .status,
        404
    );

    // The grid worker may cancel it; the resident is told.
    let r = w.act(&worker, b, "cancel").await;
    assert_eq!(r.body["status"], "cancelled");
    let notes = booking_notification::Entity::find()
        .filter(booking_notification::Column::BookingId.eq(b))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(
        (notes[0].status.to_value().as_str(), notes[0].user_id),
        ("cancelled", elder_id)
    );
    assert!(!w.slot_booked(slot).await);
    // Only the resident served reviews, not the grid worker.
    let r = app
        .post(
            &format!("/bookings/{b}/review"),
            Some(&worker),
            json!({ "rating": 5 }),
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn residents_review_a_completed_booking_once_and_ratings_add_up() {
    let w = world().await;
    let app = &w.app;
    let (resident, _) = w.resident("r1").await;
    let (other, _) = w.resident("r2").await;
    let s1 = app.publish_slot(&w.helper, 5, 60).await;
    let s2 = app.publish_slot(&w.helper, 7, 60).await;
    let b1 = id(&w.book(&resident, s1).await);
    let b2 = id(&w.book(&other, s2).await);
    let review = |token: &str, b: i64, body: Value| {
        let token = token.to_owned();
        async move {
            app.post(&format!("/bookings/{b}/review"), Some(&token), body)
                .await
        }
    };

    let r = review(&resident, b1, json!({ "rating": 5, "comment": "很好" })).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "BOOKING_NOT_COMPLETED")
    );
    for b in [b1, b2] {
        for action in ["accept", "start", "complete"] {
            assert_eq!(w.act(&w.helper, b, action).await.status, 200);
        }
    }
    let r = review(
        &resident,
        b1,
        json!({ "rating": 6, "comment": "长".repeat(501) }),
    )
    .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, vec!["comment", "rating"]);
    assert_eq!(
        review(&resident, b1, json!({ "rating": 0 })).await.fields(),
        vec!["rating"]
    );
    assert_eq!(
        review(&w.helper, b1, json!({ "rating": 5 })).await.status,
        403
    );
    assert_eq!(
        review(&other, b1, json!({ "rating": 1 })).await.code(),
        "BOOKING_NOT_FOUND"
    );

    let r = review(
        &resident,
        b1,
        json!({ "rating": 5, "comment": "师傅很专业" }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["rating"], 5);
    assert_eq!(r.body["review_comment"], "师傅很专业");
    let again = review(&resident, b1, json!({ "rating": 1 })).await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "ALREADY_REVIEWED")
    );

    let s = app.get(&format!("/services/{}", w.service), None).await;
    assert_eq!(
        (
            s.body["rating_avg"].as_f64(),
            s.body["rating_count"].as_i64()
        ),
        (Some(5.0), Some(1))
    );
    let r = review(&other, b2, json!({ "rating": 4 })).await;
    assert_eq!(r.status, 200);
    let s = app.get(&format!("/services/{}", w.service), None).await;
    assert_eq!(s.body["rating_avg"].as_f64(), Some(4.5));
    assert_eq!(s.body["rating_count"], 2);
    assert_eq!(s.body["helper"]["rating_avg"].as_f64(), Some(4.5));
    assert_eq!(s.body["helper"]["rating_count"], 2);
    let list = app
        .get(&format!("/services?community_id={}", w.community), None)
        .await;
    assert_eq!(list.body["items"][0]["rating_count"], 2);
    let profile = app.get("/helpers/me", Some(&w.helper)).await;
    assert_eq!(profile.body["rating_avg"].as_f64(), Some(4.5));

    // Concurrent double reviews still count once.
    let s3 = app.publish_slot(&w.helper, 9, 60).await;
    let b3 = id(&w.book(&resident, s3).await);
    for action in ["accept", "start", "complete"] {
        w.act(&w.helper, b3, action).await;
    }
    let replies = join_all((0..8).map(|_| review(&resident, b3, json!({ "rating": 3 })))).await;
    assert_eq!(replies.iter().filter(|r| r.status == 200).count(), 1);
    let s = app.get(&format!("/services/{}", w.service), None).await;
    assert_eq!(s.body["rating_count"], 3);
    assert_eq!(s.body["rating_avg"].as_f64(), Some(4.0));
}
