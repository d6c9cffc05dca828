//! The 爱心超市: stocking, redemption with a key, pickup, cancellation.

use serde_json::json;

use super::town;

#[tokio::test]
async fn a_redemption_takes_points_and_stock_and_is_picked_up_once_with_its_code() {
    let t = town().await;
    let app = &t.app;
    let item = t.item(50, 3).await;
    let shelf = app
        .get(&format!("/communities/{}/shelf", t.community), None)
        .await;
    assert_eq!(shelf.status, 200);
    assert_eq!(shelf.body["items"][0]["price_points"], 50);

    let poor = app
        .post(
            &format!("/shelf/items/{item}/redeem"),
            Some(&t.resident),
            json!({}),
        )
        .await;
    assert_eq!(
        (poor.status.as_u16(), poor.code()),
        (409, "INSUFFICIENT_POINTS")
    );
    t.give(t.resident_id, 120).await;
    let send = |key: &str, qty: i64| {
        app.send(
            app.client
                .post(app.url(&format!("/shelf/items/{item}/redeem")))
                .bearer_auth(&t.resident)
                .header("Idempotency-Key", key)
                .json(&json!({ "quantity": qty })),
        )
    };
    let first = send("redeem-1", 2).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["points"], 100);
    assert_eq!(first.body["status"], "awaiting_pickup");
    let code = first.body["pickup_code"].as_str().expect("code").to_owned();
    let replay = send("redeem-1", 2).await;
    assert_eq!(
        (replay.status.as_u16(), replay.body.clone()),
        (201, first.body.clone())
    );
    let reused = send("redeem-1", 1).await;
    assert_eq!(reused.code(), "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(t.balance(&t.resident).await, 20);
    let over = send("redeem-2", 11).await;
    assert_eq!(
        (over.status.as_u16(), over.fields()),
        (422, vec!["quantity".to_owned()])
    );
    let no_stock = send("redeem-3", 2).await;
    assert_eq!(
        (no_stock.status.as_u16(), no_stock.code()),
        (409, "INSUFFICIENT_STOCK")
    );

    let (oc, _, _) = app.community_with_building(&t.platform, "别处").await;
    let elsewhere = app.community_admin(&t.platform, &[oc]).await;
    let foreign = app
        .post(
            "/admin/shelf/pickups",
            Some(&elsewhere),
            json!({ "pickup_code": code }),
        )
        .await;
    assert_eq!(
        (foreign.status.as_u16(), foreign.code()),
        (409, "PICKUP_CODE_INVALID")
    );
    let wrong = app
        .post(
            "/admin/shelf/pickups",
            Some(&t.admin),
            json!({ "pickup_code": "00000000x" }),
        )
        .await;
    assert_eq!(wrong.code(), "PICKUP_CODE_INVALID");
    let by_resident = app
        .post(
            "/admin/shelf/pickups",
            Some(&t.resident),
            json!({ "pickup_code": code }),
        )
        .await;
    assert_eq!(by_resident.status, 403);
    let picked = app
        .post(
            "/admin/shelf/pickups",
            Some(&t.admin),
            json!({ "pickup_code": code }),
        )
        .await;
    assert_eq!(picked.status, 200, "{}", picked.text);
    assert_eq!(picked.body["status"], "picked_up");
    let twice = app
        .post(
            "/admin/shelf/pickups",
            Some(&t.admin),
            json!({ "pickup_code": code }),
        )
        .await;
    assert_eq!(twice.code(), "PICKUP_CODE_INVALID");
    let late = app
        .post(
            &format!("/me/redemptions/{}/cancel", first.body["id"]),
            Some(&t.resident),
            json!({}),
        )
        .await;
    assert_eq!(
        (late.status.as_u16(), late.code()),
        (409, "INVALID_TRANSITION")
    );
    let mine = app.get("/me/redemptions", Some(&t.resident)).await;
    assert_eq!(mine.body["total"], 1);
    assert_eq!(mine.body["items"][0]["pickup_code"], json!(null));
}

#[tokio::test]
async fn cancelling_before_pickup_returns_points_and_stock_once() {
    let t = town().await;
    let app = &t.app;
    let item = t.item(30, 1).await;
    t.give(t.resident_id, 30).await;
    let red = app
        .post(
            &format!("/shelf/items/{item}/redeem"),
            Some(&t.resident),
            json!({}),
        )
        .await;
    assert_eq!(red.status, 201, "{}", red.text);
    assert_eq!(t.balance(&t.resident).await, 0);
    let path = format!("/me/redemptions/{}/cancel", red.body["id"]);
    let (other, _) = t.neighbour("not-mine").await;
    let foreign = app.post(&path, Some(&other), json!({})).await;
    assert_eq!(
        (foreign.status.as_u16(), foreign.code()),
        (404, "REDEMPTION_NOT_FOUND")
    );
    let ok = app.post(&path, Some(&t.resident), json!({})).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["status"], "cancelled");
    let again = app.post(&path, Some(&t.resident), json!({})).await;
    assert_eq!(again.code(), "INVALID_TRANSITION");
    assert_eq!(t.balance(&t.resident).await, 30);
    let ledger = t.ledger(&t.resident).await;
    assert_eq!(ledger[0]["kind"], "reverse");
    assert_eq!(ledger[0]["points"], 30);
    assert_eq!(ledger[0]["undoes_id"], ledger[1]["id"]);
    let code = red.body["pickup_code"].as_str().unwrap();
    let dead = app
        .post(
            "/admin/shelf/pickups",
            Some(&t.admin),
            json!({ "pickup_code": code }),
        )
        .await;
    assert_eq!(dead.code(), "PICKUP_CODE_INVALID");
    let items = app
        .get(
            &format!("/admin/shelf/items?community_id={}", t.community),
            Some(&t.admin),
        )
        .await;
    assert_eq!(items.body["items"][0]["stock"], 1);

    // Stocking is the community admin's, each bad field named.
    let bad = app
        .post("/admin/shelf/items", Some(&t.admin), json!({ "community_id": t.community, "name": "", "price_points": 0, "stock": -1, "images": ["http://x"] }))
        .await;
    let mut fields = bad.fields();
    fields.sort();
    assert_eq!(fields, ["images[0]", "name", "price_points", "stock"]);
    let by_resident = app
        .post(
            "/admin/shelf/items",
            Some(&t.resident),
            json!({ "community_id": t.community, "name": "x", "price_points": 1, "stock": 1 }),
        )
        .await;
    assert_eq!(by_resident.status, 403);
    let off = app
        .patch(
            &format!("/admin/shelf/items/{item}"),
            Some(&t.admin),
            json!({ "on_shelf": false }),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.text);
    let shelf = app
        .get(&format!("/communities/{}/shelf", t.community), None)
        .await;
    assert_eq!(shelf.body["total"], 0);
    let gone = app
        .delete(&format!("/admin/shelf/items/{item}"), Some(&t.admin))
        .await;
    assert_eq!(gone.status, 204);
    let redeem_gone = app
        .post(
            &format!("/shelf/items/{item}/redeem"),
            Some(&t.resident),
            json!({}),
        )
        .await;
    assert_eq!(redeem_gone.code(), "SHELF_ITEM_NOT_FOUND");
}
