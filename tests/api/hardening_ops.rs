//! Hardening findings 17 and 19: the response cache is bounded by bytes,
//! and `/metrics` is not public on the production listener.

use crate::support::spawn_app_with;

/// Finding 17: thousands of distinct queries keep the values held in this
/// process under `cache.max_bytes` (the in-process cache, or the local copy
/// in front of Redis), measured by the cache's own weights.
#[tokio::test]
async fn distinct_queries_do_not_grow_the_cache_past_its_byte_budget() {
    // Each answer weighs about 300 bytes: 400 of them are seven times the budget.
    let budget: u64 = 16 * 1024;
    let app = spawn_app_with(|s| s.cache.max_bytes = budget).await;
    let mut most = 0;
    for i in 0..400 {
        let url = format!("/goods?q=pattern-{i:05}-padding-to-make-keys-long");
        // Twice: with Redis, a second read is what lands in the local copy.
        for _ in 0..2 {
            let r = app.get(&url, None).await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
        if i % 25 == 24 {
            // Redis's local copy keeps values 5 s: measured as the test goes.
            let used = app.cache.weighted_size().await;
            assert!(used <= budget, "{used} bytes held, budget {budget}");
            most = most.max(used);
        }
    }
    assert!(
        most > budget / 4,
        "answers are cached ({most} bytes at most)"
    );
}

/// Finding 19: `/metrics` is on its own listener when `metrics.addr` is set
/// (the main listener answers 404), behind `metrics.token` when that is set,
/// and hidden in production with neither.
#[tokio::test]
async fn metrics_are_not_public_on_the_main_listener() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = free.local_addr().expect("port").port();
    drop(free);
    let app = spawn_app_with(|s| s.metrics.addr = format!("127.0.0.1:{port}")).await;
    let r = app.get("/metrics", None).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "ROUTE_NOT_FOUND"));
    let own = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .expect("the metrics listener answers");
    assert_eq!(own.status(), 200);
    assert!(
        own.text()
            .await
            .unwrap()
            .contains("yizhan_http_requests_total")
    );

    let token = "metrics-token-0f3c9a7e5b1d2468ace13579";
    let app = spawn_app_with(|s| s.metrics.token = token.to_owned().into()).await;
    assert_eq!(app.get("/metrics", None).await.status, 401);
    assert_eq!(app.get("/metrics", Some("wrong")).await.status, 401);
    let r = app.get("/metrics", Some(token)).await;
    assert_eq!(r.status, 200);
    assert!(r.text.contains("yizhan_http_requests_total"));

    let app = spawn_app_with(|s| s.env = yizhan::settings::Environment::Production).await;
    let r = app.get("/metrics", None).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "ROUTE_NOT_FOUND"));
}
