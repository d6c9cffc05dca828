//! The dashboard figures, each checked against rows this test made.

use reqwest::Method;
use serde_json::json;

use crate::group_buys::{market, neighbour, open_campaign, quiet_app, reach_cut_off};

#[tokio::test]
async fn dashboard_figures_count_exactly_what_happened() {
    let app = quiet_app().await;
    let m = market(&app, 100).await;
    let a = m.community_id;
    let r1 = neighbour(&app, &m, "r1").await;
    let r2 = neighbour(&app, &m, "r2").await;
    let r3 = neighbour(&app, &m, "r3").await;
    let (community_b, _, building_b) = app.community_with_building(&m.platform, "乙社区").await;
    let (rb, _, _) = app.resident("rb").await;
    app.bind_building(&rb, building_b).await;

    // A second merchant in A, suspended: neither it nor its goods count.
    let (m2, owner2) = app.approved_merchant(&m.platform, &[a], "owner2").await;
    app.create_goods(&owner2, m2, json!({})).await;
    let admin_a = app.community_admin(&m.platform, &[a]).await;
    assert_eq!(
        app.call(
            Method::POST,
            &format!("/admin/merchants/{m2}/suspend"),
            Some(&admin_a),
            None
        )
        .await
        .status,
        200
    );
    // An off-shelf goods item of the first merchant does not count either.
    let off = app.create_goods(&m.owner, m.merchant_id, json!({})).await;
    let r = app
        .post(
            &format!("/goods/{}/shelf", off["id"]),
            Some(&m.owner),
            json!({ "on_shelf": false }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // Campaigns: one succeeds (r1 picks up), one fails (r2), one is cancelled, one is running (r3).
    let g1 = open_campaign(&app, &m, 5, 1, 5).await;
    let g2 = open_campaign(&app, &m, 5, 5, 5).await;
    let g3 = open_campaign(&app, &m, 5, 1, 5).await;
    let g4 = open_campaign(&app, &m, 5, 1, 5).await;
    let o1 = app
        .post(
            &format!("/group-buys/{g1}/orders"),
            Some(&r1),
            json!({ "quantity": 1 }),
        )
        .await;
    assert_eq!(
        app.post(
            &format!("/group-buys/{g2}/orders"),
            Some(&r2),
            json!({ "quantity": 1 })
        )
        .await
        .status,
        201
    );
    assert_eq!(
        app.post(
            &format!("/group-buys/{g4}/orders"),
            Some(&r3),
            json!({ "quantity": 1 })
        )
        .await
        .status,
        201
    );
    assert_eq!(
        app.call(
            Method::POST,
            &format!("/group-buys/{g3}/cancel"),
            Some(&m.owner),
            None
        )
        .await
        .status,
        200
    );
    reach_cut_off(&app, g1).await;
    reach_cut_off(&app, g2).await;
    yizhan::group_buys::settlement::sweep(&app.db, &app.state_cache())
        .await
        .unwrap();
    let code = app
        .get(
            &format!("/orders/{}", o1.body["order_no"].as_str().unwrap()),
            Some(&r1),
        )
        .await
        .body["pickup_code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.post(
            &format!("/merchants/{}/pickups", m.merchant_id),
            Some(&m.owner),
            json!({ "pickup_code": code })
        )
        .await
        .status,
        200
    );

    // r2 has a completed booking.
    let (helper, _, _) = app
        .approved_helper(&m.platform, "helper", &[a], &["水电维修"])
        .await;
    let service = app
        .offer_service(&helper, json!({ "category": "水电维修", "title": "修水管", "price": "0.00", "duration_minutes": 60, "community_ids": [a] }))
        .await;
    let slot = app.publish_slot(&helper, 5, 60).await;
    let b = app
        .post("/bookings", Some(&r2), json!({ "service_id": service, "slot_id": slot, "address": "1号楼301", "contact_phone": "13800000000", "note": "" }))
        .await;
    assert_eq!(b.status, 201, "{}", b.text);
    for action in ["accept", "start", "complete"] {
        assert_eq!(
            app.call(
                Method::POST,
                &format!("/bookings/{}/{action}", b.body["id"]),
                Some(&helper),
                None
            )
            .await
            .status,
            200
        );
    }

    let expected = json!({
        "community_id": a, "registered_residents": 3, "active_merchants": 1, "goods_on_shelf": 1,
        "notices_published": 0, "group_buys_run": 3, "group_buys_succeeded": 1, "orders": 2,
        "bookings_completed": 1, "residents_served": 2,
        "activity_signups": 0, "activity_attended": 0, "activity_no_shows": 0,
        "canteen_meals_served": 0, "canteen_subsidy_total": "0.00",
        "requests": {
            "received": 0, "closed": 0, "closure_rate": null, "closed_on_time": 0,
            "on_time_rate": null, "avg_hours_to_accept": null, "avg_hours_to_resolve": null,
            "rated": 0, "satisfied": 0, "satisfaction_rate": null, "average_rating": null
        },
        "civic": {
            "survey_quarter": null, "survey_index": null, "survey_index_change": null,
            "survey_responses": 0, "jobs_filled": 0, "job_places_filled": 0, "loans": 0,
            "loans_overdue": 0
        },
        "points": { "issued": 0, "spent": 0, "wishes_fulfilled": 0 }
    });
    let mut stats = app
        .get(&format!("/admin/stats?community_id={a}"), Some(&admin_a))
        .await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    stats.body.as_object_mut().unwrap().remove("generated_at");
    assert_eq!(stats.body, expected);

    // Without a community: the admin's own communities, the same figures here.
    let mut own = app.get("/admin/stats", Some(&admin_a)).await;
    own.body.as_object_mut().unwrap().remove("generated_at");
    let mut expected_own = expected.clone();
    expected_own["community_id"] = json!(null);
    assert_eq!(own.body, expected_own);

    // The platform sees everything: 7 mini-program users are residents
    // (r1-r3, rb, two merchant owners, the helper).
    let all = app.get("/admin/stats", Some(&m.platform)).await;
    assert_eq!(all.body["registered_residents"], 7);
    assert_eq!(all.body["active_merchants"], 1);
    assert_eq!(all.body["residents_served"], 2);
    let b_stats = app
        .get(
            &format!("/admin/stats?community_id={community_b}"),
            Some(&m.platform),
        )
        .await;
    assert_eq!(
        (
            b_stats.body["registered_residents"].as_u64(),
            b_stats.body["active_merchants"].as_u64(),
            b_stats.body["orders"].as_u64()
        ),
        (Some(1), Some(0), Some(0))
    );

    let other = app
        .get(
            &format!("/admin/stats?community_id={community_b}"),
            Some(&admin_a),
        )
        .await;
    assert_eq!(other.status, 403);
    assert_eq!(
        app.get("/admin/stats?community_id=987654", Some(&m.platform))
            .await
            .code(),
        "COMMUNITY_NOT_FOUND"
    );
    assert_eq!(app.get("/admin/stats", Some(&r1)).await.status, 403);
    assert_eq!(app.get("/admin/stats", None).await.status, 401);
}
