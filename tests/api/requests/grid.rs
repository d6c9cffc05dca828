//! The grid worker's tools: residents, care tiers, visits, overdue visits.

use serde_json::json;

use super::{desk, ids};

#[tokio::test]
async fn grid_workers_keep_care_tiers_and_visits_of_their_own_residents_only() {
    let d = desk().await;
    d.at("2026-09-01T09:00:00+08:00");
    // An offline resident (no WeChat) registered by the admin, with a guardian.
    let r = d
        .app
        .post("/admin/offline-residents", Some(&d.worker), json!({}))
        .await;
    assert_eq!(r.status, 403, "admins register offline residents");
    let r = d
        .app
        .post("/admin/offline-residents", Some(&d.admin), json!({}))
        .await;
    assert_eq!(r.fields(), ["building_id", "name", "phone"]);
    let r = d
        .app
        .post(
            "/admin/offline-residents",
            Some(&d.admin),
            json!({
                "building_id": d.building, "room": "302", "name": "张奶奶", "phone": "13900001234",
                "guardian_name": "张小明", "guardian_phone": "13900005678",
                "tier": "red", "tags": ["living_alone_elderly"]
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let grandma = r.body["user_id"].as_i64().unwrap();
    assert_eq!(
        (r.body["offline"].as_bool(), r.body["wechat"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(r.body["visit_interval_days"], 7);
    assert_eq!(r.body["next_visit_due"], "2026-09-08");

    // The worker's residents: bound users and the offline profile.
    let list = d.app.get("/grid/residents", Some(&d.worker)).await;
    let names: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(list.body["total"], 3, "{names:?}");
    assert!(
        names.contains(&"张奶奶") && names.contains(&"居民resident"),
        "{names:?}"
    );
    let reds = d.app.get("/grid/residents?tier=red", Some(&d.worker)).await;
    assert_eq!(reds.body["total"], 1);
    assert_eq!(
        d.app
            .get("/grid/residents?q=张", Some(&d.worker))
            .await
            .body["total"],
        1
    );
    assert_eq!(
        d.app
            .get("/grid/residents?q=1390000", Some(&d.worker))
            .await
            .body["total"],
        1
    );
    assert_eq!(
        d.app
            .get("/grid/residents?tier=purple", Some(&d.worker))
            .await
            .code(),
        "INVALID_QUERY"
    );

    // Tiering a bound resident: orange, every 14 days; a 三必访 tag caps green at 30.
    let r = d
        .app
        .call(
            reqwest::Method::PUT,
            &format!("/grid/residents/{}/care", d.resident_id),
            Some(&d.worker),
            Some(json!({ "tier": "orange" })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["next_visit_due"], "2026-09-15");
    let r = d
        .app
        .call(
            reqwest::Method::PUT,
            &format!("/grid/residents/{}/care", d.resident_id),
            Some(&d.worker),
            Some(json!({ "tier": "green", "tags": ["disabled", "nope"], "guardian_phone": "1" })),
        )
        .await;
    assert_eq!(r.fields(), ["tags", "guardian_phone"]);
    let r = d
        .app
        .call(
            reqwest::Method::PUT,
            &format!("/grid/residents/{}/care", d.resident_id),
            Some(&d.worker),
            Some(json!({ "tier": "green", "tags": ["disabled"] })),
        )
        .await;
    assert_eq!(r.body["visit_interval_days"], 30);

    // A visit: logged, and the next one scheduled from it.
    d.at("2026-09-05T15:00:00+08:00");
    let r = d
        .app
        .post(
            "/grid/visits",
            Some(&d.worker),
            json!({ "resident_id": grandma, "visited_on": "2026-09-06", "notes": "身体不错" }),
        )
        .await;
    assert_eq!(r.fields(), ["visited_on"], "not in the future");
    let r = d
        .app
        .post("/grid/visits", Some(&d.worker), json!({ "resident_id": grandma, "visited_on": "2026-09-05", "notes": "身体不错，冰箱坏了", "needs": "家电维修" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let grandma_view = d
        .app
        .get("/grid/residents?tier=red", Some(&d.worker))
        .await
        .body["items"][0]
        .clone();
    assert_eq!(grandma_view["last_visited_on"], "2026-09-05");
    assert_eq!(grandma_view["next_visit_due"], "2026-09-12");

    // Overdue visits: none yet; eight days on, 张奶奶 (due 09-12) is.
    assert_eq!(
        d.app
            .get("/grid/visits/overdue", Some(&d.worker))
            .await
            .body["total"],
        0
    );
    d.at("2026-09-13T08:00:00+08:00");
    let overdue = d.app.get("/grid/visits/overdue", Some(&d.worker)).await;
    assert_eq!(overdue.body["total"], 1, "{}", overdue.text);
    assert_eq!(overdue.body["items"][0]["user_id"], grandma);
    assert_eq!(overdue.body["items"][0]["visit_overdue"], true);
    d.at("2026-10-20T08:00:00+08:00");
    let overdue = d.app.get("/grid/visits/overdue", Some(&d.worker)).await;
    let order: Vec<i64> = overdue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["user_id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        order,
        vec![grandma, d.resident_id],
        "the longest overdue first"
    );

    // A visit that files a request for the resident (代办 without WeChat).
    let r = d
        .app
        .post(
            "/grid/visits",
            Some(&d.worker),
            json!({
                "resident_id": grandma, "visited_on": "2026-10-20", "notes": "楼道灯坏了",
                "request": { "category_id": d.outage }
            }),
        )
        .await;
    assert_eq!(r.fields(), ["request.content"]);
    let r = d
        .app
        .post(
            "/grid/visits",
            Some(&d.worker),
            json!({
                "resident_id": grandma, "visited_on": "2026-10-20", "notes": "楼道灯坏了",
                "request": { "category_id": d.outage, "content": "张奶奶家门口楼道灯不亮" }
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let filed = r.body["request_id"].as_i64().unwrap();
    let req = d.detail(&d.worker, filed).await.body;
    assert_eq!(req["reporter"]["id"], grandma);
    assert_eq!(req["filed_by"]["id"], d.worker_id);
    assert_eq!(req["consent"], "走访时当面征得同意");
    assert_eq!(req["building_id"], d.building);
    let visits = d
        .app
        .get(
            &format!("/grid/visits?resident_id={grandma}"),
            Some(&d.worker),
        )
        .await;
    assert_eq!(visits.body["total"], 2);
    assert_eq!(visits.body["items"][0]["request_id"], filed);

    // Another grid's worker reaches none of it.
    let g = d
        .app
        .post(
            &format!("/admin/communities/{}/grids", d.community),
            Some(&d.platform),
            json!({ "name": "第二网格" }),
        )
        .await;
    let other_grid = g.body["id"].as_i64().unwrap();
    let (other, other_id, _) = d.app.resident("other-worker").await;
    // Grid workers are residents bound in the grid's community.
    d.app.bind_building(&other, d.building).await;
    let r = d
        .app
        .post(
            "/admin/grid-workers",
            Some(&d.admin),
            json!({ "user_id": other_id, "grid_id": other_grid }),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        d.app.get("/grid/residents", Some(&other)).await.body["total"],
        0
    );
    assert_eq!(
        d.app
            .get(&format!("/grid/residents?grid_id={}", d.grid), Some(&other))
            .await
            .status,
        403
    );
    let r = d
        .app
        .call(
            reqwest::Method::PUT,
            &format!("/grid/residents/{grandma}/care"),
            Some(&other),
            Some(json!({ "tier": "green" })),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = d
        .app
        .post(
            "/grid/visits",
            Some(&other),
            json!({ "resident_id": grandma, "visited_on": "2026-10-20", "notes": "路过" }),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        d.app.get("/grid/visits", Some(&other)).await.body["total"],
        0
    );
    assert_eq!(
        d.app.get("/grid/visits/overdue", Some(&other)).await.body["total"],
        0
    );
    assert_eq!(
        ids(&d.app.get("/grid/requests", Some(&other)).await),
        Vec::<i64>::new()
    );
    // Residents have no grid tools.
    assert_eq!(
        d.app.get("/grid/residents", Some(&d.resident)).await.status,
        403
    );
    // The admin tiers residents of their community too.
    let r = d
        .app
        .call(
            reqwest::Method::PUT,
            &format!("/grid/residents/{grandma}/care"),
            Some(&d.admin),
            Some(json!({ "tier": "yellow" })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}
