//! Audited building bindings: a community's `binding_requires_approval`,
//! pending residents left out of notices, approval by the grid's worker or
//! the community's admin, rejection unbinding, and scoping.

use reqwest::Method;
use serde_json::json;

use crate::inbox::town;

#[tokio::test]
async fn bindings_wait_for_the_grid_or_the_admin_and_pending_residents_get_no_notice() {
    let t = town().await;
    let app = &t.app;
    let (other, _, other_building) = app.community_with_building(&t.platform, "乙社区").await;
    let other_admin = app.community_admin(&t.platform, &[other]).await;
    let (worker, worker_id, _) = app.resident("b-worker").await;
    // A grid worker is a resident of the community (hardening finding 4).
    app.bind_building(&worker, t.b2).await;
    let r = app
        .post(
            "/admin/grid-workers",
            Some(&t.admin),
            json!({ "user_id": worker_id, "grid_id": t.grid }),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let rule = |on: bool| json!({ "binding_requires_approval": on });
    let path = format!("/admin/communities/{}/binding-approval", t.community);

    let (approved, _) = t.living_in("b-second", t.b2).await;
    // Only the community's admins set the rule.
    let (resident, resident_id, _) = app.resident("b-resident").await;
    for stranger in [&other_admin, &resident] {
        let r = app
            .call(Method::PUT, &path, Some(stranger), Some(rule(true)))
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
    }
    let r = app
        .call(Method::PUT, &path, Some(&t.admin), Some(rule(true)))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["binding_requires_approval"], true);
    // Another community's bindings are unaffected.
    let (visitor, _, _) = app.resident("b-visitor").await;
    app.bind_building(&visitor, other_building).await;
    assert_eq!(
        app.get("/me", Some(&visitor)).await.body["binding_pending"],
        false
    );

    app.bind_building(&resident, t.b1).await;
    assert_eq!(
        app.get("/me", Some(&resident)).await.body["binding_pending"],
        true
    );

    // A notice now: the pending resident is not in its audience.
    let notice = t.notice(&[], None).await;
    let r = app
        .call(
            Method::POST,
            &format!("/admin/notices/{notice}/publish"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let unread = |token: String| async move {
        app.get("/me/messages/unread-count", Some(&token))
            .await
            .body["unread"]
            .clone()
    };
    assert_eq!(unread(resident.clone()).await, 0, "pending: no notice item");
    let d = app
        .get(&format!("/admin/notices/{notice}"), Some(&t.admin))
        .await;
    // The grid worker and b-second, both bound before the rule.
    assert_eq!(d.body["audience"], 2, "bound before the rule: {}", d.text);
    assert_eq!(unread(approved.clone()).await, 1);

    // The grid worker and the admin see it; the other community's admin does not.
    for token in [&worker, &t.admin] {
        let r = app.get("/bindings/pending", Some(token)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let ids: Vec<i64> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["user_id"].as_i64().unwrap())
            .collect();
        assert!(ids.contains(&resident_id), "{}", r.text);
        assert_eq!(r.body["items"][0]["building_id"], t.b1);
    }
    let r = app.get("/bindings/pending", Some(&other_admin)).await;
    assert_eq!(r.body["total"], 0, "{}", r.text);
    let r = app.get("/bindings/pending", Some(&approved)).await;
    assert_eq!(r.status, 403);
    let r = app
        .post(
            &format!("/bindings/{resident_id}/approve"),
            Some(&other_admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(
        app.get("/me", Some(&resident)).await.body["binding_pending"],
        true
    );

    // The grid worker approves, once.
    let r = app
        .post(
            &format!("/bindings/{resident_id}/approve"),
            Some(&worker),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({ "user_id": resident_id, "building_id": t.b1, "approved": true })
    );
    let again = app
        .post(
            &format!("/bindings/{resident_id}/reject"),
            Some(&t.admin),
            json!({}),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.code(), "INVALID_TRANSITION");
    let me = app.get("/me", Some(&resident)).await.body;
    assert_eq!(
        (me["binding_pending"].clone(), me["building_id"].clone()),
        (json!(false), json!(t.b1))
    );
    assert_eq!(unread(resident.clone()).await, 1);
    let item = &app.get("/me/messages", Some(&resident)).await.body["items"][0];
    assert_eq!(item["kind"], "binding");
    assert_eq!(item["target"]["approved"], true);

    // The admin rejects another: unbound.
    let (moving, moving_id, _) = app.resident("b-moving").await;
    app.bind_building(&moving, t.b2).await;
    let r = app
        .post(
            &format!("/bindings/{moving_id}/reject"),
            Some(&t.admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let me = app.get("/me", Some(&moving)).await.body;
    assert!(me["building_id"].is_null(), "{me}");
    assert_eq!(me["binding_pending"], false);

    // Turning the rule off approves whoever still waits.
    app.bind_building(&moving, t.b2).await;
    assert_eq!(
        app.get("/me", Some(&moving)).await.body["binding_pending"],
        true
    );
    let r = app
        .call(Method::PUT, &path, Some(&t.admin), Some(rule(false)))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.get("/me", Some(&moving)).await.body["binding_pending"],
        false
    );
}
