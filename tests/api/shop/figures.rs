//! The merchant's own figures: orders, revenue, refunds, by day, top goods.

use serde_json::json;

use super::shop;

#[tokio::test]
async fn the_merchant_sees_its_orders_revenue_refunds_and_top_goods() {
    let s = shop().await;
    let app = &s.app;
    let pear = s
        .goods_with(json!({ "name": "雪梨", "price": "2.00" }))
        .await;
    let done = s.pickup_order(&s.resident, 3).await;
    let r = s
        .checkout(
            &s.resident,
            json!({ "lines": [{ "goods_id": pear, "quantity": 5 }], "fulfilment": "pickup" }),
            None,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let declined = s.pickup_order(&s.resident, 1).await;
    let r = app
        .post(
            &format!("/merchants/{}/orders/{declined}/decline", s.merchant),
            Some(&s.owner),
            json!({ "reason": "缺货" }),
        )
        .await;
    assert_eq!(r.status, 200);
    s.step(&done, "accept").await;
    s.step(&done, "ready").await;
    let code = s.order(&done).await["pickup_code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let r = app
        .post(
            &format!("/merchants/{}/pickups", s.merchant),
            Some(&s.owner),
            json!({ "pickup_code": code }),
        )
        .await;
    assert_eq!(r.body["status"], "completed", "{}", r.text);

    let path = format!("/merchants/{}/stats", s.merchant);
    let figures = app.get(&path, Some(&s.owner)).await;
    assert_eq!(figures.status, 200, "{}", figures.text);
    let f = &figures.body;
    assert_eq!(f["orders"], 2, "the declined one is not counted: {f}");
    assert_eq!(f["revenue"], "37.50", "only what was handed over");
    assert_eq!(f["refunds"], 0, "offline: declined, nothing to refund");
    assert_eq!(f["days"].as_array().map(Vec::len), Some(30));
    assert_eq!(f["days"][29]["orders"], 2);
    assert_eq!(
        f["top_goods"][0],
        json!({ "goods_id": pear, "name": "雪梨", "quantity": 5 })
    );
    assert_eq!(f["top_goods"][1]["quantity"], 3);

    // A reversed range covers no day; a longer one than 366 days is cut to
    // its first 366 (nothing sold then).
    let r = app
        .get(
            &format!("{path}?from=2026-12-10&to=2026-12-01"),
            Some(&s.owner),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["days"].as_array().unwrap().len(), 0, "{}", r.text);
    assert_eq!(r.body["top_goods"].as_array().unwrap().len(), 0);
    let r = app
        .get(
            &format!("{path}?from=2024-01-01&to=2026-12-01"),
            Some(&s.owner),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["days"].as_array().unwrap().len(), 366);
    assert_eq!(r.body["days"][0]["date"], "2024-01-01");
    assert_eq!(r.body["days"][365]["date"], "2024-12-31");
    assert_eq!(r.body["top_goods"].as_array().unwrap().len(), 0);
    let r = app
        .get(&format!("{path}?from=yesterday"), Some(&s.owner))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "INVALID_QUERY"));
    let (stranger, _, _) = app.resident("curious").await;
    let r = app.get(&path, Some(&stranger)).await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
}
