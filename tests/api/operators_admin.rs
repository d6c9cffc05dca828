//! Community admins' day (issue 15) and findings 3 and 4 of issue 21: every
//! admin action reaches only the admin's own communities.

use entity::{booking, booking_notification};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::operators_shops::set_phone;
use crate::support::{TestApp, spawn_app_with};

async fn app() -> TestApp {
    spawn_app_with(|s| {
        s.rate_limit.login_per_minute = 10_000;
        s.jobs.sweep_interval_ms = 3_600_000;
    })
    .await
}

/// Finding 3: approval grants only the reviewer's communities.
#[tokio::test]
async fn approving_grants_only_the_reviewers_own_communities() {
    let app = app().await;
    let platform = app.platform_admin().await;
    let (c1, _, _) = app.community_with_building(&platform, "一社区").await;
    let (c2, _, _) = app.community_with_building(&platform, "二社区").await;
    let admin1 = app.community_admin(&platform, &[c1]).await;

    let (shop, _, _) = app.resident("shop").await;
    let applied = app
        .post(
            "/merchant-applications",
            Some(&shop),
            TestApp::application_body("两社区的店", &[c1, c2]),
        )
        .await;
    let approved = app
        .post(
            &format!(
                "/admin/merchant-applications/{}/approve",
                applied.body["id"]
            ),
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    let merchant = approved.body["merchant_id"].as_i64().unwrap();
    let m = app.get(&format!("/merchants/{merchant}"), None).await;
    assert_eq!(
        m.body["community_ids"],
        json!([c1]),
        "not c2: admin1 has no say there"
    );
    let in_c2 = app
        .get(&format!("/merchants?community_id={c2}"), None)
        .await;
    assert_eq!(in_c2.body["total"], 0);

    let (helper, _, _) = app.resident("helper").await;
    let applied = app
        .post(
            "/helper-applications",
            Some(&helper),
            json!({ "display_name": "张师傅", "skills": ["水电维修"], "community_ids": [c1, c2], "phone": "13900139000" }),
        )
        .await;
    assert_eq!(applied.status, 201, "{}", applied.text);
    let approved = app
        .post(
            &format!("/admin/helper-applications/{}/approve", applied.body["id"]),
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    let me = app.get("/helpers/me", Some(&helper)).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["community_ids"], json!([c1]));
    assert_eq!(me.body["status"], "active");

    // The platform admin grants everything named.
    let (both, _) = app.approved_merchant(&platform, &[c1, c2], "both").await;
    assert_eq!(
        app.get(&format!("/merchants/{both}"), None).await.body["community_ids"],
        json!([c1, c2])
    );
}

/// Finding 3: suspension, reinstatement and campaign cancellation need
/// rights over every community concerned.
#[tokio::test]
async fn an_admin_of_one_community_neither_suspends_nor_cancels_for_the_others() {
    let app = app().await;
    let platform = app.platform_admin().await;
    let (c1, _, _) = app.community_with_building(&platform, "一社区").await;
    let (c2, _, _) = app.community_with_building(&platform, "二社区").await;
    let admin1 = app.community_admin(&platform, &[c1]).await;
    let admin12 = app.community_admin(&platform, &[c1, c2]).await;
    let (merchant, owner) = app.approved_merchant(&platform, &[c1, c2], "shared").await;

    let r = app
        .post(
            &format!("/admin/merchants/{merchant}/suspend"),
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    assert_eq!(
        app.get(&format!("/merchants/{merchant}"), None).await.body["status"],
        "active"
    );
    let r = app
        .post(
            &format!("/admin/merchants/{merchant}/suspend"),
            Some(&admin12),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "suspended");
    let r = app
        .post(
            &format!("/admin/merchants/{merchant}/reinstate"),
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    assert_eq!(
        app.get(&format!("/merchants/{merchant}"), None)
            .await
            .status,
        404,
        "still suspended"
    );
    let r = app
        .post(
            &format!("/admin/merchants/{merchant}/reinstate"),
            Some(&admin12),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // A campaign shown in both communities.
    let goods = app
        .create_goods(&owner, merchant, json!({ "stock": 20 }))
        .await;
    let now = chrono::Utc::now();
    let at = |h: i64| (now + chrono::Duration::hours(h)).to_rfc3339();
    let gb = app
        .post(
            &format!("/merchants/{merchant}/group-buys"),
            Some(&owner),
            json!({ "goods_id": goods["id"], "title": "两社区团购", "group_price": "10.00",
                    "min_quantity": 1, "total_quantity": 5, "per_user_limit": 2,
                    "starts_at": at(-1), "ends_at": at(2), "pickup_address": "中心",
                    "pickup_starts_at": at(3), "pickup_ends_at": at(5), "community_ids": [c1, c2] }),
        )
        .await;
    assert_eq!(gb.status, 201, "{}", gb.text);
    let id = gb.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/group-buys/{id}/cancel"),
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    assert_eq!(
        app.get(&format!("/group-buys/{id}"), None).await.body["status"],
        "ongoing"
    );
    let r = app
        .post(
            &format!("/group-buys/{id}/cancel"),
            Some(&admin12),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "cancelled");
}

#[tokio::test]
async fn admins_list_their_merchants_in_every_status_and_nothing_of_other_communities() {
    let app = app().await;
    let platform = app.platform_admin().await;
    let (c1, _, _) = app.community_with_building(&platform, "一社区").await;
    let (c2, _, _) = app.community_with_building(&platform, "二社区").await;
    let admin1 = app.community_admin(&platform, &[c1]).await;
    let admin2 = app.community_admin(&platform, &[c2]).await;
    let (fruit, _) = app.approved_merchant(&platform, &[c1], "fruit").await;
    let (other, _) = app.approved_merchant(&platform, &[c2], "other").await;
    let r = app
        .post(
            &format!("/admin/merchants/{fruit}/suspend"),
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);

    let all = app.get("/admin/merchants", Some(&admin1)).await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(all.body["total"], 1);
    assert_eq!(all.body["items"][0]["id"], fruit);
    assert_eq!(all.body["items"][0]["status"], "suspended");
    let found = app
        .get(
            "/admin/merchants?status=suspended&q=fruit&category=果蔬生鲜",
            Some(&admin1),
        )
        .await;
    assert_eq!(found.body["total"], 1);
    for q in ["status=active", "q=nothing", "category=花卉绿植"] {
        assert_eq!(
            app.get(&format!("/admin/merchants?{q}"), Some(&admin1))
                .await
                .body["total"],
            0,
            "{q}"
        );
    }
    // Another community's shop is invisible, even when asked for by community.
    let r = app
        .get(
            &format!("/admin/merchants?community_id={c2}"),
            Some(&admin1),
        )
        .await;
    assert_eq!(r.body["total"], 0);
    let r = app.get("/admin/merchants", Some(&admin2)).await;
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["items"][0]["id"], other);
    let r = app.get("/admin/merchants", Some(&platform)).await;
    assert_eq!(r.body["total"], 2);
    let r = app
        .post(
            &format!("/admin/merchants/{fruit}/reinstate"),
            Some(&admin2),
            json!({}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    let r = app
        .get("/admin/merchants?status=closed", Some(&admin1))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "INVALID_QUERY"));
    let (resident, _, _) = app.resident("nosy").await;
    assert_eq!(
        app.get("/admin/merchants", Some(&resident)).await.status,
        403
    );
}

#[tokio::test]
async fn a_suspended_helpers_services_vanish_and_future_bookings_are_cancelled_with_a_message() {
    let app = app().await;
    let platform = app.platform_admin().await;
    let (c1, _, b1) = app.community_with_building(&platform, "一社区").await;
    let (c2, _, _) = app.community_with_building(&platform, "二社区").await;
    let admin1 = app.community_admin(&platform, &[c1]).await;
    let admin2 = app.community_admin(&platform, &[c2]).await;
    let (helper, _, helper_id) = app
        .approved_helper(&platform, "helper", &[c1], &["水电维修"])
        .await;
    let service = app
        .offer_service(
            &helper,
            json!({ "category": "水电维修", "title": "水管维修", "price": "30.00",
                    "duration_minutes": 60, "community_ids": [c1] }),
        )
        .await;
    let (resident, resident_id, _) = app.resident("resident").await;
    app.bind_building(&resident, b1).await;
    let slot = app.publish_slot(&helper, 5, 60).await;
    let booked = app
        .post(
            "/bookings",
            Some(&resident),
            json!({ "service_id": service, "slot_id": slot, "address": "1号楼301",
                    "contact_phone": "13700137000", "note": "漏水" }),
        )
        .await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    let booking_id = booked.body["id"].as_i64().unwrap();
    // Warm the catalog cache: suspension must clear it.
    assert_eq!(
        app.get(&format!("/services?community_id={c1}"), None)
            .await
            .body["total"],
        1
    );

    let listed = app.get("/admin/helpers", Some(&admin1)).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["total"], 1);
    assert_eq!(listed.body["items"][0]["id"], helper_id);
    assert_eq!(
        app.get("/admin/helpers", Some(&admin2)).await.body["total"],
        0
    );
    let r = app
        .post(
            &format!("/admin/helpers/{helper_id}/suspend"),
            Some(&admin2),
            json!({}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));

    let r = app
        .post(
            &format!("/admin/helpers/{helper_id}/suspend"),
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "suspended");
    let again = app
        .post(
            &format!("/admin/helpers/{helper_id}/suspend"),
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "HELPER_STATUS_CONFLICT")
    );
    assert_eq!(
        app.get(&format!("/services?community_id={c1}"), None)
            .await
            .body["total"],
        0
    );
    assert_eq!(
        app.get(&format!("/services/{service}"), None).await.status,
        404
    );
    let b = app
        .get(&format!("/bookings/{booking_id}"), Some(&resident))
        .await;
    assert_eq!(b.body["status"], "cancelled");
    let row = booking::Entity::find_by_id(booking_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.active_slot_id, None);
    let notes = booking_notification::Entity::find()
        .filter(booking_notification::Column::BookingId.eq(booking_id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(notes.len(), 1, "the resident is told once");
    assert_eq!(notes[0].user_id, resident_id);
    assert_eq!(
        app.get("/admin/helpers?status=suspended", Some(&admin1))
            .await
            .body["total"],
        1
    );
    // The helper still reads their profile, and sees why.
    assert_eq!(
        app.get("/helpers/me", Some(&helper)).await.body["status"],
        "suspended"
    );

    let r = app
        .post(
            &format!("/admin/helpers/{helper_id}/reinstate"),
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.get(&format!("/services?community_id={c1}"), None)
            .await
            .body["total"],
        1
    );
    let r = app
        .post("/admin/helpers/999999/suspend", Some(&admin1), json!({}))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "HELPER_NOT_FOUND"));
}

/// The directory, and finding 4: grid workers come from it.
#[tokio::test]
async fn the_directory_is_scoped_and_grid_workers_come_from_it() {
    let app = app().await;
    let platform = app.platform_admin().await;
    let (c1, g1, b1) = app.community_with_building(&platform, "一社区").await;
    let (c2, g2, b2) = app.community_with_building(&platform, "二社区").await;
    let admin1 = app.community_admin(&platform, &[c1]).await;
    let admin12 = app.community_admin(&platform, &[c1, c2]).await;
    let (alice, alice_id, _) = app.resident("alice").await;
    app.bind_building(&alice, b1).await;
    set_phone(&app, alice_id, "13812345678").await;
    let (bob, bob_id, _) = app.resident("bob").await;
    app.bind_building(&bob, b2).await;
    set_phone(&app, bob_id, "13912345678").await;
    let (_, unbound_id, _) = app.resident("unbound").await;

    let all = app.get("/admin/users", Some(&admin1)).await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(all.body["total"], 1);
    let entry = &all.body["items"][0];
    assert_eq!(entry["id"], alice_id);
    assert_eq!(entry["phone"], "138****5678");
    assert_eq!(entry["roles"], json!(["resident"]));
    assert_eq!(
        (
            entry["community_id"].as_i64(),
            entry["building_id"].as_i64()
        ),
        (Some(c1), Some(b1))
    );
    for q in [
        "phone=13812345678",
        "phone=5678",
        "nickname=alic",
        &format!("building_id={b1}"),
    ] {
        let r = app.get(&format!("/admin/users?{q}"), Some(&admin1)).await;
        assert_eq!(r.body["total"], 1, "{q}: {}", r.text);
    }
    // Bob's last four digits match too, but he lives in c2.
    assert_eq!(
        app.get("/admin/users?phone=5678", Some(&admin12))
            .await
            .body["total"],
        2
    );
    for q in [
        "phone=13912345678",
        "nickname=bob",
        &format!("community_id={c2}"),
        &format!("building_id={b2}"),
    ] {
        assert_eq!(
            app.get(&format!("/admin/users?{q}"), Some(&admin1))
                .await
                .body["total"],
            0,
            "{q}"
        );
    }
    for q in ["phone=567", "phone=abcd", "phone=1381234567X"] {
        let r = app.get(&format!("/admin/users?{q}"), Some(&admin1)).await;
        assert_eq!((r.status.as_u16(), r.code()), (400, "INVALID_QUERY"), "{q}");
    }
    assert_eq!(app.get("/admin/users", Some(&alice)).await.status, 403);

    // Grid workers: only a resident bound in the grid's community.
    let r = app
        .post(
            "/admin/grid-workers",
            Some(&admin1),
            json!({ "user_id": bob_id, "grid_id": g1 }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (404, "USER_NOT_FOUND"),
        "finding 4: {}",
        r.text
    );
    let r = app
        .post(
            "/admin/grid-workers",
            Some(&admin1),
            json!({ "user_id": unbound_id, "grid_id": g1 }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "USER_NOT_FOUND"));
    let r = app
        .post(
            "/admin/grid-workers",
            Some(&admin12),
            json!({ "user_id": bob_id, "grid_id": g1 }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "VALIDATION_FAILED"),
        "bound in c2, not c1"
    );
    let r = app
        .post(
            "/admin/grid-workers",
            Some(&admin1),
            json!({ "user_id": alice_id, "grid_id": g2 }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    let r = app
        .post(
            "/admin/grid-workers",
            Some(&admin1),
            json!({ "user_id": alice_id, "grid_id": g1 }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let bob_roles = app.get("/me", Some(&bob)).await.body["roles"].clone();
    assert_eq!(bob_roles, json!(["resident"]), "bob got no role");
    let listed = app.get("/admin/users?phone=5678", Some(&admin1)).await;
    assert_eq!(listed.body["items"][0]["grid_ids"], json!([g1]));
    let mut roles: Vec<String> =
        serde_json::from_value(listed.body["items"][0]["roles"].clone()).unwrap();
    roles.sort();
    assert_eq!(roles, vec!["grid_worker", "resident"]);
}

#[tokio::test]
async fn community_admins_keep_the_map_of_their_own_communities_only() {
    let app = app().await;
    let platform = app.platform_admin().await;
    let (c1, g1, b1) = app.community_with_building(&platform, "一社区").await;
    let (c2, g2, b2) = app.community_with_building(&platform, "二社区").await;
    let admin1 = app.community_admin(&platform, &[c1]).await;

    let grid = app
        .post(
            &format!("/admin/communities/{c1}/grids"),
            Some(&admin1),
            json!({ "name": "第二网格" }),
        )
        .await;
    assert_eq!(grid.status, 201, "{}", grid.text);
    let g_new = grid.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/admin/communities/{c2}/grids"),
            Some(&admin1),
            json!({ "name": "越界" }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    let building = app
        .post(
            &format!("/admin/grids/{g_new}/buildings"),
            Some(&admin1),
            json!({ "name": "2号楼", "households": 80 }),
        )
        .await;
    assert_eq!(building.status, 201, "{}", building.text);
    let r = app
        .post(
            &format!("/admin/grids/{g2}/buildings"),
            Some(&admin1),
            json!({ "name": "越界", "households": 1 }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));

    let renamed = app
        .patch(
            &format!("/admin/grids/{g1}"),
            Some(&admin1),
            json!({ "name": "东区网格" }),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(renamed.body["name"], "东区网格");
    assert_eq!(renamed.body["buildings"][0]["id"], b1);
    let moved = app
        .patch(
            &format!("/admin/buildings/{b1}"),
            Some(&admin1),
            json!({ "grid_id": g_new, "name": "1栋" }),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(
        (moved.body["grid_id"].as_i64(), moved.body["name"].as_str()),
        (Some(g_new), Some("1栋"))
    );
    let map = app.get(&format!("/communities/{c1}"), None).await;
    let grids = map.body["grids"].as_array().unwrap();
    let east = grids.iter().find(|g| g["id"] == g1).unwrap();
    assert_eq!(east["name"], "东区网格");
    assert_eq!(east["buildings"], json!([]));
    let second = grids.iter().find(|g| g["id"] == g_new).unwrap();
    assert_eq!(second["buildings"].as_array().unwrap().len(), 2);

    let r = app
        .patch(
            &format!("/admin/buildings/{b1}"),
            Some(&admin1),
            json!({ "grid_id": g2 }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "VALIDATION_FAILED"),
        "another community's grid"
    );
    let r = app
        .patch(
            &format!("/admin/buildings/{b1}"),
            Some(&admin1),
            json!({ "name": "", "households": -1 }),
        )
        .await;
    assert_eq!(r.fields().len(), 2);
    for (path, body) in [
        (
            format!("/admin/buildings/{b2}"),
            json!({ "name": "改别人的" }),
        ),
        (format!("/admin/grids/{g2}"), json!({ "name": "改别人的" })),
    ] {
        let r = app.patch(&path, Some(&admin1), body).await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"), "{path}");
    }
    let map2 = app.get(&format!("/communities/{c2}"), None).await;
    assert_eq!(map2.body["grids"][0]["name"], "第一网格");
    let r = app
        .patch(
            "/admin/buildings/999999",
            Some(&admin1),
            json!({ "name": "无" }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "BUILDING_NOT_FOUND"));
}

#[tokio::test]
async fn platform_admins_disable_and_reset_community_admins_whose_tokens_stop_at_once() {
    let app = app().await;
    let platform = app.platform_admin().await;
    let (c1, _, _) = app.community_with_building(&platform, "一社区").await;
    let (c2, _, _) = app.community_with_building(&platform, "二社区").await;
    let created = app
        .post(
            "/admin/admins",
            Some(&platform),
            json!({ "username": "zhang", "password": "community-pass-1", "community_ids": [c1] }),
        )
        .await;
    let zhang_id = created.body["id"].as_i64().unwrap();
    app.post(
        "/admin/admins",
        Some(&platform),
        json!({ "username": "lisi", "password": "community-pass-1", "community_ids": [c2] }),
    )
    .await;
    let zhang = app.admin_login("zhang", "community-pass-1").await;

    let all = app.get("/admin/admins", Some(&platform)).await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(all.body["total"], 2, "platform admins are not listed");
    let only = app
        .get(&format!("/admin/admins?community_id={c1}"), Some(&platform))
        .await;
    assert_eq!(only.body["total"], 1);
    assert_eq!(only.body["items"][0]["username"], "zhang");
    assert_eq!(only.body["items"][0]["community_ids"], json!([c1]));
    assert_eq!(only.body["items"][0]["disabled_at"], json!(null));
    assert_eq!(
        app.get("/admin/admins?q=lisi", Some(&platform)).await.body["total"],
        1
    );
    for path in [
        "/admin/admins".to_owned(),
        format!("/admin/admins/{zhang_id}/disable"),
    ] {
        let r = if path.ends_with("disable") {
            app.post(&path, Some(&zhang), json!({})).await
        } else {
            app.get(&path, Some(&zhang)).await
        };
        assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"), "{path}");
    }

    assert_eq!(app.get("/admin/merchants", Some(&zhang)).await.status, 200);
    let off = app
        .post(
            &format!("/admin/admins/{zhang_id}/disable"),
            Some(&platform),
            json!({}),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.text);
    assert!(off.body["disabled_at"].is_string());
    let r = app.get("/admin/merchants", Some(&zhang)).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (401, "TOKEN_INVALID"),
        "the token stops at once"
    );
    let login = app
        .post(
            "/auth/admin/login",
            None,
            json!({ "username": "zhang", "password": "community-pass-1" }),
        )
        .await;
    assert_eq!(
        (login.status.as_u16(), login.code()),
        (403, "ACCOUNT_DISABLED")
    );
    let wrong = app
        .post(
            "/auth/admin/login",
            None,
            json!({ "username": "zhang", "password": "wrong-pass-1" }),
        )
        .await;
    assert_eq!(
        (wrong.status.as_u16(), wrong.code()),
        (401, "INVALID_CREDENTIALS"),
        "nothing told without the password"
    );
    let again = app
        .post(
            &format!("/admin/admins/{zhang_id}/disable"),
            Some(&platform),
            json!({}),
        )
        .await;
    assert_eq!((again.status.as_u16(), again.code()), (409, "CONFLICT"));

    let on = app
        .post(
            &format!("/admin/admins/{zhang_id}/enable"),
            Some(&platform),
            json!({}),
        )
        .await;
    assert_eq!(on.status, 200, "{}", on.text);
    let zhang = app.admin_login("zhang", "community-pass-1").await;

    let short = app
        .post(
            &format!("/admin/admins/{zhang_id}/reset-password"),
            Some(&platform),
            json!({ "new_password": "short" }),
        )
        .await;
    assert_eq!(
        (short.status.as_u16(), short.code()),
        (422, "VALIDATION_FAILED")
    );
    let reset = app
        .post(
            &format!("/admin/admins/{zhang_id}/reset-password"),
            Some(&platform),
            json!({ "new_password": "brand-new-pass" }),
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.text);
    assert_eq!(app.get("/admin/merchants", Some(&zhang)).await.status, 401);
    let old = app
        .post(
            "/auth/admin/login",
            None,
            json!({ "username": "zhang", "password": "community-pass-1" }),
        )
        .await;
    assert_eq!(old.status, 401);
    let zhang = app.admin_login("zhang", "brand-new-pass").await;
    // And their own change, old password required.
    let r = app
        .post(
            "/me/password",
            Some(&zhang),
            json!({ "old_password": "wrong-one-1", "new_password": "mine-again-1" }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "VALIDATION_FAILED"));
    let r = app
        .post(
            "/me/password",
            Some(&zhang),
            json!({ "old_password": "brand-new-pass", "new_password": "mine-again-1" }),
        )
        .await;
    assert_eq!(r.status.as_u16() / 100, 2, "{}", r.text);

    // A platform admin is not managed here.
    let me = app.get("/me", Some(&platform)).await;
    let pid = me.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/admin/admins/{pid}/disable"),
            Some(&platform),
            json!({}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "ADMIN_NOT_FOUND"));
}
