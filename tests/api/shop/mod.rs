//! Shop orders (issue 13): the cart, checkout, an order's life at the
//! merchant's desk, and the resident's list. Fixtures shared by the files.
//!
//! Each app's background sweeps wait an hour: the tests run them by hand on
//! the app's clock (`app.state.clock`), fixed where a deadline matters.

pub mod after_sales;
mod after_sales_pay;
mod cart;
mod checkout;
mod desk;
mod figures;
mod life;
mod messages;

use serde_json::{Value, json};

use crate::support::{Reply, TestApp, spawn_app_with};

/// A community with a building, a merchant serving it with one goods
/// (赣南脐橙, 12.50 a 斤, 100 in stock), and a resident bound to the
/// building, room 101.
pub struct Shop {
    pub app: TestApp,
    pub platform: String,
    pub community: i64,
    pub merchant: i64,
    pub owner: String,
    pub goods: i64,
    pub resident: String,
    pub resident_id: i64,
}

pub async fn quiet_app() -> TestApp {
    spawn_app_with(|s| {
        s.jobs.sweep_interval_ms = 3_600_000;
        s.rate_limit.login_per_minute = 100_000;
    })
    .await
}

pub async fn shop() -> Shop {
    Shop::open(quiet_app().await, "幸福社区", "shop-owner", "buyer").await
}

impl Shop {
    /// On `app`: community `community` with a building, a merchant serving
    /// it owned by `owner` with one goods, and the resident `buyer` bound
    /// to the building, room 101.
    pub async fn open(app: TestApp, community: &str, owner: &str, buyer: &str) -> Shop {
        let platform = app.platform_admin().await;
        let (community, _, building) = app.community_with_building(&platform, community).await;
        let (merchant, owner) = app.approved_merchant(&platform, &[community], owner).await;
        let goods = app.create_goods(&owner, merchant, json!({})).await["id"]
            .as_i64()
            .expect("goods id");
        let (resident, resident_id, _) = app.resident(buyer).await;
        let r = app
            .patch(
                "/me",
                Some(&resident),
                json!({ "building_id": building, "room": "101" }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        Shop {
            app,
            platform,
            community,
            merchant,
            owner,
            goods,
            resident,
            resident_id,
        }
    }

    /// The merchant accepts a placed pickup order, readies it and hands it
    /// over at the counter by its pickup code: completed.
    pub async fn hand_over(&self, order_no: &str) {
        for step in ["accept", "ready"] {
            assert_eq!(self.step(order_no, step).await.status, 200, "{step}");
        }
        let code = self.order(order_no).await["pickup_code"]
            .as_str()
            .expect("pickup code")
            .to_owned();
        let r = self
            .app
            .post(
                &format!("/merchants/{}/pickups", self.merchant),
                Some(&self.owner),
                json!({ "pickup_code": code }),
            )
            .await;
        assert_eq!(r.body["status"], "completed", "{}", r.text);
    }

    /// Another goods of the shop, with `body` over the defaults.
    pub async fn goods_with(&self, body: Value) -> i64 {
        self.app
            .create_goods(&self.owner, self.merchant, body)
            .await["id"]
            .as_i64()
            .expect("goods id")
    }

    /// `POST /orders` with an optional Idempotency-Key.
    pub async fn checkout(&self, token: &str, body: Value, key: Option<&str>) -> Reply {
        let mut req = self
            .app
            .client
            .post(self.app.url("/orders"))
            .bearer_auth(token)
            .json(&body);
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        self.app.send(req).await
    }

    /// A placed pickup order of `quantity` of the goods; answers its number.
    pub async fn pickup_order(&self, token: &str, quantity: i64) -> String {
        let r = self
            .checkout(
                token,
                json!({ "lines": [{ "goods_id": self.goods, "quantity": quantity }], "fulfilment": "pickup" }),
                None,
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["order_no"].as_str().expect("order_no").to_owned()
    }

    /// The merchant takes a desk step (`accept`, `ready`, ...).
    pub async fn step(&self, order_no: &str, step: &str) -> Reply {
        self.app
            .post(
                &format!("/merchants/{}/orders/{order_no}/{step}", self.merchant),
                Some(&self.owner),
                json!({}),
            )
            .await
    }

    /// The goods' stock and sales now.
    pub async fn stock_and_sales(&self, goods: i64) -> (i64, i64) {
        let r = self.app.get(&format!("/goods/{goods}"), None).await;
        (
            r.body["stock"].as_i64().unwrap_or(-1),
            r.body["sales"].as_i64().unwrap_or(-1),
        )
    }

    /// Turns delivery on with a minimum order and fee.
    pub async fn deliver_with(&self, min_order: &str, fee: &str) {
        let r = self
            .app
            .patch(
                &format!("/merchants/{}", self.merchant),
                Some(&self.owner),
                json!({ "delivery_enabled": true, "min_order": min_order, "delivery_fee": fee }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["delivery_enabled"], true);
    }

    /// The resident's order as they see it.
    pub async fn order(&self, order_no: &str) -> Value {
        let r = self
            .app
            .get(&format!("/orders/{order_no}"), Some(&self.resident))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body
    }
}
