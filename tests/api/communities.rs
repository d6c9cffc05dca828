use serde_json::json;

use crate::support::spawn_app;

#[tokio::test]
async fn platform_admin_builds_the_map_and_everyone_reads_it() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (cid, gid, bid) = app.community_with_building(&platform, "幸福社区").await;

    let list = app.get("/communities", None).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["page"], 1);
    assert_eq!(list.body["page_size"], 20);
    let c = &list.body["items"][0];
    assert_eq!(c["id"], cid);
    assert_eq!(c["name"], "幸福社区");
    assert_eq!(c["district"], "城关区");
    assert_eq!(c["lat"], 30.5);
    assert_eq!(c["grids"][0]["id"], gid);
    assert_eq!(c["grids"][0]["buildings"][0]["id"], bid);
    assert_eq!(c["grids"][0]["buildings"][0]["households"], 120);
    assert_eq!(c["grids"][0]["buildings"][0]["community_id"], cid);

    let one = app.get(&format!("/communities/{cid}"), None).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body, *c);

    let missing = app.get("/communities/999999", None).await;
    assert_eq!(
        (missing.status.as_u16(), missing.code()),
        (404, "COMMUNITY_NOT_FOUND")
    );
}

#[tokio::test]
async fn writes_show_up_in_cached_reads_at_once() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (cid, gid, _) = app.community_with_building(&platform, "阳光社区").await;
    // Warm the cache.
    assert_eq!(
        app.get(&format!("/communities/{cid}"), None).await.body["grids"][0]["buildings"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(app.get("/communities", None).await.body["total"], 1);

    let b = app
        .post(
            &format!("/admin/grids/{gid}/buildings"),
            Some(&platform),
            json!({ "name": "2号楼", "households": 80 }),
        )
        .await;
    assert_eq!(b.status, 201);
    let detail = app.get(&format!("/communities/{cid}"), None).await;
    assert_eq!(
        detail.body["grids"][0]["buildings"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    app.community_with_building(&platform, "第二社区").await;
    assert_eq!(app.get("/communities", None).await.body["total"], 2);
}

#[tokio::test]
async fn paging_is_validated_and_applied() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    for i in 0..3 {
        app.community_with_building(&platform, &format!("社区{i}"))
            .await;
    }
    let page2 = app.get("/communities?page=2&page_size=2", None).await;
    assert_eq!(page2.status, 200);
    assert_eq!(page2.body["total"], 3);
    assert_eq!(page2.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(page2.body["items"][0]["name"], "社区2");

    for bad in [
        "page=0",
        "page_size=101",
        "page_size=0",
        "page=abc",
        "page_size=-1",
    ] {
        let r = app.get(&format!("/communities?{bad}"), None).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (400, "INVALID_QUERY"),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn only_platform_admins_create_communities_and_only_its_admins_edit_a_map() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (cid, gid, _) = app.community_with_building(&platform, "甲社区").await;
    let (other, _, _) = app.community_with_building(&platform, "乙社区").await;
    let (resident, _, _) = app.resident("r1").await;
    // An admin of another community: the map of 甲 is not theirs to edit
    // (its own admins may; see operators_admin.rs).
    let community_admin = app.community_admin(&platform, &[other]).await;
    let body = json!({ "name": "x", "district": "y", "address": "z", "lat": 1.0, "lng": 2.0 });
    let own_admin = app.community_admin(&platform, &[cid]).await;
    assert_eq!(
        app.post("/admin/communities", Some(&own_admin), body.clone())
            .await
            .status,
        403
    );

    for token in [&resident, &community_admin] {
        assert_eq!(
            app.post("/admin/communities", Some(token), body.clone())
                .await
                .status,
            403
        );
        assert_eq!(
            app.post(
                &format!("/admin/communities/{cid}/grids"),
                Some(token),
                json!({ "name": "g" })
            )
            .await
            .status,
            403
        );
        let r = app
            .post(
                &format!("/admin/grids/{gid}/buildings"),
                Some(token),
                json!({ "name": "b", "households": 1 }),
            )
            .await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    }
    assert_eq!(app.post("/admin/communities", None, body).await.status, 401);
    let unchanged = app.get(&format!("/communities/{cid}"), None).await;
    assert_eq!(unchanged.body["grids"].as_array().unwrap().len(), 1);
    assert_eq!(app.get("/communities", None).await.body["total"], 2);
}

#[tokio::test]
async fn invalid_map_input_is_422_with_fields_and_writes_nothing() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let r = app
        .post(
            "/admin/communities",
            Some(&platform),
            json!({ "name": "", "district": "城关区", "address": "   ", "lat": 91.0, "lng": 181.0 }),
        )
        .await;
    assert_eq!(r.status, 422);
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, vec!["address", "lat", "lng", "name"]);
    assert_eq!(app.get("/communities", None).await.body["total"], 0);

    let wrong_type = app
        .post(
            "/admin/communities",
            Some(&platform),
            json!({ "name": "a", "district": "b", "address": "c", "lat": "north", "lng": 1 }),
        )
        .await;
    assert_eq!(wrong_type.status, 422);
    assert_eq!(wrong_type.fields(), vec!["lat"]);

    let (cid, gid, _) = app.community_with_building(&platform, "乙社区").await;
    let grid = app
        .post(
            &format!("/admin/communities/{cid}/grids"),
            Some(&platform),
            json!({ "name": "x".repeat(65) }),
        )
        .await;
    assert_eq!(
        (grid.status.as_u16(), grid.fields()),
        (422, vec!["name".to_owned()])
    );
    let building = app
        .post(
            &format!("/admin/grids/{gid}/buildings"),
            Some(&platform),
            json!({ "name": "3号楼", "households": -1 }),
        )
        .await;
    assert_eq!(
        (building.status.as_u16(), building.fields()),
        (422, vec!["households".to_owned()])
    );

    let no_community = app
        .post(
            "/admin/communities/424242/grids",
            Some(&platform),
            json!({ "name": "g" }),
        )
        .await;
    assert_eq!(
        (no_community.status.as_u16(), no_community.code()),
        (404, "COMMUNITY_NOT_FOUND")
    );
    let no_grid = app
        .post(
            "/admin/grids/424242/buildings",
            Some(&platform),
            json!({ "name": "b", "households": 1 }),
        )
        .await;
    assert_eq!(
        (no_grid.status.as_u16(), no_grid.code()),
        (404, "GRID_NOT_FOUND")
    );
    let detail = app.get(&format!("/communities/{cid}"), None).await;
    assert_eq!(detail.body["grids"].as_array().unwrap().len(), 1);
    assert_eq!(
        detail.body["grids"][0]["buildings"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// Two API instances sharing one Redis: a write through one is seen through
/// the other at once. Needs TEST_REDIS_URL (the PostgreSQL + Redis CI run);
/// with the in-process cache each instance has its own cache by design.
#[tokio::test]
async fn a_write_on_one_instance_invalidates_the_other_instances_cache() {
    let Some((a, b)) = crate::support::two_instances_sharing_redis().await else {
        return;
    };
    let platform = a.platform_admin().await;
    let (cid, gid, _) = a.community_with_building(&platform, "共享缓存社区").await;
    let before = b.get(&format!("/communities/{cid}"), None).await;
    assert_eq!(
        before.body["grids"][0]["buildings"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(b.get("/communities", None).await.body["total"], 1);

    let r = a
        .post(
            &format!("/admin/grids/{gid}/buildings"),
            Some(&platform),
            json!({ "name": "2号楼", "households": 10 }),
        )
        .await;
    assert_eq!(r.status, 201);
    a.community_with_building(&platform, "另一个社区").await;

    let after = b.get(&format!("/communities/{cid}"), None).await;
    assert_eq!(
        after.body["grids"][0]["buildings"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(b.get("/communities", None).await.body["total"], 2);
}
