//! Hardening finding 8: every write and every route spending WeChat quota
//! is rate-limited per user and per address (429 with `Retry-After`), and
//! limits hold when Redis is down (each instance counts in process).

use serde_json::json;

use crate::support::{Reply, spawn_app_with};

fn limited(r: &Reply) -> bool {
    r.status == 429
        && r.code() == "RATE_LIMITED"
        && r.headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|secs| (1..=60).contains(&secs))
}

#[tokio::test]
async fn writes_are_limited_per_user_and_per_address() {
    let app = spawn_app_with(|s| s.rate_limit.writes_per_minute_per_user = 5).await;
    let (a, _, _) = app.resident("a").await;
    let (b, _, _) = app.resident("b").await;
    for i in 0..5 {
        let r = app
            .patch("/me", Some(&a), json!({ "nickname": format!("甲{i}") }))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = app
        .patch("/me", Some(&a), json!({ "nickname": "甲6" }))
        .await;
    assert!(limited(&r), "{} {:?}", r.text, r.headers);
    let me = app.get("/me", Some(&a)).await;
    assert_eq!(me.body["nickname"], "甲4", "the refused write did nothing");
    // Reads are not writes; another user has their own budget.
    assert_eq!(me.status, 200);
    let r = app
        .patch("/me", Some(&b), json!({ "nickname": "乙" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let app = spawn_app_with(|s| s.rate_limit.writes_per_minute_per_ip = 3).await;
    let mut tokens = Vec::new();
    for i in 0..4 {
        tokens.push(app.resident(&format!("u{i}")).await.0);
    }
    for t in &tokens[..3] {
        let r = app.patch("/me", Some(t), json!({ "nickname": "丙" })).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = app
        .patch("/me", Some(&tokens[3]), json!({ "nickname": "丙" }))
        .await;
    assert!(limited(&r), "{}", r.text);
    let anonymous = app.post("/merchant-applications", None, json!({})).await;
    assert!(limited(&anonymous), "{}", anonymous.text);
}

#[tokio::test]
async fn routes_spending_wechat_quota_are_limited() {
    let app = spawn_app_with(|s| s.rate_limit.wechat_per_minute = 2).await;
    let (a, _, _) = app.resident("a").await;
    for _ in 0..2 {
        let r = app
            .post("/me/phone", Some(&a), json!({ "code": "c" }))
            .await;
        assert_ne!(r.status, 429, "{}", r.text);
    }
    let r = app
        .post("/me/phone", Some(&a), json!({ "code": "c" }))
        .await;
    assert!(limited(&r), "{}", r.text);
}

#[tokio::test]
async fn limits_hold_while_redis_is_down() {
    let app = spawn_app_with(|s| {
        s.redis.url = Some("redis://127.0.0.1:1".to_owned().into());
        s.redis.timeout_ms = 100;
        s.rate_limit.login_per_minute = 2;
    })
    .await;
    for i in 0..2 {
        let r = app
            .post(
                "/auth/dev/login",
                None,
                json!({ "openid": format!("d{i}") }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = app
        .post("/auth/dev/login", None, json!({ "openid": "d3" }))
        .await;
    assert!(limited(&r), "{}", r.text);
}
