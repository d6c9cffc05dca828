//! The elders' canteen: the 60+ subsidy (verified birth dates only, once per
//! meal time, under concurrency), places under a race, the cut-off, grid
//! workers booking for their elders, delivery for verified disabled elders,
//! the desk, and the monthly subsidy statement against hand-counted figures.

mod booking;
mod online;
mod statement;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Reply, TestApp, spawn_app_with};

/// Monday 2026-12-07 08:00 China Standard Time: the tests' "now".
pub fn monday_morning() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0)
        .single()
        .expect("a valid time")
}

pub struct Fix {
    pub app: TestApp,
    pub admin: String,
    pub platform: String,
    pub community: i64,
    pub grid: i64,
    pub building: i64,
}

/// An app (not rate-limited, clock at [`monday_morning`]) with one community
/// and its admin.
pub async fn fixture() -> Arc<Fix> {
    fixture_with(|_| {}).await
}

/// [`fixture`] with `adjust` applied to the settings last.
pub async fn fixture_with(adjust: impl FnOnce(&mut yizhan::settings::Settings)) -> Arc<Fix> {
    let app = spawn_app_with(|s| {
        s.rate_limit.login_per_minute = 100_000;
        s.rate_limit.writes_per_minute_per_user = 100_000;
        s.rate_limit.writes_per_minute_per_ip = 100_000;
        s.database.acquire_timeout_secs = 60;
        adjust(s);
    })
    .await;
    app.state.clock.set(monday_morning());
    let platform = app.platform_admin().await;
    let (community, grid, building) = app.community_with_building(&platform, "幸福社区").await;
    let admin = app.community_admin(&platform, &[community]).await;
    Arc::new(Fix {
        app,
        admin,
        platform,
        community,
        grid,
        building,
    })
}

impl Fix {
    /// A resident of the fixture's building: (token, user id).
    pub async fn resident(&self, openid: &str) -> (String, i64) {
        let (token, id, _) = self.app.resident(openid).await;
        self.app.bind_building(&token, self.building).await;
        (token, id)
    }

    /// A resident whose birth date the admin verified.
    pub async fn elder(&self, openid: &str, born: &str) -> (String, i64) {
        let (token, id) = self.resident(openid).await;
        let r = self
            .put(
                &format!("/residents/{id}/birth-date"),
                &self.admin,
                json!({ "birth_date": born }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        (token, id)
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.app
            .call(Method::PUT, path, Some(token), Some(body))
            .await
    }

    /// Opens a canteen (every day, lunch 11:30 and dinner 17:30, cut-off
    /// 120 minutes) with `extra` fields on top.
    pub async fn canteen(&self, extra: Value) -> Value {
        let mut body = json!({
            "community_id": self.community,
            "name": "幸福食堂",
            "place": "社区服务中心一楼",
            "weekdays": [1, 2, 3, 4, 5, 6, 7],
            "meal_times": [
                { "meal": "lunch", "serves_at": "11:30" },
                { "meal": "dinner", "serves_at": "17:30" },
            ],
            "capacity_per_meal": 100,
            "delivery": true,
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        let r = self
            .app
            .post("/admin/canteens", Some(&self.admin), body)
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body
    }

    /// Publishes 红烧肉 8.00, 青菜 2.50, 米饭 1.00 for a meal: the meal.
    pub async fn menu(&self, canteen: &Value, date: &str, meal: &str) -> Meal {
        let r = self
            .put(
                &format!("/admin/canteens/{}/menus", canteen["id"]),
                &self.admin,
                json!({ "date": date, "meal": meal, "dishes": [
                    { "name": "红烧肉", "price": "8.00" },
                    { "name": "青菜", "price": "2.50" },
                    { "name": "米饭", "price": "1.00" },
                ] }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let dish = |i: usize| r.body["dishes"][i]["id"].as_i64().expect("dish id");
        Meal {
            id: r.body["id"].as_i64().expect("meal id"),
            pork: dish(0),
            greens: dish(1),
            rice: dish(2),
        }
    }

    /// Books `dishes` ((dish id, portions)) of a meal for the caller.
    pub async fn book(&self, token: &str, meal: i64, dishes: &[(i64, i32)]) -> Reply {
        self.book_with(token, meal, dishes, json!({})).await
    }

    pub async fn book_with(
        &self,
        token: &str,
        meal: i64,
        dishes: &[(i64, i32)],
        extra: Value,
    ) -> Reply {
        let mut body = json!({
            "dishes": dishes.iter().map(|(d, q)| json!({ "dish_id": d, "quantity": q })).collect::<Vec<_>>(),
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        self.app
            .post(
                &format!("/canteen-meals/{meal}/bookings"),
                Some(token),
                body,
            )
            .await
    }
}

/// A published meal and its three dishes.
#[derive(Clone, Copy)]
pub struct Meal {
    pub id: i64,
    pub pork: i64,
    pub greens: i64,
    pub rice: i64,
}
