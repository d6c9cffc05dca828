//! Checkout: one merchant per order, priced by the server, stock taken by
//! conditional updates that never let it below zero.

use futures_util::future::join_all;
use serde_json::json;

use super::{quiet_app, shop};

#[tokio::test]
async fn a_pickup_order_snapshots_its_lines_and_takes_the_stock() {
    let s = shop().await;
    let app = &s.app;
    let pear = s
        .goods_with(json!({ "name": "雪梨", "price": "3.20", "unit": "个", "stock": 5 }))
        .await;
    let r = app
        .post(
            "/me/cart",
            Some(&s.resident),
            json!({ "goods_id": pear, "quantity": 1 }),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = s
        .checkout(
            &s.resident,
            json!({ "lines": [{ "goods_id": s.goods, "quantity": 2 }, { "goods_id": pear, "quantity": 3 }],
                    "fulfilment": "pickup", "note": "  少要袋子 ", "amount": "0.01" }),
            None,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let o = &r.body;
    assert_eq!(o["kind"], "shop");
    assert_eq!(o["status"], "placed", "offline: placed at once");
    assert_eq!(o["amount"], "34.60", "2 × 12.50 + 3 × 3.20, by the server");
    assert_eq!(o["delivery_fee"], "0.00");
    assert_eq!(o["fulfilment"], "pickup");
    assert_eq!(o["note"], "少要袋子");
    assert_eq!(o["group_buy_id"], json!(null));
    assert_eq!(o["pickup_code"], json!(null), "no code until it is ready");
    let line_id = o["lines"][1]["id"].as_i64().unwrap_or_default();
    assert!(line_id > 0, "{o}");
    assert_eq!(
        o["lines"][1],
        json!({ "id": line_id, "goods_id": pear, "name": "雪梨", "unit": "个", "price": "3.20",
        "image": "https://img.example/o.png", "quantity": 3, "amount": "9.60" })
    );
    assert_eq!(s.stock_and_sales(s.goods).await, (98, 0));
    assert_eq!(s.stock_and_sales(pear).await, (2, 0));
    assert_eq!(
        app.get("/me/cart", Some(&s.resident)).await.body["lines"],
        json!([]),
        "ordered lines leave the cart"
    );

    // Later edits of the goods never change the order.
    let r = app
        .patch(
            &format!("/goods/{pear}"),
            Some(&s.owner),
            json!({ "name": "鸭梨", "price": "9.00" }),
        )
        .await;
    assert_eq!(r.status, 200);
    let no = o["order_no"].as_str().unwrap_or_default();
    let again = s.order(no).await;
    assert_eq!(again["lines"][1]["name"], "雪梨");
    assert_eq!(again["amount"], "34.60");
}

#[tokio::test]
async fn bad_checkouts_are_refused_with_their_reason() {
    let s = shop().await;
    let app = &s.app;
    let me = &s.resident;
    let body = |lines: serde_json::Value, f: &str| json!({ "lines": lines, "fulfilment": f });
    let cases = [
        (body(json!([]), "pickup"), 422, "VALIDATION_FAILED"),
        (
            body(json!([{ "goods_id": s.goods, "quantity": 0 }]), "pickup"),
            422,
            "VALIDATION_FAILED",
        ),
        (
            body(
                json!([{ "goods_id": s.goods, "quantity": 1 }, { "goods_id": s.goods, "quantity": 1 }]),
                "pickup",
            ),
            422,
            "VALIDATION_FAILED",
        ),
        (
            body(json!([{ "goods_id": s.goods, "quantity": 1 }]), "teleport"),
            422,
            "VALIDATION_FAILED",
        ),
        (
            body(json!([{ "goods_id": 999999, "quantity": 1 }]), "pickup"),
            409,
            "GOODS_UNAVAILABLE",
        ),
        (
            body(json!([{ "goods_id": s.goods, "quantity": 101 }]), "pickup"),
            409,
            "INSUFFICIENT_STOCK",
        ),
        (
            body(json!([{ "goods_id": s.goods, "quantity": 1 }]), "delivery"),
            409,
            "DELIVERY_UNAVAILABLE",
        ),
    ];
    for (b, status, code) in cases {
        let r = s.checkout(me, b.clone(), None).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (status, code),
            "{b} → {}",
            r.text
        );
    }
    let r = s.checkout(me, json!({ "lines": [{ "goods_id": s.goods, "quantity": 1 }], "fulfilment": "pickup", "note": "长".repeat(201) }), None).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "VALIDATION_FAILED"));
    assert_eq!(app.post("/orders", None, json!({})).await.status, 401);

    // Goods of two merchants make two orders, not one.
    let (other_shop, other_owner) = app
        .approved_merchant(&s.platform, &[s.community], "other-owner")
        .await;
    let theirs = app.create_goods(&other_owner, other_shop, json!({})).await["id"]
        .as_i64()
        .unwrap_or_default();
    let r = s.checkout(me, body(json!([{ "goods_id": s.goods, "quantity": 1 }, { "goods_id": theirs, "quantity": 1 }]), "pickup"), None).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "VALIDATION_FAILED"),
        "{}",
        r.text
    );
    assert_eq!(r.fields(), vec!["lines"]);

    // A short line is named; nothing is taken.
    let scarce = s.goods_with(json!({ "name": "榴莲", "stock": 1 })).await;
    let r = s.checkout(me, body(json!([{ "goods_id": s.goods, "quantity": 1 }, { "goods_id": scarce, "quantity": 2 }]), "pickup"), None).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "INSUFFICIENT_STOCK"));
    assert_eq!(
        r.body["error"]["details"]["lines"],
        json!([{ "goods_id": scarce, "name": "榴莲", "quantity": 2 }]),
        "{}",
        r.text
    );
    assert_eq!(
        s.stock_and_sales(s.goods).await.0,
        100,
        "rolled back with the short line"
    );

    // Off shelf at checkout: named with its reason.
    app.post(
        &format!("/goods/{scarce}/shelf"),
        Some(&s.owner),
        json!({ "on_shelf": false }),
    )
    .await;
    let r = s
        .checkout(
            me,
            body(json!([{ "goods_id": scarce, "quantity": 1 }]), "pickup"),
            None,
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "GOODS_UNAVAILABLE"));
    assert_eq!(
        r.body["error"]["details"]["lines"],
        json!([{ "goods_id": scarce, "reason": "off_shelf" }])
    );
}

#[tokio::test]
async fn delivery_needs_the_merchants_terms_and_the_residents_room() {
    let s = shop().await;
    let app = &s.app;
    s.deliver_with("30.00", "5.00").await;
    let one =
        json!({ "lines": [{ "goods_id": s.goods, "quantity": 2 }], "fulfilment": "delivery" });
    let r = s.checkout(&s.resident, one, None).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "BELOW_MINIMUM_ORDER"),
        "25.00 < 30.00"
    );
    assert_eq!(r.body["error"]["details"]["min_order"], "30.00");

    let (roomless, _, _) = app.resident("roomless").await;
    let three =
        json!({ "lines": [{ "goods_id": s.goods, "quantity": 3 }], "fulfilment": "delivery" });
    let r = s.checkout(&roomless, three.clone(), None).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "ADDRESS_REQUIRED"));

    let r = s.checkout(&s.resident, three, None).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["amount"], "42.50", "3 × 12.50 + 5.00 delivery");
    assert_eq!(r.body["delivery_fee"], "5.00");
    assert_eq!(r.body["delivery_address"], "幸福社区1号楼101");

    let r = app
        .patch(
            &format!("/merchants/{}", s.merchant),
            Some(&s.owner),
            json!({ "min_order": "-1", "delivery_fee": "1000" }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "VALIDATION_FAILED"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn a_retried_checkout_answers_the_first_order_again() {
    let s = shop().await;
    let body = json!({ "lines": [{ "goods_id": s.goods, "quantity": 4 }], "fulfilment": "pickup" });
    let first = s
        .checkout(&s.resident, body.clone(), Some("checkout-1"))
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = s
        .checkout(&s.resident, body.clone(), Some("checkout-1"))
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body, "the same order, not a second");
    assert_eq!(s.stock_and_sales(s.goods).await.0, 96, "stock taken once");
    let other = s
        .checkout(
            &s.resident,
            json!({ "lines": [{ "goods_id": s.goods, "quantity": 5 }], "fulfilment": "pickup" }),
            Some("checkout-1"),
        )
        .await;
    assert_eq!(
        (other.status.as_u16(), other.code()),
        (422, "IDEMPOTENCY_KEY_REUSED")
    );
    let list = s.app.get("/me/orders?kind=shop", Some(&s.resident)).await;
    assert_eq!(list.body["total"], 1);
}

#[tokio::test]
async fn a_hundred_residents_racing_for_ten_units_buy_exactly_ten() {
    let app = quiet_app().await;
    let platform = app.platform_admin().await;
    let (community, _, _) = app.community_with_building(&platform, "抢购社区").await;
    let (merchant, owner) = app
        .approved_merchant(&platform, &[community], "hot-shop")
        .await;
    let goods = app
        .create_goods(&owner, merchant, json!({ "stock": 10 }))
        .await["id"]
        .as_i64()
        .unwrap_or_default();
    let mut buyers = Vec::new();
    for i in 0..100 {
        buyers.push(app.resident(&format!("racer{i}")).await.0);
    }
    let replies = join_all(buyers.iter().map(|token| {
        let app = &app;
        async move {
            let req = app.client.post(app.url("/orders")).bearer_auth(token).json(
                &json!({ "lines": [{ "goods_id": goods, "quantity": 1 }], "fulfilment": "pickup" }),
            );
            app.send(req).await
        }
    }))
    .await;
    let sold = replies.iter().filter(|r| r.status == 201).count();
    let short = replies
        .iter()
        .filter(|r| r.code() == "INSUFFICIENT_STOCK")
        .count();
    assert_eq!(
        (sold, short),
        (10, 90),
        "{:?}",
        replies
            .iter()
            .filter(|r| r.status != 201 && r.code() != "INSUFFICIENT_STOCK")
            .map(|r| &r.text)
            .collect::<Vec<_>>()
    );
    let g = app.get(&format!("/goods/{goods}"), None).await;
    assert_eq!(g.body["stock"], 0, "never below zero");
    let desk = app
        .get(
            &format!("/merchants/{merchant}/orders?kind=shop&page_size=100"),
            Some(&owner),
        )
        .await;
    assert_eq!(desk.body["total"], 10);
}
