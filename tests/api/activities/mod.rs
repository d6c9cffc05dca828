//! Activities: the sign-up engine under a race, timetables, the age and
//! community rules, guardians, check-in, reminders and attendance.

mod checkin;
mod engine;
mod rules;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::support::{TestApp, spawn_app_with};

pub struct Fix {
    pub app: TestApp,
    pub admin: String,
    pub community: i64,
    pub building: i64,
    pub platform: String,
}

/// An app whose logins and writes are not rate-limited, with one community
/// and its admin.
pub async fn fixture() -> Fix {
    fixture_with(|_| {}).await
}

/// [`fixture`] with `adjust` having its say on the settings too.
pub async fn fixture_with(adjust: impl FnOnce(&mut yizhan::settings::Settings)) -> Fix {
    let app = spawn_app_with(|s| {
        s.rate_limit.login_per_minute = 100_000;
        s.rate_limit.writes_per_minute_per_user = 100_000;
        s.rate_limit.writes_per_minute_per_ip = 100_000;
        adjust(s);
    })
    .await;
    let platform = app.platform_admin().await;
    let (community, _, building) = app.community_with_building(&platform, "幸福社区").await;
    let admin = app.community_admin(&platform, &[community]).await;
    Fix {
        app,
        admin,
        community,
        building,
        platform,
    }
}

impl Fix {
    /// A resident living in the fixture's building: (token, user id).
    pub async fn resident(&self, openid: &str) -> (String, i64) {
        let (token, id, _) = self.app.resident(openid).await;
        self.app.bind_building(&token, self.building).await;
        (token, id)
    }

    /// Publishes an activity with one session starting `hours` from now
    /// (the app's clock), with `extra` fields on top; answers the activity.
    pub async fn publish(&self, hours: i64, extra: Value) -> Value {
        let now = self.app.state.clock.now();
        let mut body = json!({
            "community_id": self.community,
            "title": "剪纸乐园",
            "description": "非遗剪纸体验",
            "place": "社区活动室",
            "capacity": 30,
            "schedule": {
                "starts_at": rfc(now + TimeDelta::hours(hours)),
                "ends_at": rfc(now + TimeDelta::hours(hours + 2)),
            },
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        let r = self.app.post("/activities", Some(&self.admin), body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body
    }
}

pub fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

/// The first session's id of an activity.
pub fn first_session(activity: &Value) -> i64 {
    activity["sessions"][0]["id"].as_i64().expect("session id")
}
