//! Volunteer points, the 爱心超市 and the wish wall (issue 18, part 1).

mod ledger;
mod pictures;
mod race;
mod shelf;
mod wishes;

use serde_json::{Value, json};

use crate::support::{TestApp, spawn_app_with};

/// A community with one grid and building, its admin, a resident bound to
/// the building, a grid worker of its grid, and an uncapped 1-point rule.
pub struct Town {
    pub app: TestApp,
    pub platform: String,
    pub admin: String,
    pub community: i64,
    pub building: i64,
    pub resident: String,
    pub resident_id: i64,
    pub worker: String,
    pub worker_id: i64,
    /// 1 point, no caps.
    pub unit_rule: i64,
}

pub async fn town() -> Town {
    let app = spawn_app_with(|s| {
        s.jobs.sweep_interval_ms = 3_600_000;
        s.rate_limit.login_per_minute = 100_000;
        s.rate_limit.writes_per_minute_per_user = 1_000_000;
        s.rate_limit.writes_per_minute_per_ip = 1_000_000;
        // Hundreds of writes queue on one resident's balance row: on the
        // shared 2-core test machine a request may wait longer than the
        // production 3 s for a pooled connection behind them.
        s.database.acquire_timeout_secs = 60;
    })
    .await;
    let platform = app.platform_admin().await;
    let (community, grid, building) = app.community_with_building(&platform, "幸福社区").await;
    let admin = app.community_admin(&platform, &[community]).await;
    let (resident, resident_id, _) = app.resident("points-resident").await;
    app.bind_building(&resident, building).await;
    let (worker, worker_id, _) = app.resident("points-worker").await;
    app.bind_building(&worker, building).await;
    let r = app
        .post(
            "/admin/grid-workers",
            Some(&admin),
            json!({ "user_id": worker_id, "grid_id": grid }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let rule = app
        .post(
            "/admin/points/rules",
            Some(&admin),
            json!({ "community_id": community, "class": "测试", "name": "每次一分", "points": 1, "daily_cap": null, "monthly_cap": null }),
        )
        .await;
    assert_eq!(rule.status, 201, "{}", rule.text);
    Town {
        unit_rule: rule.body["id"].as_i64().expect("rule id"),
        app,
        platform,
        admin,
        community,
        building,
        resident,
        resident_id,
        worker,
        worker_id,
    }
}

impl Town {
    /// Another resident of the town's building.
    pub async fn neighbour(&self, openid: &str) -> (String, i64) {
        let (token, id, _) = self.app.resident(openid).await;
        self.app.bind_building(&token, self.building).await;
        (token, id)
    }

    /// Awards `user_id` `n` points by the uncapped rule (one award of n
    /// entries would need n calls; a rule of `n` points is made instead).
    pub async fn give(&self, user_id: i64, n: i64) {
        let rule = self
            .app
            .post(
                "/admin/points/rules",
                Some(&self.admin),
                json!({ "community_id": self.community, "class": "测试", "name": format!("一次{n}分-{user_id}-{}", rand_suffix()), "points": n, "daily_cap": null, "monthly_cap": null }),
            )
            .await;
        assert_eq!(rule.status, 201, "{}", rule.text);
        let r = self
            .app
            .post(
                "/points/awards",
                Some(&self.admin),
                json!({ "user_id": user_id, "rule_id": rule.body["id"], "hours": 1 }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }

    /// The balance `token`'s holder has in the town.
    pub async fn balance(&self, token: &str) -> i64 {
        let r = self.app.get("/me/points", Some(token)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["balances"]
            .as_array()
            .and_then(|b| {
                b.iter()
                    .find(|b| b["community_id"] == json!(self.community))
            })
            .map(|b| b["balance"].as_i64().expect("balance"))
            .unwrap_or(0)
    }

    /// Every ledger entry of `token`'s holder (all pages).
    pub async fn ledger(&self, token: &str) -> Vec<Value> {
        let mut all = Vec::new();
        for page in 1.. {
            let r = self
                .app
                .get(
                    &format!("/me/points/ledger?page={page}&page_size=100"),
                    Some(token),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            let items = r.body["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                break;
            }
            all.extend(items);
        }
        all
    }

    /// A shelf item of the town priced `price` with `stock`.
    pub async fn item(&self, price: i64, stock: i64) -> i64 {
        let r = self
            .app
            .post(
                "/admin/shelf/items",
                Some(&self.admin),
                json!({ "community_id": self.community, "name": "洗衣液", "description": "2kg", "price_points": price, "stock": stock }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["id"].as_i64().expect("item id")
    }
}

fn rand_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_owned()
}
