use serde_json::json;

use crate::support::{spawn_app, spawn_app_with};

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app().await;
    let h = app.get("/healthz", None).await;
    assert_eq!(
        (h.status.as_u16(), h.body.clone()),
        (200, json!({ "status": "ok" }))
    );
    let r = app.get("/readyz", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "ok");
    assert_eq!(r.body["database"], "ok");
    let expected_backend = if crate::support::test_redis_url().is_some() {
        "redis"
    } else {
        "memory"
    };
    assert_eq!(r.body["cache_backend"], expected_backend);

    app.get("/communities", None).await;
    app.get("/communities", None).await;
    app.get("/nope", None).await;
    let m = app.get("/metrics", None).await;
    assert_eq!(m.status, 200);
    assert!(
        m.text.contains(
            r#"yizhan_http_requests_total{method="GET",route="/api/v1/communities",status="200"} 2"#
        ),
        "{}",
        m.text
    );
    assert!(m.text.contains(r#"status="404""#));
    assert!(
        m.text
            .contains("yizhan_http_request_duration_seconds_bucket")
    );
    assert!(
        m.text
            .contains(r#"yizhan_cache_operations_total{outcome="hit"} 1"#),
        "{}",
        m.text
    );
    assert!(
        m.text
            .contains(r#"yizhan_cache_operations_total{outcome="miss"} 1"#)
    );
}

#[tokio::test]
async fn readyz_is_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.clone().close().await.unwrap();
    let r = app.get("/readyz", None).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.body["database"], "down");
    assert_eq!(app.get("/healthz", None).await.status, 200);
    let list = app.get("/communities", None).await;
    assert_eq!(
        (list.status.as_u16(), list.code()),
        (503, "SERVICE_UNAVAILABLE")
    );
}

#[tokio::test]
async fn with_redis_unreachable_the_api_still_answers_from_the_database() {
    // Port 1 on loopback: nothing listens there.
    let app = spawn_app_with(|s| {
        s.redis.url = Some("redis://127.0.0.1:1".to_owned().into());
        s.redis.key_prefix = "down:".into();
    })
    .await;
    let r = app.get("/readyz", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "degraded");
    assert_eq!(r.body["cache"], "down");
    assert_eq!(r.body["cache_backend"], "redis");

    // Logins (rate limit fails open), writes and reads all work.
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "无缓存社区").await;
    for _ in 0..2 {
        let c = app.get(&format!("/communities/{cid}"), None).await;
        assert_eq!(c.status, 200);
        assert_eq!(c.body["name"], "无缓存社区");
    }
    let m = app.get("/metrics", None).await;
    assert!(
        m.text
            .contains(r#"yizhan_cache_operations_total{outcome="error"}"#),
        "{}",
        m.text
    );
}

#[tokio::test]
async fn the_served_document_is_yaml() {
    let app = spawn_app().await;
    let r = app.get("/openapi.yaml", None).await;
    assert_eq!(r.status, 200);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/yaml")
    );
    assert!(r.text.starts_with("openapi: 3.1"));
}
