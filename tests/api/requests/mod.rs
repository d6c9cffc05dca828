//! Residents' requests (诉求): fixtures shared by the request tests.
//!
//! The clock of each app is fixed and moved by hand (`Desk::at`), so a
//! request's whole flow runs across days, holidays and adjusted working
//! weekends; the sweeps run by hand too.

mod deadlines;
mod departments;
mod figures;
mod flow;
mod grid;
mod places;
mod reporting;
mod scoping;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::support::{Reply, TestApp, spawn_app_with};

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("RFC 3339 time")
        .with_timezone(&Utc)
}

/// An app whose background sweeps wait an hour: tests run them by hand.
pub async fn quiet() -> TestApp {
    spawn_app_with(|s| {
        s.jobs.sweep_interval_ms = 3_600_000;
        s.rate_limit.login_per_minute = 100_000;
    })
    .await
}

/// A community with one grid and building, two departments (供电 with a
/// staff member and a head, 供水 with a staff member), a community admin, a
/// grid worker, a resident, and three categories: 停电 (department level,
/// 供电), 楼道杂物 (grid level) and 邻里纠纷 (community level).
pub struct Desk {
    pub app: TestApp,
    pub platform: String,
    pub community: i64,
    pub grid: i64,
    pub building: i64,
    pub admin: String,
    pub power: i64,
    pub water: i64,
    pub power_staff: String,
    pub power_head: String,
    pub water_staff: String,
    pub worker: String,
    pub worker_id: i64,
    pub resident: String,
    pub resident_id: i64,
    pub outage: i64,
    pub clutter: i64,
    pub dispute: i64,
}

pub async fn desk() -> Desk {
    let app = quiet().await;
    desk_on(app).await
}

pub async fn desk_on(app: TestApp) -> Desk {
    let platform = app.platform_admin().await;
    let (community, grid, building) = app.community_with_building(&platform, "幸福社区").await;
    let admin = app.community_admin(&platform, &[community]).await;
    let power = department(&app, &platform, "供电所").await;
    let water = department(&app, &platform, "自来水公司").await;
    let (power_staff, _) = staff(&app, &platform, power, "power-staff", false).await;
    let (power_head, _) = staff(&app, &platform, power, "power-head", true).await;
    let (water_staff, _) = staff(&app, &platform, water, "water-staff", false).await;
    let (worker, worker_id, _) = app.resident("grid-worker").await;
    app.bind_building(&worker, building).await;
    let r = app
        .post(
            "/admin/grid-workers",
            Some(&admin),
            json!({ "user_id": worker_id, "grid_id": grid }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (resident, resident_id, _) = app.resident("resident").await;
    app.bind_building(&resident, building).await;
    let outage = category(
        &app,
        &platform,
        json!({ "name": "停电", "level": "department", "department_id": power }),
    )
    .await;
    let clutter = category(
        &app,
        &platform,
        json!({ "name": "楼道杂物", "level": "grid" }),
    )
    .await;
    let dispute = category(
        &app,
        &platform,
        json!({ "name": "邻里纠纷", "level": "community" }),
    )
    .await;
    Desk {
        app,
        platform,
        community,
        grid,
        building,
        admin,
        power,
        water,
        power_staff,
        power_head,
        water_staff,
        worker,
        worker_id,
        resident,
        resident_id,
        outage,
        clutter,
        dispute,
    }
}

pub async fn department(app: &TestApp, platform: &str, name: &str) -> i64 {
    let r = app
        .post(
            "/admin/departments",
            Some(platform),
            json!({ "name": name, "phone": "0710-3211234" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_i64().expect("department id")
}

/// A WeChat user made staff of `department`; answers (token, user id).
pub async fn staff(
    app: &TestApp,
    platform: &str,
    department: i64,
    openid: &str,
    head: bool,
) -> (String, i64) {
    let (_, id, _) = app.resident(openid).await;
    let r = app
        .post(
            &format!("/admin/departments/{department}/staff"),
            Some(platform),
            json!({ "user_id": id, "head": head }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Log in again: the token carries no roles, but the login body shows them.
    let (token, _, login) = app.resident(openid).await;
    assert!(
        login["user"]["roles"]
            .as_array()
            .expect("roles")
            .contains(&json!("department_staff")),
        "{login}"
    );
    (token, id)
}

pub async fn category(app: &TestApp, platform: &str, body: Value) -> i64 {
    let r = app
        .post("/admin/request-categories", Some(platform), body)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_i64().expect("category id")
}

impl Desk {
    /// Stops the clock at `when` (RFC 3339).
    pub fn at(&self, when: &str) {
        self.app.state.clock.set(at(when));
    }

    /// Reports `category` with `extra` merged over a valid body; answers the reply.
    pub async fn report_as(&self, token: &str, category: i64, extra: Value) -> Reply {
        let mut body = json!({
            "category_id": category,
            "content": "3单元楼道灯坏了一周，晚上很黑",
            "building_id": self.building,
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        self.app.post("/requests", Some(token), body).await
    }

    /// A request by the desk's resident; answers its id.
    pub async fn report(&self, category: i64) -> i64 {
        let r = self.report_as(&self.resident, category, json!({})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["id"].as_i64().expect("request id")
    }

    /// POSTs a move; answers the reply.
    pub async fn act(&self, token: &str, id: i64, action: &str, body: Value) -> Reply {
        self.app
            .post(&format!("/requests/{id}/{action}"), Some(token), body)
            .await
    }

    /// A move that must succeed; answers the request afterwards.
    pub async fn ok(&self, token: &str, id: i64, action: &str, body: Value) -> Value {
        let r = self.act(token, id, action, body).await;
        assert_eq!(r.status, 200, "{action}: {}", r.text);
        r.body
    }

    pub async fn detail(&self, token: &str, id: i64) -> Reply {
        self.app.get(&format!("/requests/{id}"), Some(token)).await
    }

    /// Runs the overdue sweep and the automatic ratings once.
    pub async fn sweep(&self) -> yizhan::requests::sweep::Swept {
        let state = &self.app.state;
        yizhan::requests::sweep::run(&state.db, yizhan::requests::Ctx::of(state))
            .await
            .expect("sweep")
    }

    /// The timeline's kinds in order.
    pub async fn kinds(&self, token: &str, id: i64) -> Vec<String> {
        let r = self.detail(token, id).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .map(|e| e["kind"].as_str().expect("kind").to_owned())
            .collect()
    }
}

/// Ids of the items of a list reply.
pub fn ids(r: &Reply) -> Vec<i64> {
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect()
}
