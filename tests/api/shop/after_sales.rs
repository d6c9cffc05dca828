//! After-sales (售后) on completed shop orders paid offline: partial then
//! the rest and never beyond, one open request per order (a race), the
//! 7-day window, the clock's approval after 48 h (once, however many
//! sweep), rejection, escalation and the admin's decision, and who may not.

use entity::after_sale;
use entity::inbox_message::{self, InboxKind};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use super::{Shop, shop};

/// Checks out `lines` (goods, quantity) for pickup and hands the order over
/// at the counter; answers its number and its lines' ids. An order that
/// waits for online payment is answered as it is (no lines yet).
pub async fn completed_pickup(s: &Shop, lines: &[(i64, i64)]) -> (String, Vec<i64>) {
    let body = json!({
        "lines": lines.iter().map(|(g, q)| json!({ "goods_id": g, "quantity": q })).collect::<Vec<_>>(),
        "fulfilment": "pickup",
    });
    let r = s.checkout(&s.resident, body, None).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let no = r.body["order_no"].as_str().unwrap_or_default().to_owned();
    if r.body["status"] == "pending_payment" {
        return (no, Vec::new());
    }
    s.hand_over(&no).await;
    let mine = s.order(&no).await;
    let ids = mine["lines"]
        .as_array()
        .map(|a| a.iter().filter_map(|l| l["id"].as_i64()).collect())
        .unwrap_or_default();
    (no, ids)
}

pub async fn ask(s: &Shop, token: &str, no: &str, body: Value) -> crate::support::Reply {
    s.app
        .post(&format!("/orders/{no}/after-sales"), Some(token), body)
        .await
}

pub async fn decide(s: &Shop, token: &str, path: &str, body: Value) -> crate::support::Reply {
    s.app.post(path, Some(token), body).await
}

async fn inbox_count(s: &Shop, user_id: i64) -> u64 {
    inbox_message::Entity::find()
        .filter(inbox_message::Column::UserId.eq(user_id))
        .filter(inbox_message::Column::Kind.eq(InboxKind::AfterSale))
        .count(&s.app.db)
        .await
        .unwrap_or(0)
}

#[tokio::test]
async fn a_partial_refund_then_the_rest_and_never_beyond_what_was_paid() {
    let s = shop().await;
    let app = &s.app;
    let milk = s
        .goods_with(json!({ "name": "鲜牛奶", "price": "5.00" }))
        .await;
    // 2 x 12.50 + 1 x 5.00 = 30.00, paid in cash at pickup.
    let (no, lines) = completed_pickup(&s, &[(s.goods, 2), (milk, 1)]).await;
    assert_eq!(lines.len(), 2, "{lines:?}");
    let orange_line = lines[0];

    let r = ask(
        &s,
        &s.resident,
        &no,
        json!({ "line_ids": [orange_line], "amount": "25.01", "reason": "有坏果" }),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "REFUND_EXCEEDS_PAID"),
        "{}",
        r.text
    );
    assert_eq!(r.body["error"]["details"]["max"], "25.00");
    let r = ask(&s, &s.resident, &no, json!({ "line_ids": [orange_line], "amount": "20.00", "reason": "有坏果", "photos": ["https://img.example/bad.png"] })).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["status"], "requested");
    assert_eq!(r.body["amount"], "20.00");
    assert_eq!(r.body["line_ids"], json!([orange_line]));
    assert_eq!(r.body["photos"], json!(["https://img.example/bad.png"]));
    let first = r.body["id"].as_i64().unwrap_or_default();
    assert_eq!(
        inbox_count(&s, app_owner_id(&s).await).await,
        1,
        "the desk hears of it"
    );

    let r = ask(
        &s,
        &s.resident,
        &no,
        json!({ "amount": "1.00", "reason": "再来" }),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "AFTER_SALE_OPEN"));

    let r = decide(
        &s,
        &s.owner,
        &format!("/after-sales/{first}/approve"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "refunded", "offline: cash back at once");
    assert_eq!(r.body["decided_by"], "merchant");
    let r = decide(
        &s,
        &s.owner,
        &format!("/after-sales/{first}/approve"),
        json!({}),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "INVALID_TRANSITION"),
        "once"
    );
    assert_eq!(
        inbox_count(&s, s.resident_id).await,
        1,
        "the resident hears of it"
    );

    let cards = app.get("/me/orders", Some(&s.resident)).await;
    assert_eq!(
        cards.body["items"][0]["after_sale_status"], "refunded",
        "{}",
        cards.text
    );

    // 10.00 is left of the order: a cent more is refused, then the rest.
    let r = ask(
        &s,
        &s.resident,
        &no,
        json!({ "amount": "10.01", "reason": "整单退" }),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "REFUND_EXCEEDS_PAID"));
    let r = ask(
        &s,
        &s.resident,
        &no,
        json!({ "amount": "10.00", "reason": "整单退" }),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let second = r.body["id"].as_i64().unwrap_or_default();
    let r = decide(
        &s,
        &s.owner,
        &format!("/after-sales/{second}/approve"),
        json!({}),
    )
    .await;
    assert_eq!(r.body["status"], "refunded", "{}", r.text);
    let r = ask(
        &s,
        &s.resident,
        &no,
        json!({ "amount": "0.01", "reason": "还要" }),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "REFUND_EXCEEDS_PAID"));

    let listed = app
        .get(&format!("/orders/{no}/after-sales"), Some(&s.owner))
        .await;
    assert_eq!(
        listed.body.as_array().map(Vec::len),
        Some(2),
        "{}",
        listed.text
    );
    let mine = app
        .get("/me/after-sales?status=refunded", Some(&s.resident))
        .await;
    assert_eq!(mine.body["total"], 2, "{}", mine.text);
    let stats = app
        .get(&format!("/merchants/{}/stats", s.merchant), Some(&s.owner))
        .await;
    assert_eq!(stats.body["refunds"], 1, "{}", stats.text);
    assert_eq!(stats.body["refunded"], "30.00", "{}", stats.text);
}

async fn app_owner_id(s: &Shop) -> i64 {
    s.app.get("/me", Some(&s.owner)).await.body["id"]
        .as_i64()
        .unwrap_or_default()
}

#[tokio::test]
async fn bad_requests_are_named_and_strangers_are_refused() {
    let s = shop().await;
    let app = &s.app;
    let placed = s.pickup_order(&s.resident, 1).await;
    let r = ask(
        &s,
        &s.resident,
        &placed,
        json!({ "amount": "1.00", "reason": "坏了" }),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "INVALID_TRANSITION"),
        "not completed yet"
    );

    let (no, _) = completed_pickup(&s, &[(s.goods, 1)]).await;
    let photos: Vec<String> = (0..7)
        .map(|i| format!("https://img.example/{i}.png"))
        .collect();
    let r = ask(
        &s,
        &s.resident,
        &no,
        json!({ "line_ids": [999_999], "amount": "0", "reason": " ", "photos": photos }),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "VALIDATION_FAILED"),
        "{}",
        r.text
    );
    let fields = r.fields();
    for f in ["reason", "amount", "photos", "line_ids[0]"] {
        assert!(fields.contains(&f.to_owned()), "{f} in {fields:?}");
    }
    let (stranger, _, _) = app.resident("stranger").await;
    let r = ask(
        &s,
        &stranger,
        &no,
        json!({ "amount": "1.00", "reason": "坏了" }),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "ORDER_NOT_FOUND"));
    let r = app
        .get(&format!("/orders/{no}/after-sales"), Some(&stranger))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "ORDER_NOT_FOUND"));
    let r = ask(
        &s,
        &s.resident,
        &no,
        json!({ "amount": "1.00", "reason": "坏了" }),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap_or_default();
    let (other_shop, other_owner) = app
        .approved_merchant(&s.platform, &[s.community], "other-owner")
        .await;
    for path in ["approve", "reject"] {
        let r = decide(
            &s,
            &other_owner,
            &format!("/after-sales/{id}/{path}"),
            json!({ "reason": "不行" }),
        )
        .await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"), "{path}");
    }
    let r = app
        .get(
            &format!("/merchants/{other_shop}/after-sales"),
            Some(&s.owner),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = decide(
        &s,
        &stranger,
        &format!("/after-sales/{id}/escalate"),
        json!({ "reason": "x" }),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "AFTER_SALE_NOT_FOUND"));
    let r = decide(
        &s,
        &s.resident,
        &format!("/after-sales/{id}/escalate"),
        json!({ "reason": "x" }),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "INVALID_TRANSITION"),
        "not rejected"
    );
    let r = decide(
        &s,
        &s.owner,
        &format!("/after-sales/{id}/reject"),
        json!({ "reason": "" }),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "VALIDATION_FAILED"));
    assert_eq!(r.fields(), vec!["reason".to_owned()]);
    let r = app
        .get(
            &format!("/merchants/{}/after-sales?status=requested", s.merchant),
            Some(&s.owner),
        )
        .await;
    assert_eq!(r.body["total"], 1, "{}", r.text);
    assert_eq!(r.body["items"][0]["status"], "requested", "nothing changed");
}

#[tokio::test]
async fn twenty_requests_at_once_leave_exactly_one_open() {
    let s = shop().await;
    let (no, _) = completed_pickup(&s, &[(s.goods, 2)]).await;
    let tries = (0..20).map(|i| {
        let s = &s;
        let no = no.clone();
        async move {
            ask(
                s,
                &s.resident,
                &no,
                json!({ "amount": "1.00", "reason": format!("第{i}次") }),
            )
            .await
        }
    });
    let replies = futures_util::future::join_all(tries).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let open = replies
        .iter()
        .filter(|r| r.code() == "AFTER_SALE_OPEN")
        .count();
    assert_eq!(
        (created, open),
        (1, 19),
        "{:?}",
        replies.iter().map(|r| r.text.clone()).collect::<Vec<_>>()
    );
    let rows = after_sale::Entity::find()
        .count(&s.app.db)
        .await
        .unwrap_or(0);
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn the_window_closes_seven_days_after_completion() {
    let s = shop().await;
    let (no, _) = completed_pickup(&s, &[(s.goods, 1)]).await;
    let clock = &s.app.state.clock;
    clock.set(yizhan::time::now() + chrono::Duration::days(7) - chrono::Duration::minutes(1));
    let r = ask(
        &s,
        &s.resident,
        &no,
        json!({ "amount": "1.00", "reason": "坏了" }),
    )
    .await;
    assert_eq!(r.status, 201, "still within 7 days: {}", r.text);
    let id = r.body["id"].as_i64().unwrap_or_default();
    let r = decide(
        &s,
        &s.owner,
        &format!("/after-sales/{id}/reject"),
        json!({ "reason": "完好" }),
    )
    .await;
    assert_eq!(r.body["status"], "rejected", "{}", r.text);
    clock.advance(chrono::Duration::minutes(2));
    let r = ask(
        &s,
        &s.resident,
        &no,
        json!({ "amount": "1.00", "reason": "坏了" }),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "AFTER_SALE_WINDOW_PASSED")
    );
}

#[tokio::test]
async fn nobody_answering_for_48_hours_approves_once_however_many_sweep() {
    let s = shop().await;
    let (no, _) = completed_pickup(&s, &[(s.goods, 2)]).await;
    let clock = &s.app.state.clock;
    let start = yizhan::time::now();
    clock.set(start);
    let r = ask(
        &s,
        &s.resident,
        &no,
        json!({ "amount": "12.50", "reason": "不新鲜" }),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap_or_default();
    clock.set(start + chrono::Duration::hours(47));
    let none = yizhan::after_sales::sweep::run(&s.app.state)
        .await
        .expect("sweep");
    assert_eq!(none, 0, "not yet due");
    clock.set(start + chrono::Duration::hours(48) + chrono::Duration::seconds(1));
    let sibling = crate::support::spawn_sibling(&s.app).await;
    sibling.state.clock.set(start + chrono::Duration::hours(49));
    let (a, b, c) = tokio::join!(
        yizhan::after_sales::sweep::run(&s.app.state),
        yizhan::after_sales::sweep::run(&sibling.state),
        yizhan::after_sales::sweep::run(&s.app.state),
    );
    let approved = a.unwrap_or(9) + b.unwrap_or(9) + c.unwrap_or(9);
    assert_eq!(approved, 1, "exactly once");
    let r = s
        .app
        .get(&format!("/orders/{no}/after-sales"), Some(&s.resident))
        .await;
    assert_eq!(r.body[0]["id"], id);
    assert_eq!(r.body[0]["status"], "refunded", "{}", r.text);
    assert_eq!(r.body[0]["decided_by"], "clock");
    let r = decide(
        &s,
        &s.owner,
        &format!("/after-sales/{id}/reject"),
        json!({ "reason": "晚了" }),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "INVALID_TRANSITION"));
    assert_eq!(
        inbox_count(&s, s.resident_id).await,
        1,
        "the resident hears of it once"
    );
    assert_eq!(
        inbox_count(&s, app_owner_id(&s).await).await,
        2,
        "asked, then approved by the clock"
    );
}

#[tokio::test]
async fn a_rejected_delivery_refund_is_escalated_and_the_community_admin_decides() {
    let s = shop().await;
    let app = &s.app;
    s.deliver_with("0", "2.00").await;
    let body =
        json!({ "lines": [{ "goods_id": s.goods, "quantity": 1 }], "fulfilment": "delivery" });
    let mut orders = Vec::new();
    for _ in 0..2 {
        let r = s.checkout(&s.resident, body.clone(), None).await;
        let no = r.body["order_no"].as_str().unwrap_or_default().to_owned();
        for step in ["accept", "deliver", "complete"] {
            assert_eq!(s.step(&no, step).await.status, 200, "{step}");
        }
        orders.push(no);
    }
    let admin = app.community_admin(&s.platform, &[s.community]).await;
    let (elsewhere, _, _) = app.community_with_building(&s.platform, "别的社区").await;
    let other_admin = app.community_admin(&s.platform, &[elsewhere]).await;

    // The whole order with its delivery fee: 12.50 + 2.00.
    let r = ask(
        &s,
        &s.resident,
        &orders[0],
        json!({ "amount": "14.51", "reason": "没送到" }),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "REFUND_EXCEEDS_PAID"));
    let mut ids = Vec::new();
    for no in &orders {
        let r = ask(
            &s,
            &s.resident,
            no,
            json!({ "amount": "14.50", "reason": "没送到" }),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["id"].as_i64().unwrap_or_default();
        let r = decide(
            &s,
            &s.owner,
            &format!("/after-sales/{id}/reject"),
            json!({ "reason": "已签收" }),
        )
        .await;
        assert_eq!(r.body["status"], "rejected", "{}", r.text);
        assert_eq!(r.body["merchant_reason"], "已签收");
        let r = decide(
            &s,
            &s.resident,
            &format!("/after-sales/{id}/escalate"),
            json!({ "reason": "确实没收到" }),
        )
        .await;
        assert_eq!(r.body["status"], "escalated", "{}", r.text);
        ids.push(id);
    }
    let r = ask(
        &s,
        &s.resident,
        &orders[0],
        json!({ "amount": "1.00", "reason": "再来" }),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "AFTER_SALE_OPEN"),
        "escalated is open"
    );

    let queue = app
        .get("/admin/after-sales?status=escalated", Some(&admin))
        .await;
    assert_eq!(queue.body["total"], 2, "{}", queue.text);
    let theirs = app.get("/admin/after-sales", Some(&other_admin)).await;
    assert_eq!(theirs.body["total"], 0, "{}", theirs.text);
    let r = decide(
        &s,
        &other_admin,
        &format!("/admin/after-sales/{}/approve", ids[0]),
        json!({}),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    let r = decide(
        &s,
        &s.resident,
        &format!("/admin/after-sales/{}/approve", ids[0]),
        json!({}),
    )
    .await;
    assert_eq!(r.status, 403);

    let r = decide(
        &s,
        &admin,
        &format!("/admin/after-sales/{}/approve", ids[0]),
        json!({ "reason": "配送记录缺失" }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "refunded");
    assert_eq!(r.body["decided_by"], "admin");
    let r = decide(
        &s,
        &admin,
        &format!("/admin/after-sales/{}/reject", ids[1]),
        json!({ "reason": "已签收" }),
    )
    .await;
    assert_eq!(r.body["status"], "closed", "{}", r.text);
    let r = decide(
        &s,
        &admin,
        &format!("/admin/after-sales/{}/approve", ids[1]),
        json!({}),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "INVALID_TRANSITION"),
        "closed for good"
    );
    let r = decide(
        &s,
        &s.resident,
        &format!("/after-sales/{}/escalate", ids[1]),
        json!({ "reason": "再议" }),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "INVALID_TRANSITION"));
    let admin_id = entity::admin_community::Entity::find()
        .filter(entity::admin_community::Column::CommunityId.eq(s.community))
        .one(&app.db)
        .await
        .ok()
        .flatten()
        .map(|a| a.user_id)
        .unwrap_or_default();
    assert_eq!(
        inbox_count(&s, admin_id).await,
        2,
        "each escalation reaches the admin"
    );
    // Rejected, then decided: two items for each order.
    assert_eq!(inbox_count(&s, s.resident_id).await, 4);
}
