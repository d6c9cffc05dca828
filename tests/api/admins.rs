use serde_json::json;

use crate::support::spawn_app;

#[tokio::test]
async fn platform_admin_creates_community_admins_who_can_log_in() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "甲").await;
    let r = app
        .post("/admin/admins", Some(&platform), json!({ "username": "zhang.san", "password": "pass-word-1", "community_ids": [cid, cid] }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["username"], "zhang.san");
    assert_eq!(r.body["roles"], json!(["community_admin"]));
    assert_eq!(r.body["community_ids"], json!([cid]));
    assert!(!r.text.contains("pass-word-1"));

    let token = app.admin_login("zhang.san", "pass-word-1").await;
    let me = app.get("/me", Some(&token)).await;
    assert_eq!(me.body["roles"], json!(["community_admin"]));

    let dup = app
        .post(
            "/admin/admins",
            Some(&platform),
            json!({ "username": "zhang.san", "password": "pass-word-2", "community_ids": [cid] }),
        )
        .await;
    assert_eq!((dup.status.as_u16(), dup.code()), (409, "USERNAME_TAKEN"));
    // The first account's password still works: nothing was overwritten.
    app.admin_login("zhang.san", "pass-word-1").await;
}

#[tokio::test]
async fn admin_creation_is_validated_and_reserved_to_platform_admins() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "甲").await;
    let r = app
        .post(
            "/admin/admins",
            Some(&platform),
            json!({ "username": "a b", "password": "short", "community_ids": [cid, 999] }),
        )
        .await;
    assert_eq!(r.status, 422);
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, vec!["community_ids", "password", "username"]);
    let empty = app
        .post(
            "/admin/admins",
            Some(&platform),
            json!({ "username": "abc", "password": "long-enough", "community_ids": [] }),
        )
        .await;
    assert_eq!(empty.fields(), vec!["community_ids"]);
    let bad_login = app
        .post(
            "/auth/admin/login",
            None,
            json!({ "username": "abc", "password": "long-enough" }),
        )
        .await;
    assert_eq!(bad_login.status, 401, "nothing was created");

    let community_admin = app.community_admin(&platform, &[cid]).await;
    let (resident, _, _) = app.resident("r").await;
    for token in [&community_admin, &resident] {
        let r = app
            .post(
                "/admin/admins",
                Some(token),
                json!({ "username": "sneaky", "password": "long-enough", "community_ids": [cid] }),
            )
            .await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    }
}

#[tokio::test]
async fn community_admins_appoint_grid_workers_only_in_their_communities() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (c1, g1, b1) = app.community_with_building(&platform, "甲").await;
    let (_, g2, b2) = app.community_with_building(&platform, "乙").await;
    let admin1 = app.community_admin(&platform, &[c1]).await;
    let (resident, resident_id, _) = app.resident("worker").await;
    // Grid workers come from the admin's directory: residents bound there.
    app.bind_building(&resident, b1).await;

    let other = app
        .post(
            "/admin/grid-workers",
            Some(&admin1),
            json!({ "user_id": resident_id, "grid_id": g2 }),
        )
        .await;
    assert_eq!((other.status.as_u16(), other.code()), (403, "FORBIDDEN"));
    assert_eq!(
        app.get("/me", Some(&resident)).await.body["roles"],
        json!(["resident"])
    );

    let ok = app
        .post(
            "/admin/grid-workers",
            Some(&admin1),
            json!({ "user_id": resident_id, "grid_id": g1 }),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    assert_eq!(
        ok.body,
        json!({ "user_id": resident_id, "grid_id": g1, "community_id": c1 })
    );
    assert_eq!(
        app.get("/me", Some(&resident)).await.body["roles"],
        json!(["grid_worker", "resident"])
    );

    let dup = app
        .post(
            "/admin/grid-workers",
            Some(&admin1),
            json!({ "user_id": resident_id, "grid_id": g1 }),
        )
        .await;
    assert_eq!((dup.status.as_u16(), dup.code()), (409, "ALREADY_EXISTS"));
    let no_user = app
        .post(
            "/admin/grid-workers",
            Some(&admin1),
            json!({ "user_id": 987654, "grid_id": g1 }),
        )
        .await;
    assert_eq!(
        (no_user.status.as_u16(), no_user.code()),
        (404, "USER_NOT_FOUND")
    );
    let no_grid = app
        .post(
            "/admin/grid-workers",
            Some(&admin1),
            json!({ "user_id": resident_id, "grid_id": 987654 }),
        )
        .await;
    assert_eq!(
        (no_grid.status.as_u16(), no_grid.code()),
        (404, "GRID_NOT_FOUND")
    );
    let by_resident = app
        .post(
            "/admin/grid-workers",
            Some(&resident),
            json!({ "user_id": resident_id, "grid_id": g1 }),
        )
        .await;
    assert_eq!(by_resident.status, 403);
    // A platform admin may appoint in any community, a resident bound there.
    let elsewhere = app
        .post(
            "/admin/grid-workers",
            Some(&platform),
            json!({ "user_id": resident_id, "grid_id": g2 }),
        )
        .await;
    assert_eq!(
        (elsewhere.status.as_u16(), elsewhere.code()),
        (422, "VALIDATION_FAILED")
    );
    let (neighbour, neighbour_id, _) = app.resident("worker2").await;
    app.bind_building(&neighbour, b2).await;
    let platform_ok = app
        .post(
            "/admin/grid-workers",
            Some(&platform),
            json!({ "user_id": neighbour_id, "grid_id": g2 }),
        )
        .await;
    assert_eq!(platform_ok.status, 201);
}
