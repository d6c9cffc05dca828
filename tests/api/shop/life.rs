//! A shop order's life: accept, ready with a pickup code or deliver,
//! complete; decline and cancel give stock back; the clock expires unpaid
//! orders and completes deliveries; illegal steps are 409.

use entity::{order_notification, refund};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::{Shop, shop};
use crate::fake_wechatpay::FakeWechatPay;
use crate::support::spawn_app_with;

async fn notices_to(s: &Shop, user_id: i64) -> Vec<String> {
    order_notification::Entity::find()
        .filter(order_notification::Column::UserId.eq(user_id))
        .all(&s.app.db)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|n| format!("{:?}", n.status))
        .collect()
}

#[tokio::test]
async fn a_pickup_order_is_accepted_readied_and_handed_over_at_the_one_counter() {
    let s = shop().await;
    let app = &s.app;
    let no = s.pickup_order(&s.resident, 3).await;
    let r = s.step(&no, "ready").await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "INVALID_TRANSITION"),
        "not accepted yet"
    );
    let r = s.step(&no, "accept").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "accepted");
    let r = s.step(&no, "accept").await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "INVALID_TRANSITION"),
        "once"
    );
    let r = s.step(&no, "deliver").await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "INVALID_TRANSITION"),
        "a pickup order is not delivered"
    );
    let r = app
        .post(
            &format!("/orders/{no}/cancel"),
            Some(&s.resident),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "INVALID_TRANSITION"),
        "accepted: too late to cancel"
    );
    let r = s.step(&no, "ready").await;
    assert_eq!(r.body["status"], "ready_for_pickup");
    assert_eq!(
        r.body["pickup_code"],
        json!(null),
        "the merchant does not see the code"
    );
    let mine = s.order(&no).await;
    let code = mine["pickup_code"].as_str().unwrap_or_default().to_owned();
    assert_eq!(code.len(), 8, "{mine}");

    let desk = format!("/merchants/{}/pickups", s.merchant);
    let look = app.get(&format!("{desk}/{code}"), Some(&s.owner)).await;
    assert_eq!(look.status, 200, "{}", look.text);
    assert_eq!(look.body["order_no"], no.as_str());
    assert_eq!(look.body["lines"][0]["name"], "赣南脐橙");
    assert_eq!(look.body["pickup_address"], "人民路8号");
    assert_eq!(s.stock_and_sales(s.goods).await, (97, 0));
    let r = app
        .post(&desk, Some(&s.owner), json!({ "pickup_code": code }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "completed");
    assert_eq!(
        s.stock_and_sales(s.goods).await,
        (97, 3),
        "sales grow on completion"
    );
    let r = app
        .post(&desk, Some(&s.owner), json!({ "pickup_code": code }))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "PICKUP_CODE_INVALID"),
        "used once"
    );
    let notices = notices_to(&s, s.resident_id).await;
    for status in ["Accepted", "ReadyForPickup", "Completed"] {
        assert!(notices.contains(&status.to_owned()), "{notices:?}");
    }
}

#[tokio::test]
async fn a_delivery_goes_out_and_completes_by_hand_or_by_the_clock() {
    let s = shop().await;
    let app = &s.app;
    s.deliver_with("0", "2.00").await;
    let body =
        json!({ "lines": [{ "goods_id": s.goods, "quantity": 1 }], "fulfilment": "delivery" });
    let mut orders = Vec::new();
    for _ in 0..2 {
        let r = s.checkout(&s.resident, body.clone(), None).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let no = r.body["order_no"].as_str().unwrap_or_default().to_owned();
        assert_eq!(s.step(&no, "accept").await.status, 200);
        let r = s.step(&no, "ready").await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (409, "INVALID_TRANSITION"),
            "a delivery is not picked up"
        );
        let r = s.step(&no, "deliver").await;
        assert_eq!(r.body["status"], "delivering", "{}", r.text);
        orders.push(no);
    }
    let r = app
        .post(
            &format!("/orders/{}/received", orders[0]),
            Some(&s.resident),
            json!({}),
        )
        .await;
    assert_eq!(r.body["status"], "completed", "{}", r.text);
    let r = app
        .post(
            &format!("/orders/{}/received", orders[0]),
            Some(&s.resident),
            json!({}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "INVALID_TRANSITION"));

    // Nobody confirms the second: the clock completes it after 48 h.
    let clock = &app.state.clock;
    clock.set(yizhan::time::now() + chrono::Duration::hours(47));
    let swept = yizhan::shop::sweep::run(&app.state).await.expect("sweep");
    assert_eq!(swept.completed, 0);
    clock.advance(chrono::Duration::hours(2));
    let swept = yizhan::shop::sweep::run(&app.state).await.expect("sweep");
    assert_eq!(swept.completed, 1);
    assert_eq!(s.order(&orders[1]).await["status"], "completed");
    assert_eq!(s.stock_and_sales(s.goods).await, (98, 2));
}

#[tokio::test]
async fn declined_and_cancelled_orders_give_their_stock_back() {
    let s = shop().await;
    let app = &s.app;
    let declined = s.pickup_order(&s.resident, 4).await;
    let cancelled = s.pickup_order(&s.resident, 5).await;
    assert_eq!(s.stock_and_sales(s.goods).await.0, 91);

    let path = format!("/merchants/{}/orders/{declined}/decline", s.merchant);
    let r = app
        .post(&path, Some(&s.owner), json!({ "reason": " " }))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "VALIDATION_FAILED"));
    let (stranger, _, _) = app.resident("stranger").await;
    let r = app
        .post(&path, Some(&stranger), json!({ "reason": "卖完了" }))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    let r = app
        .post(&path, Some(&s.owner), json!({ "reason": "今日售罄" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "cancelled", "offline: nothing to refund");
    assert_eq!(r.body["decline_reason"], "今日售罄");
    let r = app
        .post(&path, Some(&s.owner), json!({ "reason": "今日售罄" }))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "INVALID_TRANSITION"));
    assert!(
        notices_to(&s, s.resident_id)
            .await
            .contains(&"Cancelled".to_owned())
    );

    let r = app
        .post(
            &format!("/orders/{cancelled}/cancel"),
            Some(&stranger),
            json!({}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "ORDER_NOT_FOUND"));
    let r = app
        .post(
            &format!("/orders/{cancelled}/cancel"),
            Some(&s.resident),
            json!({}),
        )
        .await;
    assert_eq!(r.body["status"], "cancelled", "{}", r.text);
    let r = s.step(&cancelled, "accept").await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "INVALID_TRANSITION"),
        "a cancelled order stays so"
    );
    assert_eq!(s.stock_and_sales(s.goods).await, (100, 0));
    let r = s.step("NOSUCHORDER", "accept").await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "ORDER_NOT_FOUND"));
}

#[tokio::test]
async fn unpaid_orders_expire_and_paid_declined_ones_are_refunded() {
    let fake = FakeWechatPay::start().await;
    let app = spawn_app_with(|s| {
        fake.configure(s);
        s.jobs.sweep_interval_ms = 3_600_000;
        s.jobs.payment_sweep_interval_ms = 3_600_000;
        s.rate_limit.login_per_minute = 100_000;
    })
    .await;
    let platform = app.platform_admin().await;
    let (community, _, _) = app.community_with_building(&platform, "支付社区").await;
    let (merchant, owner) = app
        .approved_merchant(&platform, &[community], "pay-shop")
        .await;
    let goods = app
        .create_goods(&owner, merchant, json!({ "stock": 10 }))
        .await["id"]
        .as_i64()
        .unwrap_or_default();
    let (buyer, _, _) = app.resident("payer").await;
    let place = |q: i64| {
        let req = app
            .client
            .post(app.url("/orders"))
            .bearer_auth(&buyer)
            .json(
                &json!({ "lines": [{ "goods_id": goods, "quantity": q }], "fulfilment": "pickup" }),
            );
        app.send(req)
    };
    let unpaid = place(3).await;
    assert_eq!(unpaid.body["status"], "pending_payment", "{}", unpaid.text);
    let paid = place(2).await;
    let paid_no = paid.body["order_no"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let r = app
        .post(
            &format!("/orders/{paid_no}/pay"),
            Some(&buyer),
            json!({ "provider": "wechat" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let notify = fake.pay(&paid_no);
    let r = notify
        .post(&app.client, &app.url("/payments/wechat/notify"))
        .await;
    assert!(r.status().is_success());
    let stock = || async { app.get(&format!("/goods/{goods}"), None).await.body["stock"].clone() };
    assert_eq!(stock().await, 5);

    let r = app
        .post(
            &format!("/merchants/{merchant}/orders/{paid_no}/decline"),
            Some(&owner),
            json!({ "reason": "打烊了" }),
        )
        .await;
    assert_eq!(r.body["status"], "refunding", "{}", r.text);
    let refunds = refund::Entity::find()
        .filter(refund::Column::OutTradeNo.eq(paid_no.as_str()))
        .all(&app.db)
        .await
        .unwrap_or_default();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].amount_fen, 2500);
    assert_eq!(stock().await, 7);

    // 15 minutes later the unpaid one expires on the sweep, its stock back.
    app.state
        .clock
        .set(yizhan::time::now() + chrono::Duration::minutes(16));
    let swept = yizhan::shop::sweep::run(&app.state).await.expect("sweep");
    assert_eq!(swept.expired, 1);
    let no = unpaid.body["order_no"].as_str().unwrap_or_default();
    assert_eq!(
        app.get(&format!("/orders/{no}"), Some(&buyer)).await.body["status"],
        "expired"
    );
    assert_eq!(stock().await, 10);
}
