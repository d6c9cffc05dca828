//! WeChat Pay wired into orders, against the fake WeChat Pay: prepay and
//! paySign, verified notifies paying an order exactly once, amount
//! mismatches, reconciliation of lost notifies and overdue orders, refunds
//! (late payments, failed campaigns, cancelled orders) that never refund
//! twice, failures that leave orders payable, and the money views.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{Duration, FixedOffset, Utc};
use entity::{payment, refund};
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use sha2::Sha256;
use yizhan::group_buys::payment_sweep;

use crate::fake_wechatpay::{APP_ID, Failure, FakeWechatPay, SignedNotify, fixture_path};
use crate::group_buys::{Market, market, neighbour, open_campaign, reach_cut_off};
use crate::support::{TestApp, spawn_app_with};

struct Shop {
    app: TestApp,
    fake: FakeWechatPay,
    m: Market,
    campaign: i64,
}

/// An app paying at the fake WeChat Pay, with background sweeps slowed
/// down so each test runs them by hand; a campaign of 10 (minimum `min`).
async fn shop(min: i64, adjust: impl FnOnce(&mut yizhan::settings::Settings)) -> Shop {
    let fake = FakeWechatPay::start().await;
    let app = spawn_app_with(|s| {
        fake.configure(s);
        s.jobs.sweep_interval_ms = 3_600_000;
        s.jobs.payment_sweep_interval_ms = 3_600_000;
        s.rate_limit.login_per_minute = 100_000;
        adjust(s);
    })
    .await;
    let m = market(&app, 50).await;
    let campaign = open_campaign(&app, &m, 10, min, 5).await;
    Shop {
        app,
        fake,
        m,
        campaign,
    }
}

impl Shop {
    /// A neighbour orders 2 (59.80); answers their token and the order number.
    async fn order(&self, who: &str) -> (String, String) {
        let token = neighbour(&self.app, &self.m, who).await;
        let o = self
            .app
            .post(
                &format!("/group-buys/{}/orders", self.campaign),
                Some(&token),
                json!({ "quantity": 2 }),
            )
            .await;
        assert_eq!(o.status, 201, "{}", o.text);
        assert_eq!(o.body["status"], "pending_payment");
        (token, o.body["order_no"].as_str().unwrap().to_owned())
    }

    async fn pay(&self, token: &str, no: &str) -> crate::support::Reply {
        self.app
            .post(
                &format!("/orders/{no}/pay"),
                Some(token),
                json!({ "provider": "wechat" }),
            )
            .await
    }

    /// Orders, prepays and pays at WeChat Pay: answers the notify WeChat Pay sends.
    async fn paid_at_wechat(&self, who: &str) -> (String, String, SignedNotify) {
        let (token, no) = self.order(who).await;
        let r = self.pay(&token, &no).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let notify = self.fake.pay(&no);
        (token, no, notify)
    }

    async fn notify(&self, n: &SignedNotify) -> reqwest::Response {
        n.post(&self.app.client, &self.app.url("/payments/wechat/notify"))
            .await
    }

    async fn status(&self, token: &str, no: &str) -> String {
        let r = self.app.get(&format!("/orders/{no}"), Some(token)).await;
        r.body["status"].as_str().unwrap_or("").to_owned()
    }

    async fn sweep(&self) -> payment_sweep::PaymentSweep {
        payment_sweep::sweep(&self.app.state).await.unwrap()
    }

    async fn payments_of(&self, no: &str) -> Vec<payment::Model> {
        payment::Entity::find()
            .filter(payment::Column::OutTradeNo.eq(no))
            .all(&self.app.db)
            .await
            .unwrap()
    }

    async fn refunds_of(&self, no: &str) -> Vec<refund::Model> {
        refund::Entity::find()
            .filter(refund::Column::OutTradeNo.eq(no))
            .all(&self.app.db)
            .await
            .unwrap()
    }

    async fn remaining(&self) -> i64 {
        let gb = self
            .app
            .get(&format!("/group-buys/{}", self.campaign), None)
            .await;
        gb.body["remaining_quantity"].as_i64().unwrap()
    }
}

fn merchant_public_key() -> VerifyingKey<Sha256> {
    let pem = std::fs::read_to_string(fixture_path("merchant_public.pem")).unwrap();
    VerifyingKey::new(RsaPublicKey::from_public_key_pem(&pem).unwrap())
}

#[tokio::test]
async fn prepay_answers_a_pay_sign_that_verifies_and_paying_again_reuses_the_prepay() {
    let s = shop(1, |_| {}).await;
    let (token, no) = s.order("a").await;
    let r = s.pay(&token, &no).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "pending_payment");
    assert_eq!(r.body["pay_at_pickup"], false);
    assert_eq!(r.body["amount"], "59.80");
    let params = &r.body["request_payment"];
    let trade = s.fake.order(&no).expect("prepaid at WeChat Pay");
    assert_eq!(params["package"], format!("prepay_id={}", trade.prepay_id));
    assert_eq!(params["signType"], "RSA");
    let message = format!(
        "{APP_ID}\n{}\n{}\n{}\n",
        params["timeStamp"].as_str().unwrap(),
        params["nonceStr"].as_str().unwrap(),
        params["package"].as_str().unwrap()
    );
    let signature = BASE64.decode(params["paySign"].as_str().unwrap()).unwrap();
    merchant_public_key()
        .verify(
            message.as_bytes(),
            &Signature::try_from(signature.as_slice()).unwrap(),
        )
        .expect("paySign verifies with the merchant public key");
    // The prepay carried the order: fen, payer, deadline, a description.
    assert_eq!(trade.total, 5980);
    assert_eq!(trade.request["payer"]["openid"], "a");
    let mine = s.app.get(&format!("/orders/{no}"), Some(&token)).await;
    assert_eq!(mine.body["status"], "pending_payment");
    let expires: chrono::DateTime<Utc> = {
        let row = entity::order::Entity::find()
            .filter(entity::order::Column::OrderNo.eq(no.as_str()))
            .one(&s.app.db)
            .await
            .unwrap()
            .unwrap();
        row.expires_at.unwrap()
    };
    let cst = FixedOffset::east_opt(8 * 3600).unwrap();
    assert_eq!(
        trade.request["time_expire"],
        expires
            .with_timezone(&cst)
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    );
    assert!(
        trade.request["description"]
            .as_str()
            .unwrap()
            .contains("脐橙团购")
    );

    // Again: the same prepay, re-signed; WeChat Pay is not asked again.
    let again = s.pay(&token, &no).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["request_payment"]["package"], params["package"]);
    assert_eq!(s.fake.count("/v3/pay/transactions/jsapi"), 1);

    // With an Idempotency-Key, a retry answers the first answer.
    let keyed = |key: &'static str| {
        s.app
            .client
            .post(s.app.url(&format!("/orders/{no}/pay")))
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .json(&json!({ "provider": "wechat" }))
    };
    let first = s.app.send(keyed("pay-1")).await;
    let second = s.app.send(keyed("pay-1")).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body, second.body);

    // Another resident's order is not theirs to pay.
    let (other, _) = s.order("b").await;
    let r = s.pay(&other, &no).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "ORDER_NOT_FOUND"));
}

#[tokio::test]
async fn notifies_tampered_with_a_wrong_serial_or_stale_are_401_and_change_nothing() {
    let s = shop(1, |_| {}).await;
    let (token, no, genuine) = s.paid_at_wechat("a").await;
    let stale = s.fake.notify_at(
        "TRANSACTION.SUCCESS",
        "transaction",
        &s.fake.transaction_resource(&no),
        Utc::now() - Duration::minutes(6),
    );
    for bad in [
        genuine.tampered(),
        genuine.with_serial("PUB_KEY_ID_0000000000000000000000000000OTHER"),
        stale,
    ] {
        let r = s.notify(&bad).await;
        assert_eq!(r.status(), 401);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "FAIL");
        assert!(body["message"].is_string());
    }
    assert_eq!(s.status(&token, &no).await, "pending_payment");
    assert!(s.payments_of(&no).await.is_empty());

    let r = s.notify(&genuine).await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(s.status(&token, &no).await, "placed");
    // Paid: paying again is refused, with its own code.
    let again = s.pay(&token, &no).await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "ORDER_ALREADY_PAID")
    );
}

#[tokio::test]
async fn the_same_notify_five_times_at_once_pays_once() {
    let s = shop(1, |_| {}).await;
    let (token, no, notify) = s.paid_at_wechat("a").await;
    let answers = futures_util::future::join_all((0..5).map(|_| s.notify(&notify))).await;
    for r in answers {
        assert!(r.status().is_success(), "{}", r.status());
    }
    let payments = s.payments_of(&no).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].amount_fen, 5980);
    assert_eq!(s.status(&token, &no).await, "placed");
    // Late and repeated: still success, nothing changes.
    let r = s.notify(&s.fake.transaction_notify(&no)).await;
    assert!(r.status().is_success());
    assert_eq!(s.payments_of(&no).await.len(), 1);
    let settlements = s
        .app
        .get(
            &format!("/merchants/{}/settlements", s.m.merchant_id),
            Some(&s.m.owner),
        )
        .await;
    assert_eq!(settlements.status, 200, "{}", settlements.text);
    assert_eq!(settlements.body["paid"], "59.80");
    assert_eq!(settlements.body["net"], "59.80");
    assert_eq!(settlements.body["days"].as_array().unwrap().len(), 30);
}

#[tokio::test]
async fn an_amount_mismatch_is_never_paid_and_shows_to_the_admin() {
    let s = shop(1, |_| {}).await;
    let (token, no, _) = s.paid_at_wechat("a").await;
    let mut resource = s.fake.transaction_resource(&no);
    resource["amount"]["total"] = json!(1);
    resource["amount"]["payer_total"] = json!(1);
    let forged = s
        .fake
        .notify("TRANSACTION.SUCCESS", "transaction", &resource);
    let r = s.notify(&forged).await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(s.status(&token, &no).await, "pending_payment");
    let payments = s.payments_of(&no).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].status, payment::PaymentStatus::AmountMismatch);
    let list = s
        .app
        .get("/admin/payments/abnormal", Some(&s.m.platform))
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0]["kind"], "payment");
    assert_eq!(list.body["items"][0]["status"], "amount_mismatch");
    assert_eq!(list.body["items"][0]["order_no"], no.as_str());
    // Residents and merchants do not see it.
    let r = s
        .app
        .get("/admin/payments/abnormal", Some(&s.m.owner))
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn a_lost_notify_is_found_by_reconciliation() {
    let s = shop(1, |s| s.payments.reconcile_after_secs = 0).await;
    let (token, no, _lost) = s.paid_at_wechat("a").await;
    assert_eq!(s.status(&token, &no).await, "pending_payment");
    let done = s.sweep().await;
    assert_eq!(done.paid, 1);
    assert_eq!(s.status(&token, &no).await, "placed");
    assert_eq!(s.payments_of(&no).await.len(), 1);
    // Sweeping again changes nothing.
    assert_eq!(s.sweep().await.paid, 0);
    assert_eq!(s.payments_of(&no).await.len(), 1);
}

#[tokio::test]
async fn overdue_unpaid_orders_are_closed_at_wechat_pay_then_expire() {
    let s = shop(1, |s| s.payments.payment_timeout_secs = 3).await;
    let (token, no) = s.order("a").await;
    assert_eq!(s.pay(&token, &no).await.status, 200);
    assert_eq!(s.remaining().await, 8);
    tokio::time::sleep(std::time::Duration::from_millis(3_500)).await;
    let late = s.pay(&token, &no).await;
    assert_eq!((late.status.as_u16(), late.code()), (409, "PAYMENT_CLOSED"));
    // WeChat Pay unreachable: nothing is decided, the order waits.
    s.fake.fail_all(Failure::Http500);
    assert_eq!(s.sweep().await.expired, 0);
    assert_eq!(s.status(&token, &no).await, "pending_payment");
    s.fake.recover();
    assert_eq!(s.sweep().await.expired, 1);
    assert_eq!(s.status(&token, &no).await, "expired");
    assert_eq!(s.fake.order(&no).unwrap().state, "CLOSED");
    assert_eq!(s.remaining().await, 10);
}

#[tokio::test]
async fn a_payment_after_expiry_is_refunded_automatically() {
    let s = shop(1, |_| {}).await;
    let (token, no) = s.order("a").await;
    assert_eq!(s.pay(&token, &no).await.status, 200);
    // The cut-off comes before the payment: the unpaid order expires.
    reach_cut_off(&s.app, s.campaign).await;
    yizhan::group_buys::settlement::sweep(&s.app.db, &s.app.state_cache())
        .await
        .unwrap();
    assert_eq!(s.status(&token, &no).await, "expired");
    let notify = s.fake.pay(&no);
    let r = s.notify(&notify).await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(s.status(&token, &no).await, "expired");
    let payments = s.payments_of(&no).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].status, payment::PaymentStatus::Late);
    s.sweep().await;
    s.sweep().await;
    let refunds = s.refunds_of(&no).await;
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].amount_fen, 5980);
    let at_wechat = s
        .fake
        .refund(&refunds[0].out_refund_no)
        .expect("refund sent");
    assert_eq!(at_wechat.refund, 5980);
    assert_eq!(s.fake.order(&no).unwrap().refunded, 5980);
}

#[tokio::test]
async fn a_failed_campaign_refunds_each_paid_order_once_and_the_notify_finishes_it() {
    let s = shop(10, |_| {}).await;
    let mut paid = Vec::new();
    for who in ["a", "b", "c"] {
        let (token, no, notify) = s.paid_at_wechat(who).await;
        assert!(s.notify(&notify).await.status().is_success());
        assert_eq!(s.status(&token, &no).await, "placed");
        paid.push((token, no));
    }
    reach_cut_off(&s.app, s.campaign).await;
    yizhan::group_buys::settlement::sweep(&s.app.db, &s.app.state_cache())
        .await
        .unwrap();
    for (token, no) in &paid {
        assert_eq!(s.status(token, no).await, "refunding");
    }
    // WeChat Pay down for the first round: the refunds wait, none is lost.
    s.fake.fail_all(Failure::SystemError);
    s.sweep().await;
    s.fake.recover();
    // Two instances sweeping at once, three times over.
    for _ in 0..3 {
        tokio::join!(s.sweep(), s.sweep());
    }
    for (token, no) in &paid {
        let rows = s.refunds_of(no).await;
        assert_eq!(rows.len(), 1, "one refund per order");
        assert_eq!(rows[0].status, refund::RefundState::Processing);
        assert_eq!(s.fake.order(no).unwrap().refunded, 5980);
        // Not refunded until the money is back.
        assert_eq!(s.status(token, no).await, "refunding");
    }
    // The refund notifies finish them, once each.
    for (token, no) in &paid {
        let out_refund_no = s.refunds_of(no).await[0].out_refund_no.clone();
        let notify = s.fake.complete_refund(&out_refund_no, "SUCCESS");
        assert!(s.notify(&notify).await.status().is_success());
        assert!(s.notify(&notify).await.status().is_success());
        assert_eq!(s.status(token, no).await, "refunded");
    }
    s.sweep().await;
    let refund_rows = refund::Entity::find().count(&s.app.db).await.unwrap();
    assert_eq!(refund_rows, 3);
    for (_, no) in &paid {
        assert_eq!(s.fake.order(no).unwrap().refunded, 5980);
    }
    let settlements = s
        .app
        .get(
            &format!("/merchants/{}/settlements", s.m.merchant_id),
            Some(&s.m.owner),
        )
        .await;
    assert_eq!(settlements.body["paid"], "179.40");
    assert_eq!(settlements.body["refunded"], "179.40");
    assert_eq!(settlements.body["net"], "0.00");
}

#[tokio::test]
async fn a_resident_cancelling_a_paid_order_is_refunded() {
    let s = shop(1, |_| {}).await;
    s.fake.refund_instantly(true);
    let (token, no, notify) = s.paid_at_wechat("a").await;
    assert!(s.notify(&notify).await.status().is_success());
    let r = s
        .app
        .post(&format!("/orders/{no}/cancel"), Some(&token), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "refunding");
    assert_eq!(s.remaining().await, 10);
    s.sweep().await;
    assert_eq!(s.status(&token, &no).await, "refunded");
    assert_eq!(s.refunds_of(&no).await.len(), 1);
    assert_eq!(s.fake.order(&no).unwrap().refunded, 5980);
}

#[tokio::test]
async fn wechat_pay_failing_on_prepay_answers_503_and_the_order_stays_payable() {
    let s = shop(1, |_| {}).await;
    let (token, no) = s.order("a").await;
    for failure in [Failure::Http500, Failure::SystemError, Failure::Timeout] {
        s.fake.fail_next(failure, 1);
        let r = s.pay(&token, &no).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (503, "PAYMENT_UNAVAILABLE"),
            "{failure:?}: {}",
            r.text
        );
        assert!(r.headers.get("retry-after").is_some());
        assert_eq!(s.status(&token, &no).await, "pending_payment");
    }
    let r = s.pay(&token, &no).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["request_payment"]["paySign"].is_string());
}

#[tokio::test]
async fn settlements_are_for_the_owner_and_admins_only_and_check_their_dates() {
    let s = shop(1, |_| {}).await;
    let path = format!("/merchants/{}/settlements", s.m.merchant_id);
    let (resident, _, _) = s.app.resident("nosy").await;
    assert_eq!(s.app.get(&path, Some(&resident)).await.status, 403);
    assert_eq!(s.app.get(&path, None).await.status, 401);
    assert_eq!(s.app.get(&path, Some(&s.m.platform)).await.status, 200);
    let r = s
        .app
        .get(
            &format!("{path}?from=2026-12-01&to=2026-12-03"),
            Some(&s.m.owner),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["days"].as_array().unwrap().len(), 3);
    assert_eq!(r.body["days"][0]["date"], "2026-12-01");
    assert_eq!(r.body["days"][0]["paid"], "0.00");
    // Every pair of dates is a range: a reversed one covers no day, one
    // longer than 366 days is cut to its first 366; a date that is not one
    // is refused.
    let r = s
        .app
        .get(
            &format!("{path}?from=2026-12-05&to=2026-12-01"),
            Some(&s.m.owner),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["days"].as_array().unwrap().len(), 0, "{}", r.text);
    let r = s
        .app
        .get(
            &format!("{path}?from=2020-01-01&to=2026-12-01"),
            Some(&s.m.owner),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let days = r.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 366);
    assert_eq!(days[0]["date"], "2020-01-01");
    assert_eq!(days[365]["date"], "2020-12-31");
    let r = s
        .app
        .get(&format!("{path}?from=yesterday"), Some(&s.m.owner))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "INVALID_QUERY"));
    assert_eq!(
        s.app
            .get("/merchants/999999/settlements", Some(&s.m.owner))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn payments_racing_the_expiry_and_the_cut_off_are_honoured_or_refunded_never_lost() {
    let s = shop(1, |s| {
        s.payments.payment_timeout_secs = 3;
        s.payments.reconcile_after_secs = 0;
    })
    .await;
    let mut orders = Vec::new();
    for who in ["a", "b", "c", "d"] {
        let (token, no) = s.order(who).await;
        assert_eq!(s.pay(&token, &no).await.status, 200);
        orders.push((token, no));
    }
    tokio::time::sleep(std::time::Duration::from_millis(3_500)).await;
    // Each payer pays at the last moment; the notifies, the payment sweep
    // (which would close and expire the overdue orders) and the campaign's
    // settlement (which expires unpaid orders) all run at once.
    let notifies: Vec<SignedNotify> = orders.iter().map(|(_, no)| s.fake.pay(no)).collect();
    reach_cut_off(&s.app, s.campaign).await;
    let cache = s.app.state_cache();
    let settle = yizhan::group_buys::settlement::sweep(&s.app.db, &cache);
    let (_, _, answers) = tokio::join!(
        settle,
        s.sweep(),
        futures_util::future::join_all(notifies.iter().map(|n| s.notify(n)))
    );
    assert!(answers.iter().all(|r| r.status().is_success()));
    s.sweep().await;
    s.sweep().await;
    let mut held = 0;
    for (token, no) in &orders {
        let payments = s.payments_of(no).await;
        assert_eq!(payments.len(), 1, "{no}: the payment is recorded once");
        let status = s.status(token, no).await;
        match payments[0].status {
            payment::PaymentStatus::Honoured => {
                assert!(
                    ["placed", "awaiting_pickup"].contains(&status.as_str()),
                    "{no}: honoured but {status}"
                );
                assert!(s.refunds_of(no).await.is_empty());
                held += 2;
            }
            payment::PaymentStatus::Late => {
                assert_eq!(status, "expired", "{no}");
                let refunds = s.refunds_of(no).await;
                assert_eq!(refunds.len(), 1, "{no}: refunded once");
                assert_eq!(s.fake.order(no).unwrap().refunded, 5980, "{no}");
            }
            other => panic!("{no}: {other:?}"),
        }
    }
    let gb = s
        .app
        .get(&format!("/group-buys/{}", s.campaign), None)
        .await;
    assert_eq!(gb.body["ordered_quantity"].as_i64(), Some(held));
}
