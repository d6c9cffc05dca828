//! What the other side of a shop order hears in its inbox: the shop (owner
//! and clerks) when a resident orders, the resident when the shop moves the
//! order on; and clerks work the shop order desk but not the goods.

use serde_json::{Value, json};

use super::shop;
use crate::support::TestApp;

async fn inbox(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app.get("/me/messages", Some(token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().cloned().unwrap_or_default()
}

async fn unread(app: &TestApp, token: &str) -> u64 {
    let r = app.get("/me/messages/unread-count", Some(token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["unread"].as_u64().unwrap_or(u64::MAX)
}

fn about(items: &[Value], order_no: &str) -> usize {
    items
        .iter()
        .filter(|m| m["target"]["order_no"] == order_no)
        .count()
}

#[tokio::test]
async fn the_shop_and_the_resident_hear_of_each_others_moves_in_their_inbox() {
    let s = shop().await;
    let app = &s.app;
    let (clerk, clerk_id, _) = app.resident("shop-clerk").await;
    let added = app
        .post(
            &format!("/merchants/{}/staff", s.merchant),
            Some(&s.owner),
            json!({ "user_id": clerk_id }),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);

    let no = s.pickup_order(&s.resident, 2).await;
    // Owner and clerk hear of the order once; the resident, who placed it, not.
    assert_eq!(about(&inbox(app, &s.owner).await, &no), 1);
    assert_eq!(about(&inbox(app, &clerk).await, &no), 1);
    assert_eq!(about(&inbox(app, &s.resident).await, &no), 0);
    assert_eq!(unread(app, &clerk).await, 1);

    // The clerk accepts and readies it at the desk; the resident hears of both.
    for step in ["accept", "ready"] {
        let r = app
            .post(
                &format!("/merchants/{}/orders/{no}/{step}", s.merchant),
                Some(&clerk),
                json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "{step}: {}", r.text);
    }
    let mine = inbox(app, &s.resident).await;
    assert_eq!(about(&mine, &no), 2, "{mine:?}");
    assert_eq!(unread(app, &s.resident).await, 2);
    // The shop's own moves are not echoed back to the shop.
    assert_eq!(about(&inbox(app, &s.owner).await, &no), 1);

    // A clerk edits no goods: refused, and the goods unchanged.
    let r = app
        .patch(
            &format!("/goods/{}", s.goods),
            Some(&clerk),
            json!({ "price": "0.01" }),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let goods = app.get(&format!("/goods/{}", s.goods), None).await;
    assert_eq!(goods.body["price"], "12.50", "{}", goods.text);
}

#[tokio::test]
async fn the_owner_and_the_clerks_hear_of_each_new_campaign_order() {
    let app = super::quiet_app().await;
    let m = crate::group_buys::market(&app, 50).await;
    let (clerk, clerk_id, _) = app.resident("gb-clerk").await;
    let added = app
        .post(
            &format!("/merchants/{}/staff", m.merchant_id),
            Some(&m.owner),
            json!({ "user_id": clerk_id }),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let id = crate::group_buys::open_campaign(&app, &m, 10, 1, 5).await;
    let buyer = crate::group_buys::neighbour(&app, &m, "gb-buyer").await;
    let r = app
        .post(
            &format!("/group-buys/{id}/orders"),
            Some(&buyer),
            json!({ "quantity": 2 }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let no = r.body["order_no"].as_str().unwrap_or_default().to_owned();
    for token in [&m.owner, &clerk] {
        let items = inbox(&app, token).await;
        assert_eq!(about(&items, &no), 1, "{items:?}");
        assert_eq!(items[0]["kind"], "order_placed", "{items:?}");
    }
    assert_eq!(about(&inbox(&app, &buyer).await, &no), 0);
}
