//! After-sales refunds of WeChat-paid orders go through WeChat Pay's refund
//! path: each its own out_refund_no and amount, several per payment whose
//! sum never exceeds it; a notify or a retry never refunds twice; twenty
//! approvals at once refund once. A group-buy order paid at WeChat Pay is
//! refunded whole, within 7 days of its pickup. A WeChat Pay order expired
//! by the payment sweep tells its resident.

use std::time::Duration;

use entity::{order_notification, refund};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::Shop;
use super::after_sales::{ask, completed_pickup, decide};
use crate::fake_wechatpay::FakeWechatPay;
use crate::group_buys::{market, neighbour, open_campaign, reach_cut_off};
use crate::support::{TestApp, spawn_app_with};

/// An app paying at the fake WeChat Pay, its sweeps run by hand.
async fn wechat_app(fake: &FakeWechatPay) -> TestApp {
    spawn_app_with(|s| {
        fake.configure(s);
        s.jobs.sweep_interval_ms = 3_600_000;
        s.jobs.payment_sweep_interval_ms = 3_600_000;
        s.rate_limit.login_per_minute = 100_000;
    })
    .await
}

/// The shop fixture on WeChat Pay.
async fn wechat_shop(fake: &FakeWechatPay) -> Shop {
    Shop::open(wechat_app(fake).await, "支付社区", "pay-owner", "pay-buyer").await
}

/// Pays order `no` of `token`'s at the fake WeChat Pay; WeChat Pay's
/// notify lands.
async fn pay_at_wechat(app: &TestApp, fake: &FakeWechatPay, token: &str, no: &str) {
    let r = app
        .post(
            &format!("/orders/{no}/pay"),
            Some(token),
            json!({ "provider": "wechat" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let n = fake.pay(no);
    assert!(
        n.post(&app.client, &app.url("/payments/wechat/notify"))
            .await
            .status()
            .is_success()
    );
}

/// A pickup order of `quantity`, paid at WeChat Pay and handed over.
async fn paid_and_completed(s: &Shop, fake: &FakeWechatPay, quantity: i64) -> String {
    let (no, _) = completed_pickup(s, &[(s.goods, quantity)]).await;
    pay_at_wechat(&s.app, fake, &s.resident, &no).await;
    assert_eq!(s.order(&no).await["status"], "placed");
    s.hand_over(&no).await;
    no
}

async fn refunds_of(app: &TestApp, after_sale_id: i64) -> Vec<refund::Model> {
    refund::Entity::find()
        .filter(refund::Column::AfterSaleId.eq(after_sale_id))
        .all(&app.db)
        .await
        .unwrap_or_default()
}

/// Waits (up to 10 s) until WeChat Pay was asked for the refund.
async fn fake_refund(fake: &FakeWechatPay, no: &str) -> crate::fake_wechatpay::FakeRefund {
    for _ in 0..100 {
        if let Some(r) = fake.refund(no) {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("WeChat Pay never saw refund {no}");
}

#[tokio::test]
async fn partial_refunds_reach_wechat_pay_with_their_amounts_and_never_exceed_the_payment() {
    let fake = FakeWechatPay::start().await;
    let s = wechat_shop(&fake).await;
    let no = paid_and_completed(&s, &fake, 2).await; // 25.00
    let r = ask(
        &s,
        &s.resident,
        &no,
        json!({ "amount": "10.00", "reason": "少了一个" }),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let first = r.body["id"].as_i64().unwrap_or_default();
    // Twenty approvals at once (owner's desk): one refund.
    let path = format!("/after-sales/{first}/approve");
    let tries = (0..20).map(|_| decide(&s, &s.owner, &path, json!({})));
    let replies = futures_util::future::join_all(tries).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let refused = replies
        .iter()
        .filter(|r| r.code() == "INVALID_TRANSITION")
        .count();
    assert_eq!((ok, refused), (1, 19));
    let rows = refunds_of(&s.app, first).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].amount_fen, rows[0].total_fen), (1000, 2500));
    let seen = fake_refund(&fake, &rows[0].out_refund_no).await;
    assert_eq!((seen.refund, seen.total), (1000, 2500));
    let r = s
        .app
        .get(&format!("/orders/{no}/after-sales"), Some(&s.resident))
        .await;
    assert_eq!(r.body[0]["status"], "refunding", "{}", r.text);

    // The notify finishes it; a second notify and a sweep change nothing.
    let notify = fake.complete_refund(&rows[0].out_refund_no, "SUCCESS");
    for _ in 0..2 {
        let sent = notify
            .post(&s.app.client, &s.app.url("/payments/wechat/notify"))
            .await;
        assert!(sent.status().is_success());
    }
    yizhan::group_buys::payment_sweep::sweep(&s.app.state)
        .await
        .expect("sweep");
    let r = s
        .app
        .get(&format!("/orders/{no}/after-sales"), Some(&s.resident))
        .await;
    assert_eq!(r.body[0]["status"], "refunded", "{}", r.text);
    assert_eq!(
        s.order(&no).await["status"],
        "completed",
        "the order stays handed over"
    );

    // The rest, 15.00, by a second refund with its own number; then nothing more.
    let r = ask(
        &s,
        &s.resident,
        &no,
        json!({ "amount": "15.01", "reason": "都坏了" }),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "REFUND_EXCEEDS_PAID"));
    let r = ask(
        &s,
        &s.resident,
        &no,
        json!({ "amount": "15.00", "reason": "都坏了" }),
    )
    .await;
    let second = r.body["id"].as_i64().unwrap_or_default();
    let r = decide(
        &s,
        &s.owner,
        &format!("/after-sales/{second}/approve"),
        json!({}),
    )
    .await;
    assert_eq!(r.body["status"], "refunding", "{}", r.text);
    let rows2 = refunds_of(&s.app, second).await;
    assert_eq!(rows2.len(), 1);
    assert_ne!(rows2[0].out_refund_no, rows[0].out_refund_no);
    let seen = fake_refund(&fake, &rows2[0].out_refund_no).await;
    assert_eq!(seen.refund, 1500);
    assert_eq!(
        fake.order(&no).map(|o| o.refunded),
        Some(2500),
        "the whole payment, no more"
    );
    for row in [&rows[0], &rows2[0]] {
        assert_eq!(
            fake.refund(&row.out_refund_no).map(|r| r.requests),
            Some(1),
            "sent once"
        );
    }
    let r = ask(
        &s,
        &s.resident,
        &no,
        json!({ "amount": "0.01", "reason": "还要" }),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "REFUND_EXCEEDS_PAID"));
    let paid = entity::payment::Entity::find()
        .filter(entity::payment::Column::OutTradeNo.eq(no.as_str()))
        .one(&s.app.db)
        .await
        .ok()
        .flatten()
        .map(|p| (p.amount_fen, p.refunded_fen));
    assert_eq!(paid, Some((2500, 2500)));
}

#[tokio::test]
async fn a_shop_order_the_payment_sweep_expires_tells_its_resident() {
    let fake = FakeWechatPay::start().await;
    let s = wechat_shop(&fake).await;
    let (no, _) = completed_pickup(&s, &[(s.goods, 2)]).await;
    let r = s
        .app
        .post(
            &format!("/orders/{no}/pay"),
            Some(&s.resident),
            json!({ "provider": "wechat" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Its deadline passed (the payment sweep runs on the system clock).
    entity::order::Entity::update_many()
        .col_expr(
            entity::order::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(yizhan::time::now() - chrono::Duration::minutes(1)),
        )
        .filter(entity::order::Column::OrderNo.eq(no.as_str()))
        .exec(&s.app.db)
        .await
        .expect("deadline moved");
    let swept = yizhan::group_buys::payment_sweep::sweep(&s.app.state)
        .await
        .expect("sweep");
    assert_eq!(swept.expired, 1, "{swept:?}");
    assert_eq!(s.order(&no).await["status"], "expired");
    let told = order_notification::Entity::find()
        .filter(order_notification::Column::UserId.eq(s.resident_id))
        .all(&s.app.db)
        .await
        .unwrap_or_default();
    assert!(
        told.iter()
            .any(|n| n.status == entity::order::OrderStatus::Expired),
        "{told:?}"
    );
    let (stock, _) = s.stock_and_sales(s.goods).await;
    assert_eq!(stock, 100, "stock back");
}

#[tokio::test]
async fn a_group_buy_order_paid_at_wechat_pay_is_refunded_whole_within_seven_days_of_pickup() {
    let fake = FakeWechatPay::start().await;
    let app = wechat_app(&fake).await;
    let m = market(&app, 50).await;
    let campaign = open_campaign(&app, &m, 10, 1, 5).await;
    let buyer = neighbour(&app, &m, "gb-buyer").await;
    let o = app
        .post(
            &format!("/group-buys/{campaign}/orders"),
            Some(&buyer),
            json!({ "quantity": 2 }),
        )
        .await;
    assert_eq!(o.status, 201, "{}", o.text);
    assert_eq!(o.body["status"], "pending_payment");
    let no = o.body["order_no"].as_str().unwrap_or_default().to_owned();
    pay_at_wechat(&app, &fake, &buyer, &no).await;
    reach_cut_off(&app, campaign).await;
    yizhan::group_buys::settlement::sweep(&app.db, &app.state_cache())
        .await
        .expect("settled");
    let mine = app.get(&format!("/orders/{no}"), Some(&buyer)).await;
    assert_eq!(mine.body["status"], "awaiting_pickup", "{}", mine.text);
    let code = mine.body["pickup_code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let path = format!("/orders/{no}/after-sales");
    let ask = |body: serde_json::Value| app.post(&path, Some(&buyer), body);
    let r = ask(json!({ "amount": "1.00", "reason": "还没取" })).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "INVALID_TRANSITION"),
        "not picked up yet"
    );

    // The campaign ran long: ordered and paid ten days before the pickup.
    let long_ago = yizhan::time::now() - chrono::Duration::days(10);
    entity::order::Entity::update_many()
        .col_expr(
            entity::order::Column::CreatedAt,
            sea_orm::sea_query::Expr::value(long_ago),
        )
        .col_expr(
            entity::order::Column::PaidAt,
            sea_orm::sea_query::Expr::value(Some(long_ago)),
        )
        .filter(entity::order::Column::OrderNo.eq(no.as_str()))
        .exec(&app.db)
        .await
        .expect("dates moved");
    let picked = app
        .post(
            &format!("/merchants/{}/pickups", m.merchant_id),
            Some(&m.owner),
            json!({ "pickup_code": code }),
        )
        .await;
    assert_eq!(picked.body["status"], "picked_up", "{}", picked.text);
    let picked_at = yizhan::time::now();

    // The window is counted from the pickup: 7 days and a minute after it
    // is too late ...
    let clock = &app.state.clock;
    clock.set(picked_at + chrono::Duration::days(7) + chrono::Duration::minutes(1));
    let r = ask(json!({ "amount": "59.80", "reason": "不新鲜" })).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "AFTER_SALE_WINDOW_PASSED")
    );
    // ... a minute before, 17 days after the order, is in time; for the
    // whole order only, and no more than was paid (2 × 29.90).
    clock.set(picked_at + chrono::Duration::days(7) - chrono::Duration::minutes(1));
    let r = ask(json!({ "line_ids": [1], "amount": "1.00", "reason": "不新鲜" })).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "VALIDATION_FAILED"));
    assert_eq!(r.fields(), vec!["line_ids".to_owned()]);
    let r = ask(json!({ "amount": "59.81", "reason": "不新鲜" })).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "REFUND_EXCEEDS_PAID"));
    assert_eq!(r.body["error"]["details"]["max"], "59.80");
    let r = ask(json!({ "amount": "59.80", "reason": "不新鲜" })).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["status"], "requested");
    let id = r.body["id"].as_i64().unwrap_or_default();

    // The shop approves: WeChat Pay refunds the payment; its notify lands.
    let r = app
        .post(
            &format!("/after-sales/{id}/approve"),
            Some(&m.owner),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "refunding");
    let rows = refunds_of(&app, id).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].amount_fen, rows[0].total_fen), (5980, 5980));
    let seen = fake_refund(&fake, &rows[0].out_refund_no).await;
    assert_eq!((seen.refund, seen.total), (5980, 5980));
    let notify = fake.complete_refund(&rows[0].out_refund_no, "SUCCESS");
    assert!(
        notify
            .post(&app.client, &app.url("/payments/wechat/notify"))
            .await
            .status()
            .is_success()
    );
    let r = app
        .get(&format!("/orders/{no}/after-sales"), Some(&buyer))
        .await;
    assert_eq!(r.body[0]["status"], "refunded", "{}", r.text);
    assert_eq!(fake.order(&no).map(|o| o.refunded), Some(5980));
    let paid = entity::payment::Entity::find()
        .filter(entity::payment::Column::OutTradeNo.eq(no.as_str()))
        .one(&app.db)
        .await
        .ok()
        .flatten()
        .map(|p| (p.amount_fen, p.refunded_fen));
    assert_eq!(paid, Some((5980, 5980)));
    let r = ask(json!({ "amount": "0.01", "reason": "还要" })).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "REFUND_EXCEEDS_PAID"));
}
