//! Merchants' own day (issue 15): their shops, clerks at the desk, the
//! campaign list and campaign edits.

use chrono::{Duration, SubsecRound, Utc};
use entity::user;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;

use crate::group_buys::{market, neighbour, open_campaign, quiet_app, reach_cut_off};
use crate::support::TestApp;

fn ts(offset: Duration) -> String {
    (Utc::now().trunc_subsecs(0) + offset).to_rfc3339()
}

/// Gives `user_id` a bound phone, as `POST /me/phone` would.
pub async fn set_phone(app: &TestApp, user_id: i64, phone: &str) {
    user::Entity::update_many()
        .col_expr(user::Column::Phone, Expr::value(phone))
        .filter(user::Column::Id.eq(user_id))
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_clerk_works_the_desk_but_not_goods_prices_shop_campaigns_or_staff() {
    let app = quiet_app().await;
    let m = market(&app, 30).await;
    let shop = m.merchant_id;
    let gb = open_campaign(&app, &m, 20, 1, 5).await;
    let buyer = neighbour(&app, &m, "buyer").await;
    let order = app
        .post(
            &format!("/group-buys/{gb}/orders"),
            Some(&buyer),
            json!({ "quantity": 2 }),
        )
        .await;
    assert_eq!(order.status, 201, "{}", order.text);
    let (clerk, clerk_id, _) = app.resident("clerk").await;
    let (second, second_id, _) = app.resident("second-clerk").await;
    set_phone(&app, second_id, "13712345678").await;

    // Not a clerk yet: the desk is closed to them.
    let early = app
        .get(&format!("/merchants/{shop}/orders"), Some(&clerk))
        .await;
    assert_eq!((early.status.as_u16(), early.code()), (403, "FORBIDDEN"));

    // The owner adds one by user id and one by phone.
    let added = app
        .post(
            &format!("/merchants/{shop}/staff"),
            Some(&m.owner),
            json!({ "user_id": clerk_id }),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(added.body["user_id"], clerk_id);
    assert_eq!(added.body["nickname"], "居民clerk");
    let by_phone = app
        .post(
            &format!("/merchants/{shop}/staff"),
            Some(&m.owner),
            json!({ "phone": "13712345678" }),
        )
        .await;
    assert_eq!(by_phone.status, 201, "{}", by_phone.text);
    assert_eq!(by_phone.body["user_id"], second_id);
    assert_eq!(by_phone.body["phone"], "137****5678");
    for (body, status, code) in [
        (json!({ "user_id": clerk_id }), 409, "ALREADY_EXISTS"),
        (json!({}), 422, "VALIDATION_FAILED"),
        (
            json!({ "user_id": clerk_id, "phone": "13712345678" }),
            422,
            "VALIDATION_FAILED",
        ),
        (json!({ "phone": "12" }), 422, "VALIDATION_FAILED"),
        (json!({ "phone": "13000000000" }), 404, "USER_NOT_FOUND"),
        (json!({ "user_id": 999_999 }), 404, "USER_NOT_FOUND"),
    ] {
        let r = app
            .post(
                &format!("/merchants/{shop}/staff"),
                Some(&m.owner),
                body.clone(),
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (status, code),
            "{body}: {}",
            r.text
        );
    }
    let listed = app
        .get(&format!("/merchants/{shop}/staff"), Some(&m.owner))
        .await;
    assert_eq!(listed.status, 200);
    let ids: Vec<i64> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["user_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![clerk_id, second_id]);

    // Each sees the shop in their own list, as what they are.
    let mine = app.get("/merchants/me", Some(&clerk)).await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(
        mine.body,
        json!([{ "role": "clerk", "merchant": mine.body[0]["merchant"].clone() }])
    );
    assert_eq!(mine.body[0]["merchant"]["id"], shop);
    let owners = app.get("/merchants/me", Some(&m.owner)).await;
    assert_eq!(owners.body[0]["role"], "owner");
    assert_eq!(owners.body[0]["merchant"]["id"], shop);
    let (stranger, _, _) = app.resident("stranger").await;
    assert_eq!(
        app.get("/merchants/me", Some(&stranger)).await.body,
        json!([])
    );

    // The desk: orders and the pickup list.
    let orders = app
        .get(&format!("/merchants/{shop}/orders"), Some(&clerk))
        .await;
    assert_eq!(orders.status, 200, "{}", orders.text);
    assert_eq!(orders.body["total"], 1);
    let list = app
        .get(
            &format!("/merchants/{shop}/group-buys/{gb}/pickup-list"),
            Some(&clerk),
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.text);

    // Not the desk: goods, prices, the shop, campaigns, staff.
    let goods = app.get(&format!("/goods/{}", m.goods_id), None).await;
    assert_eq!(goods.body["price"], "39.90");
    let refused = [
        app.post(&format!("/merchants/{shop}/goods"), Some(&clerk),
            json!({ "category_id": 1, "name": "x", "price": "1.00", "unit": "个", "stock": 1, "images": [] })).await,
        app.patch(&format!("/goods/{}", m.goods_id), Some(&clerk), json!({ "price": "0.01" })).await,
        app.post(&format!("/goods/{}/shelf", m.goods_id), Some(&clerk), json!({ "on_shelf": false })).await,
        app.delete(&format!("/goods/{}", m.goods_id), Some(&clerk)).await,
        app.patch(&format!("/merchants/{shop}"), Some(&clerk), json!({ "name": "店员改名" })).await,
        app.post(&format!("/merchants/{shop}/staff"), Some(&clerk), json!({ "user_id": clerk_id })).await,
        app.get(&format!("/merchants/{shop}/staff"), Some(&clerk)).await,
        app.delete(&format!("/merchants/{shop}/staff/{second_id}"), Some(&clerk)).await,
        app.patch(&format!("/group-buys/{gb}"), Some(&clerk), json!({ "title": "店员改的" })).await,
        app.get(&format!("/merchants/{shop}/group-buys"), Some(&clerk)).await,
    ];
    for r in refused {
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (403, "FORBIDDEN"),
            "{}",
            r.text
        );
    }
    let goods = app.get(&format!("/goods/{}", m.goods_id), None).await;
    assert_eq!(goods.body["price"], "39.90", "the price is untouched");
    assert_eq!(goods.body["on_shelf"], true);
    let shop_now = app.get(&format!("/merchants/{shop}"), None).await;
    assert_eq!(shop_now.body["name"], "老王水果店");
    let campaign = app.get(&format!("/group-buys/{gb}"), None).await;
    assert_eq!(campaign.body["title"], "脐橙团购");
    assert_eq!(
        app.get(&format!("/merchants/{shop}/staff"), Some(&m.owner))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The counter: the clerk hands the order over with its code.
    reach_cut_off(&app, gb).await;
    yizhan::group_buys::settlement::sweep(&app.db, &app.state_cache())
        .await
        .unwrap();
    let order_no = order.body["order_no"].as_str().unwrap();
    let code = app
        .get(&format!("/orders/{order_no}"), Some(&buyer))
        .await
        .body["pickup_code"]
        .as_str()
        .expect("pickup code")
        .to_owned();
    let seen = app
        .get(&format!("/merchants/{shop}/pickups/{code}"), Some(&clerk))
        .await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    let handed = app
        .post(
            &format!("/merchants/{shop}/pickups"),
            Some(&clerk),
            json!({ "pickup_code": code }),
        )
        .await;
    assert_eq!(handed.status, 200, "{}", handed.text);
    assert_eq!(handed.body["status"], "picked_up");

    // Removed: the next desk request is refused; removing again is 404.
    let gone = app
        .delete(
            &format!("/merchants/{shop}/staff/{clerk_id}"),
            Some(&m.owner),
        )
        .await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    let after = app
        .get(&format!("/merchants/{shop}/orders"), Some(&clerk))
        .await;
    assert_eq!((after.status.as_u16(), after.code()), (403, "FORBIDDEN"));
    assert_eq!(app.get("/merchants/me", Some(&clerk)).await.body, json!([]));
    let again = app
        .delete(
            &format!("/merchants/{shop}/staff/{clerk_id}"),
            Some(&m.owner),
        )
        .await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (404, "STAFF_NOT_FOUND")
    );
    // The other clerk still works.
    assert_eq!(
        app.get(&format!("/merchants/{shop}/orders"), Some(&second))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn an_owner_of_two_shops_sees_both_and_another_owner_adds_no_clerks_to_them() {
    let app = quiet_app().await;
    let m = market(&app, 10).await;
    // The same owner runs a second shop (a second application, approved).
    let applied = app
        .post(
            "/merchant-applications",
            Some(&m.owner),
            TestApp::application_body("老王二店", &[m.community_id]),
        )
        .await;
    assert_eq!(applied.status, 201, "{}", applied.text);
    let second = app
        .post(
            &format!(
                "/admin/merchant-applications/{}/approve",
                applied.body["id"]
            ),
            Some(&m.platform),
            json!({}),
        )
        .await;
    let second_id = second.body["merchant_id"].as_i64().unwrap();
    let mine = app.get("/merchants/me", Some(&m.owner)).await;
    let ids: Vec<i64> = mine
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["merchant"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![m.merchant_id, second_id]);

    let (other_shop, other_owner) = app
        .approved_merchant(&m.platform, &[m.community_id], "other-owner")
        .await;
    let (_, clerk_id, _) = app.resident("would-be-clerk").await;
    let r = app
        .post(
            &format!("/merchants/{}/staff", m.merchant_id),
            Some(&other_owner),
            json!({ "user_id": clerk_id }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    let r = app
        .post(
            &format!("/merchants/{other_shop}/staff"),
            Some(&other_owner),
            json!({ "user_id": clerk_id }),
        )
        .await;
    assert_eq!(r.status, 201);
    // A clerk of another shop is nobody at this one.
    let (clerk, _, _) = app.resident("would-be-clerk").await;
    let r = app
        .get(
            &format!("/merchants/{}/orders", m.merchant_id),
            Some(&clerk),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    let r = app
        .post(
            "/merchants/999999/staff",
            Some(&other_owner),
            json!({ "user_id": clerk_id }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "MERCHANT_NOT_FOUND"));
    assert_eq!(app.get("/merchants/me", None).await.status, 401);
}

#[tokio::test]
async fn the_owner_edits_an_upcoming_campaign_but_not_the_terms_of_a_started_one() {
    let app = quiet_app().await;
    let m = market(&app, 50).await;
    let shop = m.merchant_id;
    let upcoming = app
        .post(
            &format!("/merchants/{shop}/group-buys"),
            Some(&m.owner),
            json!({
                "goods_id": m.goods_id, "title": "下周脐橙", "group_price": "29.90",
                "min_quantity": 2, "total_quantity": 10, "per_user_limit": 3,
                "starts_at": ts(Duration::hours(1)), "ends_at": ts(Duration::hours(5)),
                "pickup_address": "服务中心", "pickup_starts_at": ts(Duration::hours(6)),
                "pickup_ends_at": ts(Duration::hours(9)), "community_ids": [m.community_id]
            }),
        )
        .await;
    assert_eq!(upcoming.status, 201, "{}", upcoming.text);
    let up = upcoming.body["id"].as_i64().unwrap();
    let ongoing = open_campaign(&app, &m, 10, 1, 5).await;
    // Warm the public cache: the edit must show at once.
    assert_eq!(
        app.get(&format!("/group-buys/{up}"), None).await.body["title"],
        "下周脐橙"
    );

    let pickup_start = ts(Duration::hours(7));
    let edited = app
        .patch(
            &format!("/group-buys/{up}"),
            Some(&m.owner),
            json!({ "title": "  周末脐橙 ", "description": " 赣南脐橙，现摘现发 ", "pickup_address": "东门岗亭",
                    "pickup_starts_at": pickup_start, "group_price": "25.00", "per_user_limit": 2, "min_quantity": 3 }),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert_eq!(edited.body["title"], "周末脐橙");
    assert_eq!(edited.body["group_price"], "25.00");
    let public = app.get(&format!("/group-buys/{up}"), None).await;
    assert_eq!(public.body["title"], "周末脐橙");
    assert_eq!(public.body["pickup_address"], "东门岗亭");
    assert_eq!(public.body["description"], "赣南脐橙，现摘现发");
    assert_eq!(public.body["per_user_limit"], 2);
    assert_eq!(public.body["min_quantity"], 3);
    assert_eq!(public.body["status"], "upcoming");

    // Every bad field at once; nothing changes.
    let bad = app
        .patch(
            &format!("/group-buys/{up}"),
            Some(&m.owner),
            json!({ "title": "", "description": "长".repeat(501), "group_price": "99.00",
                    "pickup_ends_at": ts(Duration::hours(6)) }),
        )
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (422, "VALIDATION_FAILED"),
        "{}",
        bad.text
    );
    let mut fields = bad.fields();
    fields.sort();
    assert_eq!(
        fields,
        vec!["description", "group_price", "pickup_ends_at", "title"]
    );
    assert_eq!(
        app.get(&format!("/group-buys/{up}"), None).await.body["description"],
        "赣南脐橙，现摘现发",
        "nothing changed"
    );
    let unknown = app
        .patch(
            &format!("/group-buys/{up}"),
            Some(&m.owner),
            json!({ "total_quantity": 99 }),
        )
        .await;
    assert_eq!(unknown.status.as_u16() / 100, 4, "{}", unknown.text);
    assert_eq!(
        app.get(&format!("/group-buys/{up}"), None).await.body["total_quantity"],
        10
    );

    // Started: title and pickup yes, the terms no.
    let terms = app
        .patch(
            &format!("/group-buys/{ongoing}"),
            Some(&m.owner),
            json!({ "group_price": "1.00" }),
        )
        .await;
    assert_eq!(
        (terms.status.as_u16(), terms.code()),
        (409, "INVALID_TRANSITION")
    );
    let ends = app
        .patch(
            &format!("/group-buys/{ongoing}"),
            Some(&m.owner),
            json!({ "ends_at": ts(Duration::hours(30)) }),
        )
        .await;
    assert_eq!(
        (ends.status.as_u16(), ends.code()),
        (409, "INVALID_TRANSITION")
    );
    let title = app
        .patch(
            &format!("/group-buys/{ongoing}"),
            Some(&m.owner),
            json!({ "title": "改个标题", "pickup_address": "西门" }),
        )
        .await;
    assert_eq!(title.status, 200, "{}", title.text);
    let public = app.get(&format!("/group-buys/{ongoing}"), None).await;
    assert_eq!(
        (
            public.body["group_price"].as_str(),
            public.body["title"].as_str()
        ),
        (Some("29.90"), Some("改个标题"))
    );

    // Ended: nothing.
    reach_cut_off(&app, ongoing).await;
    let late = app
        .patch(
            &format!("/group-buys/{ongoing}"),
            Some(&m.owner),
            json!({ "title": "太晚了" }),
        )
        .await;
    assert_eq!(
        (late.status.as_u16(), late.code()),
        (409, "INVALID_TRANSITION")
    );

    // Someone else's campaign: 403; a missing one: 404.
    let (_, other) = app
        .approved_merchant(&m.platform, &[m.community_id], "other")
        .await;
    let r = app
        .patch(
            &format!("/group-buys/{up}"),
            Some(&other),
            json!({ "title": "抢来的" }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    let r = app
        .patch(
            "/group-buys/999999",
            Some(&m.owner),
            json!({ "title": "无" }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "GROUP_BUY_NOT_FOUND"));

    // The owner's list, every status, filtered.
    let all = app
        .get(&format!("/merchants/{shop}/group-buys"), Some(&m.owner))
        .await;
    assert_eq!(all.body["total"], 2);
    let only = app
        .get(
            &format!("/merchants/{shop}/group-buys?status=upcoming"),
            Some(&m.owner),
        )
        .await;
    assert_eq!(only.body["total"], 1);
    assert_eq!(only.body["items"][0]["id"], up);
}
