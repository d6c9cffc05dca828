//! Nobody sees a request outside their scope: departments, communities,
//! grids and residents each see their own only.

use serde_json::json;

use super::{department, desk, ids, staff};

#[tokio::test]
async fn every_view_shows_only_what_is_in_the_callers_scope() {
    let d = desk().await;
    d.at("2026-09-21T10:00:00+08:00");
    // Community B with its own admin, grid worker and resident.
    let (b_community, b_grid, b_building) =
        d.app.community_with_building(&d.platform, "和平社区").await;
    let b_admin = d.app.community_admin(&d.platform, &[b_community]).await;
    let (b_worker, b_worker_id, _) = d.app.resident("b-worker").await;
    d.app.bind_building(&b_worker, b_building).await;
    let r = d
        .app
        .post(
            "/admin/grid-workers",
            Some(&b_admin),
            json!({ "user_id": b_worker_id, "grid_id": b_grid }),
        )
        .await;
    assert_eq!(r.status, 201);
    let (b_resident, _, _) = d.app.resident("b-resident").await;
    d.app.bind_building(&b_resident, b_building).await;
    let gas = department(&d.app, &d.platform, "燃气公司").await;
    let (gas_staff, _) = staff(&d.app, &d.platform, gas, "gas-staff", false).await;

    // A: one for 供电, one for 供水, one at the grid. B: one for 供电.
    let a_power = d.report(d.outage).await;
    d.ok(&d.admin, a_power, "assign", json!({})).await;
    let a_water = d.report(d.outage).await;
    d.ok(
        &d.admin,
        a_water,
        "assign",
        json!({ "department_id": d.water }),
    )
    .await;
    let a_grid = d.report(d.clutter).await;
    let b_power = d
        .report_as(&b_resident, d.outage, json!({ "building_id": b_building }))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    d.ok(&b_admin, b_power, "assign", json!({})).await;
    let all = [a_power, a_water, a_grid, b_power];

    // Departments: their own assignments, across communities; nothing else.
    let mut queue = ids(&d.app.get("/me/request-queue", Some(&d.power_staff)).await);
    queue.sort_unstable();
    assert_eq!(queue, vec![a_power, b_power]);
    assert_eq!(
        ids(&d.app.get("/me/request-queue", Some(&d.water_staff)).await),
        vec![a_water]
    );
    assert_eq!(
        ids(&d.app.get("/me/request-queue", Some(&gas_staff)).await),
        Vec::<i64>::new()
    );
    for id in all {
        let seen = d.detail(&gas_staff, id).await.status.as_u16();
        assert_eq!(seen, 404, "{id}");
    }
    assert_eq!(d.detail(&d.water_staff, a_power).await.status, 404);
    assert_eq!(
        d.act(&d.water_staff, a_power, "accept", json!({}))
            .await
            .status,
        404
    );
    assert_eq!(d.detail(&d.power_staff, a_grid).await.status, 404);

    // Community admins: their communities only.
    let mut board = ids(&d.app.get("/admin/requests", Some(&d.admin)).await);
    board.sort_unstable();
    assert_eq!(board, vec![a_power, a_water, a_grid]);
    assert_eq!(
        ids(&d.app.get("/admin/requests", Some(&b_admin)).await),
        vec![b_power]
    );
    assert_eq!(
        d.app
            .get(
                &format!("/admin/requests?community_id={b_community}"),
                Some(&d.admin)
            )
            .await
            .status,
        403
    );
    assert_eq!(
        d.app
            .get("/admin/requests?community_id=99999", Some(&d.admin))
            .await
            .status,
        404
    );
    assert_eq!(d.detail(&d.admin, b_power).await.status, 404);
    assert_eq!(
        d.act(
            &d.admin,
            b_power,
            "extension/decide",
            json!({ "approve": true })
        )
        .await
        .status,
        404
    );
    let stats = d
        .app
        .get(
            &format!("/admin/request-stats?community_id={b_community}"),
            Some(&d.admin),
        )
        .await;
    assert_eq!(stats.status, 403);
    // Platform admins see every community.
    assert_eq!(
        ids(&d.app.get("/admin/requests", Some(&d.platform)).await).len(),
        4
    );

    // Grid workers: their grid only.
    let mut grid = ids(&d.app.get("/grid/requests", Some(&d.worker)).await);
    grid.sort_unstable();
    assert_eq!(grid, vec![a_power, a_water, a_grid]);
    assert_eq!(
        ids(&d.app.get("/grid/requests", Some(&b_worker)).await),
        vec![b_power]
    );
    assert_eq!(
        ids(&d.app.get("/me/request-queue", Some(&d.worker)).await),
        vec![a_grid]
    );
    assert_eq!(d.detail(&b_worker, a_grid).await.status, 404);
    assert_eq!(
        d.act(&b_worker, a_grid, "accept", json!({})).await.status,
        404
    );

    // Residents: their own only.
    assert_eq!(
        ids(&d.app.get("/me/requests", Some(&b_resident)).await),
        vec![b_power]
    );
    assert_eq!(d.detail(&b_resident, a_power).await.status, 404);
    assert_eq!(
        d.act(&b_resident, a_power, "urge", json!({})).await.status,
        404
    );
    // And the staff lists are not theirs to read.
    assert_eq!(
        d.app.get("/admin/requests", Some(&d.resident)).await.status,
        403
    );
    assert_eq!(
        d.app
            .get("/me/request-queue", Some(&b_resident))
            .await
            .status,
        403
    );
    assert_eq!(
        d.app.get("/grid/requests", Some(&d.resident)).await.status,
        403
    );
    assert_eq!(
        d.app
            .get("/admin/request-stats", Some(&d.power_staff))
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn board_filters_narrow_what_the_admin_sees() {
    let d = desk().await;
    d.at("2026-09-21T10:00:00+08:00");
    let power = d.report(d.outage).await;
    d.ok(&d.admin, power, "assign", json!({})).await;
    let water = d.report(d.outage).await;
    d.ok(
        &d.admin,
        water,
        "assign",
        json!({ "department_id": d.water }),
    )
    .await;
    let grid = d.report(d.clutter).await;
    let queued = d.report(d.dispute).await;
    let d = &d;
    let get = |q: &str| {
        let path = format!("/admin/requests?{q}");
        async move { d.app.get(&path, Some(&d.admin)).await }
    };
    assert_eq!(ids(&get("status=submitted").await), vec![queued]);
    assert_eq!(
        ids(&get(&format!("department_id={}", d.water)).await),
        vec![water]
    );
    assert_eq!(
        ids(&get(&format!("category_id={}", d.clutter)).await),
        vec![grid]
    );
    assert_eq!(ids(&get(&format!("grid_id={}", d.grid)).await).len(), 4);
    assert_eq!(ids(&get("escalated=true").await), Vec::<i64>::new());
    assert_eq!(ids(&get("sort=due&page_size=2").await).len(), 2);
    assert_eq!(get("status=lost").await.code(), "INVALID_QUERY");
    assert_eq!(get("sort=random").await.code(), "INVALID_QUERY");
    assert_eq!(get("overdue=maybe").await.code(), "INVALID_QUERY");
    assert_eq!(get("page_size=101").await.code(), "INVALID_QUERY");
    // The community handles 邻里纠纷 itself: assigned to the community, it is
    // in the admins' own queue.
    d.ok(&d.admin, queued, "assign", json!({ "level": "community" }))
        .await;
    assert_eq!(
        ids(&d.app.get("/me/request-queue", Some(&d.admin)).await),
        vec![queued]
    );
    d.ok(&d.admin, queued, "accept", json!({})).await;
    // A grid assignment needs a grid; a department one a real department.
    let lone = d
        .report_as(
            &d.resident,
            d.dispute,
            json!({ "building_id": null, "lat": 30.5, "lng": 114.3, "community_id": d.community }),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        d.act(&d.admin, lone, "assign", json!({ "level": "grid" }))
            .await
            .fields(),
        ["level"]
    );
    assert_eq!(
        d.act(
            &d.admin,
            lone,
            "assign",
            json!({ "level": "department", "department_id": 999_999 })
        )
        .await
        .fields(),
        ["department_id"]
    );
    assert_eq!(
        d.act(&d.admin, lone, "assign", json!({ "level": "department" }))
            .await
            .fields(),
        ["department_id"]
    );
}
