//! Group-buys and orders: the money path.

use chrono::{Duration, SubsecRound, Utc};
use entity::group_buy::CampaignState;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, spawn_app_with, spawn_sibling};

/// A community with an approved merchant selling one goods item.
pub struct Market {
    pub platform: String,
    pub community_id: i64,
    pub building_id: i64,
    pub merchant_id: i64,
    pub owner: String,
    pub goods_id: i64,
}

pub async fn market(app: &TestApp, stock: i64) -> Market {
    let platform = app.platform_admin().await;
    let (community_id, _, building_id) = app.community_with_building(&platform, "团购社区").await;
    let admin = app.community_admin(&platform, &[community_id]).await;
    let (owner, _, _) = app.resident("merchant-owner").await;
    let apply = app
        .post(
            "/merchant-applications",
            Some(&owner),
            json!({
                "name": "老王水果店", "category": "果蔬生鲜", "license_no": "91420100MA4K000000",
                "contact_name": "王老板", "contact_phone": "13900001111", "address": "人民路8号",
                "lat": 30.5, "lng": 114.3, "community_ids": [community_id]
            }),
        )
        .await;
    assert_eq!(apply.status, 201, "{}", apply.text);
    let approve = app
        .call(
            Method::POST,
            &format!("/admin/merchant-applications/{}/approve", apply.body["id"]),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(approve.status, 200, "{}", approve.text);
    let merchant_id = approve.body["merchant_id"].as_i64().expect("merchant id");
    let categories = app.get("/goods-categories", None).await;
    let leaf = categories.body.as_array().unwrap()[0]["children"][0]["id"]
        .as_i64()
        .expect("leaf category");
    let goods = app
        .post(
            &format!("/merchants/{merchant_id}/goods"),
            Some(&owner),
            json!({ "category_id": leaf, "name": "赣南脐橙", "description": "现摘", "price": "39.90",
                    "unit": "箱", "stock": stock, "images": [] }),
        )
        .await;
    assert_eq!(goods.status, 201, "{}", goods.text);
    Market {
        platform,
        community_id,
        building_id,
        merchant_id,
        owner,
        goods_id: goods.body["id"].as_i64().unwrap(),
    }
}

fn ts(offset: Duration) -> String {
    (Utc::now().trunc_subsecs(0) + offset).to_rfc3339()
}

fn campaign(m: &Market, total: i64, min: i64, limit: i64) -> Value {
    json!({
        "goods_id": m.goods_id, "title": "脐橙团购", "group_price": "29.90",
        "min_quantity": min, "total_quantity": total, "per_user_limit": limit,
        "starts_at": ts(Duration::seconds(-60)), "ends_at": ts(Duration::hours(2)),
        "pickup_address": "社区服务中心一楼", "pickup_starts_at": ts(Duration::hours(3)),
        "pickup_ends_at": ts(Duration::hours(8)), "community_ids": [m.community_id]
    })
}

pub async fn open_campaign(app: &TestApp, m: &Market, total: i64, min: i64, limit: i64) -> i64 {
    let r = app
        .post(
            &format!("/merchants/{}/group-buys", m.merchant_id),
            Some(&m.owner),
            campaign(m, total, min, limit),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_i64().unwrap()
}

/// A resident living in the market's community.
/// `n` residents of the market's building, `{prefix}-0` ...: their tokens.
async fn neighbours(app: &TestApp, m: &Market, prefix: &str, n: usize) -> Vec<String> {
    let mut tokens = Vec::with_capacity(n);
    for i in 0..n {
        tokens.push(neighbour(app, m, &format!("{prefix}-{i}")).await);
    }
    tokens
}

pub async fn neighbour(app: &TestApp, m: &Market, openid: &str) -> String {
    let (token, _, _) = app.resident(openid).await;
    let r = app
        .patch("/me", Some(&token), json!({ "building_id": m.building_id }))
        .await;
    assert_eq!(r.status, 200);
    token
}

/// A campaign's ordered quantity, orders count and remaining quantity as the
/// public sees them, and the number of its orders its merchant sees.
async fn progress(app: &TestApp, m: &Market, id: i64) -> (i64, i64, i64, i64) {
    let gb = app.get(&format!("/group-buys/{id}"), None).await;
    let orders = app
        .get(
            &format!(
                "/merchants/{}/orders?group_buy_id={id}&page_size=100",
                m.merchant_id
            ),
            Some(&m.owner),
        )
        .await;
    let n = |v: &Value| v.as_i64().unwrap_or(-1);
    (
        n(&gb.body["ordered_quantity"]),
        n(&gb.body["orders_count"]),
        n(&gb.body["remaining_quantity"]),
        n(&orders.body["total"]),
    )
}

async fn goods_stock(app: &TestApp, m: &Market) -> i64 {
    let r = app
        .get(
            &format!("/merchants/{}/goods", m.merchant_id),
            Some(&m.owner),
        )
        .await;
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == m.goods_id)
        .unwrap()["stock"]
        .as_i64()
        .unwrap()
}

/// Moves a campaign's cut-off into the past, as time would.
pub async fn reach_cut_off(app: &TestApp, id: i64) {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let past = Utc::now().trunc_subsecs(0) - Duration::seconds(1);
    let backend = app.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "UPDATE group_buys SET ends_at = $1 WHERE id = $2",
        _ => "UPDATE group_buys SET ends_at = ? WHERE id = ?",
    };
    app.db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [past.into(), id.into()],
        ))
        .await
        .unwrap();
}

pub async fn quiet_app() -> TestApp {
    // The background sweep is slowed down so tests decide when settlement runs.
    spawn_app_with(|s| {
        s.jobs.sweep_interval_ms = 3_600_000;
        s.rate_limit.login_per_minute = 100_000;
    })
    .await
}

#[tokio::test]
async fn a_campaign_reserves_stock_and_shows_progress() {
    let app = quiet_app().await;
    let m = market(&app, 500).await;
    let id = open_campaign(&app, &m, 100, 10, 5).await;
    assert_eq!(goods_stock(&app, &m).await, 400);

    let r = app
        .get(
            &format!("/group-buys?community_id={}", m.community_id),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["total"], 1);
    let gb = &r.body["items"][0];
    assert_eq!(gb["id"], id);
    assert_eq!(gb["status"], "ongoing");
    assert_eq!(gb["group_price"], "29.90");
    assert_eq!(
        (
            gb["ordered_quantity"].as_i64(),
            gb["remaining_quantity"].as_i64(),
            gb["min_quantity"].as_i64()
        ),
        (Some(0), Some(100), Some(10))
    );

    let buyer = neighbour(&app, &m, "buyer").await;
    let o = app
        .post(
            &format!("/group-buys/{id}/orders"),
            Some(&buyer),
            json!({ "quantity": 3 }),
        )
        .await;
    assert_eq!(o.status, 201, "{}", o.text);
    assert_eq!(o.body["status"], "placed");
    assert_eq!(o.body["amount"], "89.70");
    assert_eq!(o.body["unit_price"], "29.90");
    assert_eq!(o.body["payment_provider"], "offline");
    assert!(o.body["order_no"].as_str().unwrap().len() >= 20);
    assert_eq!(o.body["pickup_code"], Value::Null);

    let detail = app.get(&format!("/group-buys/{id}"), None).await;
    assert_eq!(
        (
            detail.body["ordered_quantity"].as_i64(),
            detail.body["orders_count"].as_i64(),
            detail.body["remaining_quantity"].as_i64()
        ),
        (Some(3), Some(1), Some(97))
    );
    let elsewhere = app.get("/group-buys?community_id=987654", None).await;
    assert_eq!(elsewhere.body["total"], 0);
}

#[tokio::test]
async fn campaign_input_is_validated_and_ownership_enforced() {
    let app = quiet_app().await;
    let m = market(&app, 50).await;
    let path = format!("/merchants/{}/group-buys", m.merchant_id);
    let mut bad = campaign(&m, 10, 11, 0);
    bad["group_price"] = json!("45.00");
    bad["title"] = json!("");
    bad["pickup_starts_at"] = json!(ts(Duration::hours(1)));
    bad["community_ids"] = json!([987654]);
    let r = app.post(&path, Some(&m.owner), bad).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let mut fields = r.fields();
    fields.sort();
    fields.dedup();
    assert_eq!(
        fields,
        vec![
            "community_ids",
            "group_price",
            "min_quantity",
            "per_user_limit",
            "pickup_starts_at",
            "title"
        ]
    );
    let r = app
        .post(
            &path,
            Some(&m.owner),
            json!({ "goods_id": m.goods_id, "group_price": "1.234" }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(goods_stock(&app, &m).await, 50, "nothing reserved");

    let short = app
        .post(&path, Some(&m.owner), campaign(&m, 60, 1, 1))
        .await;
    assert_eq!(
        (short.status.as_u16(), short.code()),
        (409, "INSUFFICIENT_STOCK")
    );
    assert_eq!(goods_stock(&app, &m).await, 50);

    let (stranger, _, _) = app.resident("stranger").await;
    let r = app
        .post(&path, Some(&stranger), campaign(&m, 10, 1, 1))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    assert_eq!(app.get("/group-buys", None).await.body["total"], 0);
}

#[tokio::test]
async fn three_hundred_residents_race_for_one_hundred_units() {
    let app = quiet_app().await;
    let m = market(&app, 100).await;
    let id = open_campaign(&app, &m, 100, 10, 1).await;
    let tokens = neighbours(&app, &m, "racer", 300).await;
    let path = format!("/group-buys/{id}/orders");
    let replies = futures_util::future::join_all(
        tokens
            .iter()
            .map(|t| app.post(&path, Some(t), json!({ "quantity": 1 }))),
    )
    .await;
    let placed = replies.iter().filter(|r| r.status == 201).count();
    let sold_out = replies
        .iter()
        .filter(|r| r.status == 409 && r.code() == "SOLD_OUT")
        .count();
    assert_eq!(
        (placed, sold_out),
        (100, 200),
        "{:?}",
        replies
            .iter()
            .map(|r| r.code().to_owned())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        progress(&app, &m, id).await,
        (100, 100, 0, 100),
        "ordered, orders, remaining, orders the merchant sees"
    );
    assert_eq!(goods_stock(&app, &m).await, 0);
}

#[tokio::test]
async fn one_resident_firing_twenty_orders_gets_at_most_the_limit() {
    let app = quiet_app().await;
    let m = market(&app, 100).await;
    let id = open_campaign(&app, &m, 100, 1, 2).await;
    let buyer = neighbour(&app, &m, "greedy").await;
    let path = format!("/group-buys/{id}/orders");
    let replies = futures_util::future::join_all(
        (0..20).map(|_| app.post(&path, Some(&buyer), json!({ "quantity": 1 }))),
    )
    .await;
    let placed = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(placed, 2);
    assert!(
        replies
            .iter()
            .filter(|r| r.status != 201)
            .all(|r| r.code() == "PER_USER_LIMIT")
    );
    let mine = app.get("/me/orders", Some(&buyer)).await;
    assert_eq!(mine.body["total"], 2);
    let over = app
        .post(&path, Some(&buyer), json!({ "quantity": 3 }))
        .await;
    assert_eq!((over.status.as_u16(), over.code()), (409, "PER_USER_LIMIT"));

    // Cancelling one frees one unit of the limit.
    let order_no = mine.body["items"][0]["order_no"]
        .as_str()
        .unwrap()
        .to_owned();
    let c = app
        .call(
            Method::POST,
            &format!("/orders/{order_no}/cancel"),
            Some(&buyer),
            None,
        )
        .await;
    assert_eq!(
        (c.status.as_u16(), c.body["status"].as_str()),
        (200, Some("cancelled"))
    );
    assert_eq!(
        app.post(&path, Some(&buyer), json!({ "quantity": 1 }))
            .await
            .status,
        201
    );
    assert_eq!(
        app.post(&path, Some(&buyer), json!({ "quantity": 1 }))
            .await
            .code(),
        "PER_USER_LIMIT"
    );
    let gb = app.get(&format!("/group-buys/{id}"), None).await;
    assert_eq!(gb.body["ordered_quantity"], 2);
}

#[tokio::test]
async fn orders_are_private_to_their_resident() {
    let app = quiet_app().await;
    let m = market(&app, 10).await;
    let id = open_campaign(&app, &m, 10, 1, 5).await;
    let alice = neighbour(&app, &m, "alice").await;
    let bob = neighbour(&app, &m, "bob").await;
    let o = app
        .post(
            &format!("/group-buys/{id}/orders"),
            Some(&alice),
            json!({ "quantity": 1 }),
        )
        .await;
    let order_no = o.body["order_no"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get(&format!("/orders/{order_no}"), Some(&alice))
            .await
            .status,
        200
    );
    let peek = app.get(&format!("/orders/{order_no}"), Some(&bob)).await;
    assert_eq!(
        (peek.status.as_u16(), peek.code()),
        (404, "ORDER_NOT_FOUND")
    );
    let steal = app
        .call(
            Method::POST,
            &format!("/orders/{order_no}/cancel"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(steal.status, 404);
    assert_eq!(app.get("/me/orders", Some(&bob)).await.body["total"], 0);
    assert_eq!(
        app.get(&format!("/orders/{order_no}"), None).await.status,
        401
    );
    assert_eq!(
        app.get(&format!("/orders/{order_no}"), Some(&alice))
            .await
            .body["status"],
        "placed"
    );

    // Outside the campaign's communities: refused.
    let (outsider, _, _) = app.resident("outsider").await;
    let r = app
        .post(
            &format!("/group-buys/{id}/orders"),
            Some(&outsider),
            json!({ "quantity": 1 }),
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn success_at_cut_off_gives_pickup_codes_returns_unsold_stock_and_codes_work_once() {
    let app = quiet_app().await;
    let m = market(&app, 30).await;
    let id = open_campaign(&app, &m, 20, 2, 5).await;
    let a = neighbour(&app, &m, "a").await;
    let b = neighbour(&app, &m, "b").await;
    let oa = app
        .post(
            &format!("/group-buys/{id}/orders"),
            Some(&a),
            json!({ "quantity": 2 }),
        )
        .await;
    let ob = app
        .post(
            &format!("/group-buys/{id}/orders"),
            Some(&b),
            json!({ "quantity": 1 }),
        )
        .await;
    assert_eq!((oa.status.as_u16(), ob.status.as_u16()), (201, 201));
    assert_eq!(goods_stock(&app, &m).await, 10);

    reach_cut_off(&app, id).await;
    let late = app
        .post(
            &format!("/group-buys/{id}/orders"),
            Some(&a),
            json!({ "quantity": 1 }),
        )
        .await;
    assert_eq!((late.status.as_u16(), late.code()), (409, "NOT_ONGOING"));
    let oa_no = oa.body["order_no"].as_str().unwrap();
    let cancel_late = app
        .call(
            Method::POST,
            &format!("/orders/{oa_no}/cancel"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (cancel_late.status.as_u16(), cancel_late.code()),
        (409, "INVALID_TRANSITION")
    );

    let settled = yizhan::group_buys::settlement::sweep(&app.db, &app.state_cache())
        .await
        .unwrap();
    assert_eq!(settled.len(), 1);
    assert_eq!(settled[0].outcome, CampaignState::Succeeded);
    let again = yizhan::group_buys::settlement::sweep(&app.db, &app.state_cache())
        .await
        .unwrap();
    assert!(again.is_empty(), "settles once");

    let gb = app.get(&format!("/group-buys/{id}"), None).await;
    assert_eq!(gb.body["status"], "succeeded");
    assert_eq!(goods_stock(&app, &m).await, 27, "17 unsold units returned");

    let mine = app.get(&format!("/orders/{oa_no}"), Some(&a)).await;
    assert_eq!(mine.body["status"], "awaiting_pickup");
    let code = mine.body["pickup_code"]
        .as_str()
        .expect("pickup code")
        .to_owned();
    assert_eq!(code.len(), 8);
    // The merchant's list never shows codes of other people's orders in JSON.
    let list = app
        .get(
            &format!(
                "/merchants/{}/orders?group_buy_id={id}&status=awaiting_pickup",
                m.merchant_id
            ),
            Some(&m.owner),
        )
        .await;
    assert_eq!(list.body["total"], 2);
    assert!(!list.text.contains(&code));

    // Hardening 10: a nickname starting with tab or carriage return (as a
    // WeChat profile may carry) is defused like any formula.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    for (openid, nickname) in [("a", "\t=HYPERLINK(\"http://x\")"), ("b", "\r+1")] {
        entity::user::Entity::update_many()
            .col_expr(entity::user::Column::Nickname, Expr::value(nickname))
            .filter(entity::user::Column::Openid.eq(openid))
            .exec(&app.db)
            .await
            .unwrap();
    }
    let csv = app
        .send(
            app.client
                .get(app.url(&format!(
                    "/merchants/{}/group-buys/{id}/pickup-list",
                    m.merchant_id
                )))
                .bearer_auth(&m.owner),
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.text
            .starts_with("order_no,nickname,phone,quantity,pickup_code,status\n")
    );
    assert!(csv.text.contains(&code));
    assert!(
        csv.text.contains(",\"'\t=HYPERLINK(\"\"http://x\"\")\",")
            && csv.text.contains(",\"'\r+1\","),
        "{:?}",
        csv.text
    );
    assert_eq!(csv.text.split('\n').count(), 4);

    let wrong = app
        .post(
            &format!("/merchants/{}/pickups", m.merchant_id),
            Some(&m.owner),
            json!({ "pickup_code": "00000000x" }),
        )
        .await;
    assert_eq!(
        (wrong.status.as_u16(), wrong.code()),
        (409, "PICKUP_CODE_INVALID")
    );
    let ok = app
        .post(
            &format!("/merchants/{}/pickups", m.merchant_id),
            Some(&m.owner),
            json!({ "pickup_code": code }),
        )
        .await;
    assert_eq!(
        (ok.status.as_u16(), ok.body["status"].as_str()),
        (200, Some("picked_up"))
    );
    let reuse = app
        .post(
            &format!("/merchants/{}/pickups", m.merchant_id),
            Some(&m.owner),
            json!({ "pickup_code": code }),
        )
        .await;
    assert_eq!(
        (reuse.status.as_u16(), reuse.code()),
        (409, "PICKUP_CODE_INVALID")
    );
    assert_eq!(
        app.get(&format!("/orders/{oa_no}"), Some(&a)).await.body["status"],
        "picked_up"
    );
    let goods = app.get(&format!("/goods/{}", m.goods_id), None).await;
    assert_eq!(goods.body["sales"], 2);
}

#[tokio::test]
async fn another_merchant_cannot_use_a_code() {
    let app = quiet_app().await;
    let m = market(&app, 10).await;
    let id = open_campaign(&app, &m, 5, 1, 5).await;
    let a = neighbour(&app, &m, "a").await;
    let o = app
        .post(
            &format!("/group-buys/{id}/orders"),
            Some(&a),
            json!({ "quantity": 1 }),
        )
        .await;
    reach_cut_off(&app, id).await;
    yizhan::group_buys::settlement::sweep(&app.db, &app.state_cache())
        .await
        .unwrap();
    let code = app
        .get(
            &format!("/orders/{}", o.body["order_no"].as_str().unwrap()),
            Some(&a),
        )
        .await
        .body["pickup_code"]
        .as_str()
        .unwrap()
        .to_owned();

    // A second merchant, owned by someone else.
    let (owner2, _, _) = app.resident("owner2").await;
    let admin = app.community_admin(&m.platform, &[m.community_id]).await;
    let apply = app
        .post("/merchant-applications", Some(&owner2), json!({
            "name": "另一家店", "category": "预包装食品", "license_no": "91420100MA4K000001", "contact_name": "李",
            "contact_phone": "13900002222", "address": "人民路9号", "lat": 30.5, "lng": 114.3, "community_ids": [m.community_id]
        }))
        .await;
    let approve = app
        .call(
            Method::POST,
            &format!("/admin/merchant-applications/{}/approve", apply.body["id"]),
            Some(&admin),
            None,
        )
        .await;
    let other = approve.body["merchant_id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/merchants/{other}/pickups"),
            Some(&owner2),
            json!({ "pickup_code": code }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "PICKUP_CODE_INVALID"));
    let r = app
        .post(
            &format!("/merchants/{}/pickups", m.merchant_id),
            Some(&owner2),
            json!({ "pickup_code": code }),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        app.get(
            &format!("/orders/{}", o.body["order_no"].as_str().unwrap()),
            Some(&a)
        )
        .await
        .body["status"],
        "awaiting_pickup"
    );
}

#[tokio::test]
async fn failure_at_cut_off_cancels_every_order_and_returns_all_stock() {
    let app = quiet_app().await;
    let m = market(&app, 40).await;
    let id = open_campaign(&app, &m, 30, 10, 5).await;
    let a = neighbour(&app, &m, "a").await;
    let o = app
        .post(
            &format!("/group-buys/{id}/orders"),
            Some(&a),
            json!({ "quantity": 3 }),
        )
        .await;
    reach_cut_off(&app, id).await;
    let settled = yizhan::group_buys::settlement::sweep(&app.db, &app.state_cache())
        .await
        .unwrap();
    assert_eq!(settled[0].outcome, CampaignState::Failed);
    assert_eq!(
        app.get(&format!("/group-buys/{id}"), None).await.body["status"],
        "failed"
    );
    assert_eq!(
        app.get(
            &format!("/group-buys?status=failed&community_id={}", m.community_id),
            None
        )
        .await
        .body["total"],
        1
    );
    let mine = app
        .get(
            &format!("/orders/{}", o.body["order_no"].as_str().unwrap()),
            Some(&a),
        )
        .await;
    assert_eq!(mine.body["status"], "cancelled");
    assert_eq!(mine.body["pickup_code"], Value::Null);
    assert_eq!(goods_stock(&app, &m).await, 40);
}

#[tokio::test]
async fn two_instances_settling_at_once_settle_once() {
    let app = quiet_app().await;
    let sibling = spawn_sibling(&app).await;
    let m = market(&app, 10).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(open_campaign(&app, &m, 3, 1, 3).await);
    }
    let a = neighbour(&app, &m, "a").await;
    for id in &ids {
        assert_eq!(
            app.post(
                &format!("/group-buys/{id}/orders"),
                Some(&a),
                json!({ "quantity": 1 })
            )
            .await
            .status,
            201
        );
        reach_cut_off(&app, *id).await;
    }
    let cache_a = app.state_cache();
    let cache_b = sibling.state_cache();
    let (x, y) = tokio::join!(
        yizhan::group_buys::settlement::sweep(&app.db, &cache_a),
        yizhan::group_buys::settlement::sweep(&sibling.db, &cache_b)
    );
    let mut all: Vec<i64> = x
        .unwrap()
        .into_iter()
        .chain(y.unwrap())
        .map(|s| s.group_buy_id)
        .collect();
    all.sort_unstable();
    assert_eq!(
        all, ids,
        "each campaign settled exactly once across both instances"
    );
    let mine = app.get("/me/orders?status=awaiting_pickup", Some(&a)).await;
    assert_eq!(mine.body["total"], 3);
    let codes: std::collections::HashSet<&str> = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["pickup_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 3);
    assert_eq!(goods_stock(&app, &m).await, 10 - 9 + 6);
}

#[tokio::test]
async fn merchant_cancellation_cancels_live_orders_and_returns_stock() {
    let app = quiet_app().await;
    let m = market(&app, 20).await;
    let id = open_campaign(&app, &m, 10, 5, 5).await;
    let a = neighbour(&app, &m, "a").await;
    let o = app
        .post(
            &format!("/group-buys/{id}/orders"),
            Some(&a),
            json!({ "quantity": 2 }),
        )
        .await;
    let (stranger, _, _) = app.resident("x").await;
    let r = app
        .call(
            Method::POST,
            &format!("/group-buys/{id}/cancel"),
            Some(&stranger),
            None,
        )
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .call(
            Method::POST,
            &format!("/group-buys/{id}/cancel"),
            Some(&m.owner),
            None,
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["status"].as_str()),
        (200, Some("cancelled"))
    );
    let again = app
        .call(
            Method::POST,
            &format!("/group-buys/{id}/cancel"),
            Some(&m.owner),
            None,
        )
        .await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "INVALID_TRANSITION")
    );
    assert_eq!(
        app.get(
            &format!("/orders/{}", o.body["order_no"].as_str().unwrap()),
            Some(&a)
        )
        .await
        .body["status"],
        "cancelled"
    );
    assert_eq!(goods_stock(&app, &m).await, 20);
    let late = app
        .post(
            &format!("/group-buys/{id}/orders"),
            Some(&a),
            json!({ "quantity": 1 }),
        )
        .await;
    assert_eq!(late.code(), "NOT_ONGOING");

    // A community admin of the campaign's community may cancel too.
    let id2 = open_campaign(&app, &m, 10, 5, 5).await;
    let admin = app.community_admin(&m.platform, &[m.community_id]).await;
    let r = app
        .call(
            Method::POST,
            &format!("/group-buys/{id2}/cancel"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn pay_offline_confirms_and_bad_providers_are_rejected() {
    let app = quiet_app().await;
    let m = market(&app, 10).await;
    let id = open_campaign(&app, &m, 5, 1, 5).await;
    let a = neighbour(&app, &m, "a").await;
    let o = app
        .post(
            &format!("/group-buys/{id}/orders"),
            Some(&a),
            json!({ "quantity": 2 }),
        )
        .await;
    let no = o.body["order_no"].as_str().unwrap();
    let r = app
        .post(
            &format!("/orders/{no}/pay"),
            Some(&a),
            json!({ "provider": "offline" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["pay_at_pickup"], true);
    assert_eq!(r.body["amount"], "59.80");
    let r = app
        .post(
            &format!("/orders/{no}/pay"),
            Some(&a),
            json!({ "provider": "bitcoin" }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["provider".to_owned()])
    );
    let r = app
        .post(
            &format!("/orders/{no}/pay"),
            Some(&a),
            json!({ "provider": "wechat" }),
        )
        .await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn a_suspended_merchants_campaigns_vanish_and_take_no_orders() {
    let app = quiet_app().await;
    let m = market(&app, 10).await;
    let id = open_campaign(&app, &m, 5, 1, 5).await;
    let a = neighbour(&app, &m, "a").await;
    assert_eq!(
        app.get(&format!("/group-buys/{id}"), None).await.status,
        200
    );
    // An order before: the campaign as orders see it is cached now.
    let path = format!("/group-buys/{id}/orders");
    let first = app.post(&path, Some(&a), json!({ "quantity": 1 })).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let admin = app.community_admin(&m.platform, &[m.community_id]).await;
    let s = app
        .call(
            Method::POST,
            &format!("/admin/merchants/{}/suspend", m.merchant_id),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s.status, 200, "{}", s.text);
    assert_eq!(
        app.get(&format!("/group-buys/{id}"), None).await.status,
        404
    );
    assert_eq!(
        app.get(
            &format!("/group-buys?community_id={}", m.community_id),
            None
        )
        .await
        .body["total"],
        0
    );
    let r = app.post(&path, Some(&a), json!({ "quantity": 1 })).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "GROUP_BUY_NOT_FOUND"));
    assert_eq!(app.get("/me/orders", Some(&a)).await.body["total"], 1);
    let back = app
        .call(
            Method::POST,
            &format!("/admin/merchants/{}/reinstate", m.merchant_id),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(back.status, 200);
    assert_eq!(
        app.get(&format!("/group-buys/{id}"), None).await.status,
        200
    );
    let again = app.post(&path, Some(&a), json!({ "quantity": 1 })).await;
    assert_eq!(again.status, 201, "{}", again.text);
}

#[tokio::test]
async fn unpaid_orders_expire_and_release_their_quantity() {
    let app = spawn_app_with(|s| {
        s.jobs.sweep_interval_ms = 3_600_000;
        s.payments.provider = yizhan::settings::PaymentProvider::Wechat;
        s.payments.payment_timeout_secs = 0;
    })
    .await;
    let m = market(&app, 10).await;
    let id = open_campaign(&app, &m, 2, 1, 2).await;
    let a = neighbour(&app, &m, "a").await;
    let o = app
        .post(
            &format!("/group-buys/{id}/orders"),
            Some(&a),
            json!({ "quantity": 2 }),
        )
        .await;
    assert_eq!(
        (o.status.as_u16(), o.body["status"].as_str()),
        (201, Some("pending_payment"))
    );
    let b = neighbour(&app, &m, "b").await;
    assert_eq!(
        app.post(
            &format!("/group-buys/{id}/orders"),
            Some(&b),
            json!({ "quantity": 1 })
        )
        .await
        .code(),
        "SOLD_OUT"
    );
    // WeChat Pay is not configured in this build: a clear 503, nothing changes.
    let pay = app
        .post(
            &format!("/orders/{}/pay", o.body["order_no"].as_str().unwrap()),
            Some(&a),
            json!({ "provider": "wechat" }),
        )
        .await;
    assert_eq!(
        (pay.status.as_u16(), pay.code()),
        (503, "PAYMENT_PROVIDER_UNAVAILABLE")
    );

    yizhan::group_buys::settlement::sweep(&app.db, &app.state_cache())
        .await
        .unwrap();
    let mine = app
        .get(
            &format!("/orders/{}", o.body["order_no"].as_str().unwrap()),
            Some(&a),
        )
        .await;
    assert_eq!(mine.body["status"], "expired");
    let gb = app.get(&format!("/group-buys/{id}"), None).await;
    assert_eq!(
        (
            gb.body["ordered_quantity"].as_i64(),
            gb.body["remaining_quantity"].as_i64()
        ),
        (Some(0), Some(2))
    );
    let retry = app
        .post(
            &format!("/group-buys/{id}/orders"),
            Some(&b),
            json!({ "quantity": 1 }),
        )
        .await;
    assert_eq!(retry.status, 201);
}

#[tokio::test]
async fn the_same_idempotency_key_ten_times_at_once_makes_one_order() {
    let app = quiet_app().await;
    let m = market(&app, 50).await;
    let id = open_campaign(&app, &m, 50, 1, 10).await;
    let a = neighbour(&app, &m, "a").await;
    let url = app.url(&format!("/group-buys/{id}/orders"));
    let send = || {
        app.send(
            app.client
                .post(&url)
                .bearer_auth(&a)
                .header("Idempotency-Key", "order-key-1")
                .json(&json!({ "quantity": 2 })),
        )
    };
    let replies = futures_util::future::join_all((0..10).map(|_| send())).await;
    assert!(
        replies.iter().all(|r| r.status == 201),
        "{:?}",
        replies.iter().map(|r| r.text.clone()).collect::<Vec<_>>()
    );
    let numbers: std::collections::HashSet<&str> = replies
        .iter()
        .map(|r| r.body["order_no"].as_str().unwrap())
        .collect();
    assert_eq!(numbers.len(), 1, "every retry answers the first order");
    assert_eq!(app.get("/me/orders", Some(&a)).await.body["total"], 1);
    assert_eq!(
        app.get(&format!("/group-buys/{id}"), None).await.body["ordered_quantity"],
        2
    );

    let other_body = app
        .send(
            app.client
                .post(&url)
                .bearer_auth(&a)
                .header("Idempotency-Key", "order-key-1")
                .json(&json!({ "quantity": 3 })),
        )
        .await;
    assert_eq!(
        (other_body.status.as_u16(), other_body.code()),
        (422, "IDEMPOTENCY_KEY_REUSED")
    );
    // A new key is a new order.
    let fresh = app
        .send(
            app.client
                .post(&url)
                .bearer_auth(&a)
                .header("Idempotency-Key", "order-key-2")
                .json(&json!({ "quantity": 1 })),
        )
        .await;
    assert_eq!(fresh.status, 201);
    assert_eq!(app.get("/me/orders", Some(&a)).await.body["total"], 2);
}

#[tokio::test]
async fn residents_ordering_past_their_limit_at_once_get_exactly_the_limit() {
    // Orders of one campaign are written in batches: some of each batch
    // within their limit, some past it, some retries of a key. Every order
    // must come out as if placed one by one.
    let app = quiet_app().await;
    let m = market(&app, 200).await;
    let id = open_campaign(&app, &m, 200, 1, 3).await;
    let residents = neighbours(&app, &m, "eager", 12).await;
    let url = app.url(&format!("/group-buys/{id}/orders"));
    // Each resident sends 4 orders with 4 keys, and the first key twice.
    let requests: Vec<(usize, String)> = (0..12)
        .flat_map(|r| {
            [0, 0, 1, 2, 3]
                .into_iter()
                .map(move |k| (r, format!("eager-{r}-{k}")))
        })
        .collect();
    let replies = futures_util::future::join_all(requests.iter().map(|(r, key)| {
        app.send(
            app.client
                .post(&url)
                .bearer_auth(&residents[*r])
                .header("Idempotency-Key", key)
                .json(&json!({ "quantity": 1 })),
        )
    }))
    .await;

    let mut placed_per_resident = vec![std::collections::HashSet::new(); 12];
    for ((r, key), reply) in requests.iter().zip(&replies) {
        match reply.status.as_u16() {
            201 => {
                placed_per_resident[*r].insert(reply.body["order_no"].as_str().unwrap().to_owned());
            }
            409 => assert_eq!(reply.code(), "PER_USER_LIMIT", "{key}"),
            other => panic!("{key}: {other} {}", reply.text),
        }
    }
    for (r, placed) in placed_per_resident.iter().enumerate() {
        assert_eq!(placed.len(), 3, "resident {r}: {placed:?}");
        let mine = app.get("/me/orders", Some(&residents[r])).await;
        assert_eq!(mine.body["total"], 3, "resident {r}");
        let listed: std::collections::HashSet<String> = mine.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["order_no"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(&listed, placed, "resident {r}");
    }
    // The two sends of a key got one answer, and a retry now gets it again.
    for ((r, key), reply) in requests.iter().zip(&replies) {
        let again = app
            .send(
                app.client
                    .post(&url)
                    .bearer_auth(&residents[*r])
                    .header("Idempotency-Key", key)
                    .json(&json!({ "quantity": 1 })),
            )
            .await;
        assert_eq!(
            (again.status, &again.body),
            (reply.status, &reply.body),
            "{key}"
        );
    }
    assert_eq!(
        progress(&app, &m, id).await,
        (36, 36, 164, 36),
        "ordered, orders, remaining, orders the merchant sees"
    );
}

#[tokio::test]
async fn an_order_key_past_its_retention_is_fresh_and_one_in_progress_is_refused() {
    use sea_orm::{ActiveModelTrait, Set};

    let app = quiet_app().await;
    let m = market(&app, 20).await;
    let id = open_campaign(&app, &m, 20, 1, 5).await;
    let a = neighbour(&app, &m, "a").await;
    let user_id = app.get("/me", Some(&a)).await.body["id"].as_i64().unwrap();
    let same_request = yizhan::idempotency::fingerprint(
        &format!("POST /group-buys/{id}/orders"),
        &yizhan::group_buys::ordering::NewOrder { quantity: 1 },
    );
    let plant = |key: &'static str, hash: String, state: &'static str, age: chrono::TimeDelta| {
        entity::idempotency_key::ActiveModel {
            user_id: Set(user_id),
            key: Set(key.to_owned()),
            request_hash: Set(hash),
            state: Set(state.to_owned()),
            response_status: Set(Some(409)),
            response_body: Set(Some(r#"{"error":{"code":"SOLD_OUT"}}"#.to_owned())),
            created_at: Set(yizhan::time::now() - age),
            ..Default::default()
        }
        .insert(&app.db)
    };
    plant(
        "old",
        "another request".to_owned(),
        "completed",
        chrono::TimeDelta::hours(25),
    )
    .await
    .unwrap();
    plant(
        "busy",
        same_request,
        "in_progress",
        chrono::TimeDelta::zero(),
    )
    .await
    .unwrap();
    let url = app.url(&format!("/group-buys/{id}/orders"));
    let order = |key: &'static str| {
        app.send(
            app.client
                .post(&url)
                .bearer_auth(&a)
                .header("Idempotency-Key", key)
                .json(&json!({ "quantity": 1 })),
        )
    };
    let old = order("old").await;
    assert_eq!(old.status, 201, "{}", old.text);
    let busy = order("busy").await;
    assert_eq!(
        (busy.status.as_u16(), busy.code()),
        (409, "IDEMPOTENCY_IN_PROGRESS")
    );
    let mine = app.get("/me/orders", Some(&a)).await;
    assert_eq!(mine.body["total"], 1);
    assert_eq!(mine.body["items"][0]["order_no"], old.body["order_no"]);
    // The old key now holds the new answer.
    let again = order("old").await;
    assert_eq!((again.status, &again.body), (old.status, &old.body));
    assert_eq!(
        app.get(&format!("/group-buys/{id}"), None).await.body["ordered_quantity"],
        1
    );
}

#[tokio::test]
async fn two_instances_taking_orders_for_one_campaign_never_oversell() {
    // Each instance writes its own batches; the database decides between them.
    let app = quiet_app().await;
    let sibling = spawn_sibling(&app).await;
    let m = market(&app, 100).await;
    let id = open_campaign(&app, &m, 60, 1, 2).await;
    let residents = neighbours(&app, &m, "both", 40).await;
    let path = format!("/group-buys/{id}/orders");
    // Three orders each, over the limit of two, split between the instances.
    let requests: Vec<(usize, &TestApp)> = (0..40)
        .flat_map(|r| {
            [
                (r, &app),
                (r, &sibling),
                (r, if r % 2 == 0 { &app } else { &sibling }),
            ]
        })
        .collect();
    let replies =
        futures_util::future::join_all(requests.iter().map(|(r, instance)| {
            instance.post(&path, Some(&residents[*r]), json!({ "quantity": 1 }))
        }))
        .await;
    let mut placed = vec![0; 40];
    for ((r, _), reply) in requests.iter().zip(&replies) {
        match (reply.status.as_u16(), reply.code()) {
            (201, _) => placed[*r] += 1,
            (409, "SOLD_OUT" | "PER_USER_LIMIT") => {}
            other => panic!("{other:?} {}", reply.text),
        }
    }
    assert_eq!(placed.iter().sum::<i32>(), 60);
    assert!(placed.iter().all(|&n| n <= 2), "{placed:?}");
    for (r, token) in residents.iter().enumerate() {
        let mine = app.get("/me/orders", Some(token)).await;
        assert_eq!(mine.body["total"], placed[r], "resident {r}");
    }
    assert_eq!(
        progress(&app, &m, id).await,
        (60, 60, 0, 60),
        "ordered, orders, remaining, orders the merchant sees"
    );
    assert_eq!(goods_stock(&app, &m).await, 40);
}
