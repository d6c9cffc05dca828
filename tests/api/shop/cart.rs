//! The cart: lines with the goods as they are now, flagged, never dropped.

use serde_json::json;

use super::shop;

#[tokio::test]
async fn cart_lines_add_up_change_and_go() {
    let s = shop().await;
    let app = &s.app;
    let me = Some(s.resident.as_str());
    let empty = app.get("/me/cart", me).await;
    assert_eq!(empty.status, 200, "{}", empty.text);
    assert_eq!(empty.body["lines"], json!([]));

    let r = app
        .post(
            "/me/cart",
            me,
            json!({ "goods_id": s.goods, "quantity": 2 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .post(
            "/me/cart",
            me,
            json!({ "goods_id": s.goods, "quantity": 3 }),
        )
        .await;
    let line = &r.body["lines"][0];
    assert_eq!(r.body["lines"].as_array().map(Vec::len), Some(1));
    assert_eq!(line["quantity"], 5, "a goods already there adds up");
    assert_eq!(line["name"], "赣南脐橙");
    assert_eq!(line["price"], "12.50");
    assert_eq!(line["unit"], "斤");
    assert_eq!(line["image"], "https://img.example/o.png");
    assert_eq!(line["stock"], 100);
    assert_eq!(line["merchant_name"], "shop-owner的店");
    assert_eq!(line["available"], true);
    assert_eq!(line["unavailable"], json!(null));

    let r = app
        .patch(
            &format!("/me/cart/{}", s.goods),
            me,
            json!({ "quantity": 7 }),
        )
        .await;
    assert_eq!(r.body["lines"][0]["quantity"], 7);
    for bad in [0, -1, 1000] {
        let r = app
            .patch(
                &format!("/me/cart/{}", s.goods),
                me,
                json!({ "quantity": bad }),
            )
            .await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "VALIDATION_FAILED"));
    }
    let r = app
        .patch("/me/cart/999999", me, json!({ "quantity": 1 }))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "GOODS_NOT_FOUND"));
    let r = app
        .post("/me/cart", me, json!({ "goods_id": 999999, "quantity": 1 }))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "GOODS_NOT_FOUND"));

    let r = app.delete(&format!("/me/cart/{}", s.goods), me).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["lines"], json!([]));
    // Another resident's cart is their own.
    let (other, _, _) = app.resident("other").await;
    assert_eq!(
        app.get("/me/cart", Some(&other)).await.body["lines"],
        json!([])
    );
    assert_eq!(app.get("/me/cart", None).await.status, 401);
}

#[tokio::test]
async fn stale_lines_are_flagged_with_their_reason() {
    let s = shop().await;
    let app = &s.app;
    let me = Some(s.resident.as_str());
    let shelved = s.goods_with(json!({ "name": "苹果" })).await;
    let scarce = s.goods_with(json!({ "name": "榴莲", "stock": 2 })).await;
    let gone = s.goods_with(json!({ "name": "香蕉" })).await;
    for (g, q) in [(s.goods, 1), (shelved, 1), (scarce, 2), (gone, 1)] {
        let r = app
            .post("/me/cart", me, json!({ "goods_id": g, "quantity": q }))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    // The price changes: the line shows today's price.
    let owner = Some(s.owner.as_str());
    let r = app
        .patch(
            &format!("/goods/{}", s.goods),
            owner,
            json!({ "price": "9.90" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .post(
            &format!("/goods/{shelved}/shelf"),
            owner,
            json!({ "on_shelf": false }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .patch(&format!("/me/cart/{scarce}"), me, json!({ "quantity": 3 }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.delete(&format!("/goods/{gone}"), owner).await.status,
        204
    );

    let cart = app.get("/me/cart", me).await;
    let lines = cart.body["lines"].as_array().cloned().unwrap_or_default();
    let reason = |g: i64| {
        lines
            .iter()
            .find(|l| l["goods_id"] == g)
            .map(|l| (l["available"].clone(), l["unavailable"].clone()))
    };
    assert_eq!(lines.len(), 4, "nothing silently dropped: {}", cart.text);
    assert_eq!(reason(s.goods), Some((json!(true), json!(null))));
    assert_eq!(lines[0]["price"], "9.90");
    assert_eq!(reason(shelved), Some((json!(false), json!("off_shelf"))));
    assert_eq!(reason(scarce), Some((json!(false), json!("stock_short"))));
    assert_eq!(reason(gone), Some((json!(false), json!("deleted"))));
    // Off-shelf goods cannot be added.
    let r = app
        .post(
            "/me/cart",
            me,
            json!({ "goods_id": shelved, "quantity": 1 }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "GOODS_UNAVAILABLE"));

    // The merchant is suspended: every line of it says so.
    let r = app
        .post(
            &format!("/admin/merchants/{}/suspend", s.merchant),
            Some(&s.platform),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let cart = app.get("/me/cart", me).await;
    assert_eq!(
        cart.body["lines"][0]["unavailable"], "merchant_suspended",
        "{}",
        cart.text
    );
}

#[tokio::test]
async fn a_merchant_not_serving_the_residents_community_is_flagged() {
    let s = shop().await;
    let app = &s.app;
    let (elsewhere, _, far_building) = app.community_with_building(&s.platform, "远方社区").await;
    let (far, _, _) = app.resident("far").await;
    app.bind_building(&far, far_building).await;
    let r = app
        .post(
            "/me/cart",
            Some(&far),
            json!({ "goods_id": s.goods, "quantity": 1 }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "NOT_SERVED_HERE"));
    // Added before moving away: flagged.
    let r = app
        .post(
            "/me/cart",
            Some(&s.resident),
            json!({ "goods_id": s.goods, "quantity": 1 }),
        )
        .await;
    assert_eq!(r.status, 200);
    app.bind_building(&s.resident, far_building).await;
    let cart = app.get("/me/cart", Some(&s.resident)).await;
    assert_eq!(
        cart.body["lines"][0]["unavailable"], "not_served",
        "{}",
        cart.text
    );
    let _ = elsewhere;
}

#[tokio::test]
async fn a_cart_holds_at_most_a_hundred_goods() {
    let s = shop().await;
    let app = &s.app;
    for i in 0..100 {
        let g = s.goods_with(json!({ "name": format!("商品{i}") })).await;
        let r = app
            .post(
                "/me/cart",
                Some(&s.resident),
                json!({ "goods_id": g, "quantity": 1 }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = app
        .post(
            "/me/cart",
            Some(&s.resident),
            json!({ "goods_id": s.goods, "quantity": 1 }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "CART_FULL"));
    assert_eq!(
        app.get("/me/cart", Some(&s.resident)).await.body["lines"]
            .as_array()
            .map(Vec::len),
        Some(100)
    );
}
