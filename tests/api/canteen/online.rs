//! Meals paid online through the fake WeChat Pay (which checks signatures
//! for real): book → pay → notify → paid, a notify repeated at once pays
//! once; cancelling refunds the exact amount once under concurrent cancels
//! and frees the place; an unpaid booking past its deadline is cancelled
//! by the payment sweep and its place freed; a meal costing nothing is
//! paid at once.

use std::sync::Arc;

use chrono::{Duration, FixedOffset, Utc};
use entity::{payment, refund};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use yizhan::group_buys::payment_sweep;

use super::{Fix, Meal, fixture_with};
use crate::fake_wechatpay::{FakeWechatPay, SignedNotify};

struct Online {
    fix: Arc<Fix>,
    fake: FakeWechatPay,
    canteen: Value,
    lunch: Meal,
}

/// A canteen paying at the fake WeChat Pay (sweeps run by hand), the clock
/// at the real now (WeChat Pay's deadlines are real), lunch published two
/// days ahead.
async fn online() -> Online {
    let fake = FakeWechatPay::start().await;
    let fix = fixture_with(|s| {
        fake.configure(s);
        s.jobs.sweep_interval_ms = 3_600_000;
        s.jobs.payment_sweep_interval_ms = 3_600_000;
    })
    .await;
    fix.app.state.clock.set(Utc::now());
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let day = (Utc::now() + Duration::days(2))
        .with_timezone(&china)
        .format("%Y-%m-%d")
        .to_string();
    let canteen = fix.canteen(json!({})).await;
    let lunch = fix.menu(&canteen, &day, "lunch").await;
    Online {
        fix,
        fake,
        canteen,
        lunch,
    }
}

impl Online {
    async fn taken(&self) -> i64 {
        let r = self
            .fix
            .app
            .get(&format!("/canteens/{}/menus", self.canteen["id"]), None)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["id"].as_i64() == Some(self.lunch.id))
            .and_then(|m| m["taken"].as_i64())
            .unwrap_or(-1)
    }

    async fn notify(&self, n: &SignedNotify) -> u16 {
        n.post(
            &self.fix.app.client,
            &self.fix.app.url("/payments/wechat/notify"),
        )
        .await
        .status()
        .as_u16()
    }

    async fn mine(&self, token: &str, id: i64) -> Value {
        let r = self.fix.app.get("/me/meal-bookings", Some(token)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|b| b["id"].as_i64() == Some(id))
            .cloned()
            .unwrap_or(Value::Null)
    }

    async fn payments_of(&self, no: &str) -> Vec<payment::Model> {
        payment::Entity::find()
            .filter(payment::Column::OutTradeNo.eq(no))
            .all(&self.fix.app.db)
            .await
            .unwrap()
    }

    async fn refunds_of(&self, no: &str) -> Vec<refund::Model> {
        refund::Entity::find()
            .filter(refund::Column::OutTradeNo.eq(no))
            .all(&self.fix.app.db)
            .await
            .unwrap()
    }

    async fn sweep(&self) -> payment_sweep::PaymentSweep {
        payment_sweep::sweep(&self.fix.app.state).await.unwrap()
    }

    /// Books 红烧肉 + 米饭 (9.00, no subsidy) online: (token, booking id, trade number).
    async fn book_online(&self, openid: &str) -> (String, i64, String) {
        let (token, _) = self.fix.resident(openid).await;
        let r = self
            .fix
            .book_with(
                &token,
                self.lunch.id,
                &[(self.lunch.pork, 1), (self.lunch.rice, 1)],
                json!({ "pay_method": "online" }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["pay_method"], "online");
        assert_eq!(r.body["amount"], "9.00");
        assert!(r.body["paid_at"].is_null(), "{}", r.text);
        assert!(r.body["pay_until"].is_string(), "{}", r.text);
        let id = r.body["id"].as_i64().unwrap();
        (token, id, format!("MB{id:012}"))
    }

    async fn pay(&self, token: &str, id: i64) -> crate::support::Reply {
        self.fix
            .app
            .post(&format!("/meal-bookings/{id}/pay"), Some(token), json!({}))
            .await
    }
}

#[tokio::test]
async fn online_meal_is_paid_once_by_its_notify_and_a_cancel_refunds_it_once() {
    let s = online().await;
    let (token, id, no) = s.book_online("online-a").await;
    assert_eq!(s.taken().await, 1);
    // Someone else's booking is not theirs to pay.
    let (stranger, _) = s.fix.resident("online-stranger").await;
    let r = s.pay(&stranger, id).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (404, "MEAL_BOOKING_NOT_FOUND")
    );

    let r = s.pay(&token, id).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["amount"], "9.00");
    let trade = s.fake.order(&no).expect("prepaid at WeChat Pay");
    assert_eq!(trade.total, 900);
    assert_eq!(
        r.body["request_payment"]["package"],
        format!("prepay_id={}", trade.prepay_id)
    );
    // Not paid until WeChat Pay says so.
    assert!(s.mine(&token, id).await["paid_at"].is_null());

    // The same notify five times at once: paid once, every answer 204.
    let notify = s.fake.pay(&no);
    let answers = futures_util::future::join_all((0..5).map(|_| s.notify(&notify))).await;
    assert_eq!(answers, vec![204; 5]);
    let paid = s.mine(&token, id).await;
    assert!(paid["paid_at"].is_string(), "{paid}");
    assert!(paid["pay_until"].is_null(), "{paid}");
    let payments = s.payments_of(&no).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].amount_fen, 900);
    assert_eq!(payments[0].order_id, id);
    assert_eq!(payments[0].subject, payment::SUBJECT_MEAL_BOOKING);
    // Once more, later: nothing changes.
    assert_eq!(s.notify(&s.fake.transaction_notify(&no)).await, 204);
    assert_eq!(s.payments_of(&no).await.len(), 1);
    assert_eq!(s.mine(&token, id).await["paid_at"], paid["paid_at"]);
    let r = s.pay(&token, id).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "ORDER_ALREADY_PAID"));
    assert_eq!(payments[0].payer_openid, trade.openid);
    assert!(!trade.openid.is_empty());

    // Five cancels at once: one cancels, one refund of exactly 9.00.
    s.fake.refund_instantly(true);
    let path = format!("/meal-bookings/{id}/cancel");
    let cancels = futures_util::future::join_all(
        (0..5).map(|_| s.fix.app.post(&path, Some(&token), json!({}))),
    )
    .await;
    let ok = cancels.iter().filter(|r| r.status == 200).count();
    let refused = cancels
        .iter()
        .filter(|r| (r.status.as_u16(), r.code()) == (409, "INVALID_TRANSITION"))
        .count();
    assert_eq!(
        (ok, refused),
        (1, 4),
        "{:?}",
        cancels.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    assert_eq!(s.taken().await, 0);
    s.sweep().await;
    let refunds = s.refunds_of(&no).await;
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].amount_fen, 900);
    assert_eq!(refunds[0].subject, payment::SUBJECT_MEAL_BOOKING);
    assert_eq!(refunds[0].status, refund::RefundState::Succeeded);
    assert_eq!(s.fake.order(&no).unwrap().refunded, 900);
    assert_eq!(s.mine(&token, id).await["status"], "cancelled");
    // Erasing the account erases the payer's openid on the meal's payment.
    let r = s.fix.app.delete("/me", Some(&token)).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(s.payments_of(&no).await[0].payer_openid, "");
}

#[tokio::test]
async fn an_unpaid_online_meal_past_its_deadline_is_cancelled_and_its_place_freed() {
    let s = online().await;
    let (token, id, no) = s.book_online("online-late").await;
    let r = s.pay(&token, id).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.taken().await, 1);
    // Within the deadline the sweep leaves it alone.
    assert_eq!(s.sweep().await.meals_expired, 0);
    assert_eq!(s.taken().await, 1);

    let until: chrono::DateTime<Utc> = s.mine(&token, id).await["pay_until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    s.fix.app.state.clock.set(until + Duration::seconds(1));
    assert_eq!(s.sweep().await.meals_expired, 1);
    assert_eq!(s.sweep().await.meals_expired, 0);
    assert_eq!(s.taken().await, 0);
    let gone = s.mine(&token, id).await;
    assert_eq!(gone["status"], "cancelled");
    assert!(gone["paid_at"].is_null());
    assert_eq!(s.fake.order(&no).unwrap().state, "CLOSED");
    let r = s.pay(&token, id).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "INVALID_TRANSITION"));
    assert!(s.payments_of(&no).await.is_empty());
}

#[tokio::test]
async fn a_free_online_meal_is_paid_at_once_and_counter_meals_cannot_be_paid_online() {
    let s = online().await;
    // Verified 60+: the 3.00 subsidy covers a bowl of rice (1.00).
    let (elder, _) = s.fix.elder("online-free", "1950-03-01").await;
    let r = s
        .fix
        .book_with(
            &elder,
            s.lunch.id,
            &[(s.lunch.rice, 1)],
            json!({ "pay_method": "online" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["amount"], "0.00");
    assert!(r.body["paid_at"].is_string(), "{}", r.text);
    let free = r.body["id"].as_i64().unwrap();
    let r = s.pay(&elder, free).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "ORDER_ALREADY_PAID"));
    assert!(s.fake.order(&format!("MB{free:012}")).is_none());

    let (token, _) = s.fix.resident("online-counter").await;
    let r = s.fix.book(&token, s.lunch.id, &[(s.lunch.rice, 1)]).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["pay_method"], "counter");
    let r = s.pay(&token, r.body["id"].as_i64().unwrap()).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "INVALID_TRANSITION"));
}

#[tokio::test]
async fn a_lost_notify_is_found_at_the_deadline_and_a_payment_after_cancelling_goes_back() {
    let s = online().await;
    // Paid at WeChat Pay, the notify never came: the sweep at the deadline
    // asks, records the payment and keeps the booking.
    let (token, id, no) = s.book_online("online-lost").await;
    assert_eq!(s.pay(&token, id).await.status, 200);
    let _lost = s.fake.pay(&no);
    // Cancelled while unpaid, then paid anyway: recorded late, refunded in full.
    let (other, late, late_no) = s.book_online("online-after").await;
    assert_eq!(s.pay(&other, late).await.status, 200);
    let r = s
        .fix
        .app
        .post(
            &format!("/meal-bookings/{late}/cancel"),
            Some(&other),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.taken().await, 1);
    s.fake.refund_instantly(true);
    assert_eq!(s.notify(&s.fake.pay(&late_no)).await, 204);
    let payments = s.payments_of(&late_no).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].status, payment::PaymentStatus::Late);
    assert!(s.mine(&other, late).await["paid_at"].is_null());

    let until: chrono::DateTime<Utc> = s.mine(&token, id).await["pay_until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    s.fix.app.state.clock.set(until + Duration::seconds(1));
    assert_eq!(s.sweep().await.meals_expired, 0);
    let kept = s.mine(&token, id).await;
    assert_eq!(kept["status"], "booked");
    assert!(kept["paid_at"].is_string(), "{kept}");
    assert_eq!(s.payments_of(&no).await.len(), 1);
    assert_eq!(s.taken().await, 1);
    let refunds = s.refunds_of(&late_no).await;
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].amount_fen, 900);
    assert_eq!(s.fake.order(&late_no).unwrap().refunded, 900);
    assert!(s.refunds_of(&no).await.is_empty());
}
