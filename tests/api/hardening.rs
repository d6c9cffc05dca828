//! Issue 21 (hardening): one regression test per finding, and the tests of
//! the classes behind them (background loops, times, ...).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::group_buys::{market, neighbour, open_campaign, reach_cut_off};
use crate::support::{TestApp, spawn_app_with};

async fn exec(app: &TestApp, sql_sqlite: &str, values: Vec<sea_orm::Value>) {
    let backend = app.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            // `?` placeholders numbered for PostgreSQL.
            let mut out = String::new();
            let mut n = 0;
            for ch in sql_sqlite.chars() {
                if ch == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(ch);
                }
            }
            out
        }
        _ => sql_sqlite.to_owned(),
    };
    app.db
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .unwrap();
}

/// Finding 1: a group-buy whose pickup starts at the end of the calendar
/// made the subscribe-message sender panic on `t + 8h`.
#[tokio::test]
async fn the_sender_survives_a_pickup_time_at_the_end_of_the_calendar() {
    let app = spawn_app_with(|s| {
        s.jobs.sweep_interval_ms = 3_600_000;
        s.rate_limit.login_per_minute = 10_000;
        s.wechat.templates.group_buy = "TPL_GROUP_BUY".into();
    })
    .await;
    app.wechat_issues_token("AT").await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "errcode": 0, "errmsg": "ok" })),
        )
        .mount(&app.wechat)
        .await;
    let m = market(&app, 20).await;
    let id = open_campaign(&app, &m, 10, 1, 5).await;
    let buyer = neighbour(&app, &m, "far-future").await;
    app.post(
        "/me/subscriptions",
        Some(&buyer),
        json!({ "topic": "group_buy", "grants": 1 }),
    )
    .await;
    let r = app
        .post(
            &format!("/group-buys/{id}/orders"),
            Some(&buyer),
            json!({ "quantity": 1 }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    reach_cut_off(&app, id).await;
    // Written straight to the database: the API no longer accepts such dates.
    let end: DateTime<Utc> = DateTime::<Utc>::MAX_UTC - chrono::TimeDelta::hours(1);
    let end = DateTime::<Utc>::from_timestamp(end.timestamp(), 0).unwrap();
    exec(
        &app,
        "UPDATE group_buys SET pickup_starts_at = ?, pickup_ends_at = ? WHERE id = ?",
        vec![end.into(), end.into(), id.into()],
    )
    .await;
    yizhan::group_buys::settlement::sweep(&app.db, &app.state_cache())
        .await
        .unwrap();
    let state = app.state.clone();
    let out = tokio::spawn(async move { yizhan::subscriptions::sender::sweep(&state).await })
        .await
        .expect("the sender does not panic")
        .unwrap();
    assert_eq!(out.len(), 1, "{out:?}");
    let sent = app.wechat.received_requests().await.unwrap();
    let sent: Vec<serde_json::Value> = sent
        .into_iter()
        .filter(|r| r.url.path() == "/cgi-bin/message/subscribe/send")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(sent.len(), 1);
    assert!(
        !sent[0]["data"]["time3"]["value"]
            .as_str()
            .unwrap_or("")
            .is_empty()
    );
}

/// Background loops: a job whose rounds panic is caught, counted in
/// /metrics, and neither it nor any other job stops.
#[tokio::test]
async fn a_panicking_job_does_not_stop_the_others() {
    let app = spawn_app_with(|_| {}).await;
    let panicked = Arc::new(AtomicU64::new(0));
    let healthy = Arc::new(AtomicU64::new(0));
    let p = panicked.clone();
    yizhan::jobs::repeat("test-panicker", StdDuration::from_millis(10), move || {
        let p = p.clone();
        async move {
            p.fetch_add(1, Ordering::SeqCst);
            if p.load(Ordering::SeqCst) > 0 {
                panic!("a bad row");
            }
            Ok::<(), String>(())
        }
    });
    let h = healthy.clone();
    yizhan::jobs::repeat("test-healthy", StdDuration::from_millis(10), move || {
        let h = h.clone();
        async move {
            h.fetch_add(1, Ordering::SeqCst);
            Ok::<(), String>(())
        }
    });
    // Both jobs go on looping, the panicking one counted at every round.
    let rises = |c: &Arc<AtomicU64>, from: u64| {
        let c = c.clone();
        async move {
            for _ in 0..500 {
                if c.load(Ordering::SeqCst) >= from + 3 {
                    return true;
                }
                tokio::time::sleep(StdDuration::from_millis(20)).await;
            }
            false
        }
    };
    assert!(rises(&panicked, 0).await, "the panicking job runs");
    assert!(rises(&healthy, 0).await, "the other job runs");
    let (p1, h1) = (
        panicked.load(Ordering::SeqCst),
        healthy.load(Ordering::SeqCst),
    );
    assert!(
        rises(&panicked, p1).await,
        "the panicking job keeps looping"
    );
    assert!(rises(&healthy, h1).await, "the other job keeps looping");
    assert!(yizhan::jobs::panics_of("test-panicker") >= 3);
    let metrics = app.get("/metrics", None).await;
    assert!(
        metrics
            .text
            .contains("yizhan_background_job_panics_total{job=\"test-panicker\"}"),
        "{}",
        metrics.text
    );
}

/// Times (finding 2 and its class): every time a client sends is bounded to
/// 2000-01-01..2100-01-01 at parse; out of range is 400 in a query, 422
/// naming the field in a body, never a panic or a dropped connection.
#[tokio::test]
async fn extreme_times_are_refused_by_every_endpoint_taking_one() {
    const EXTREMES: [&str; 5] = [
        "+262142-12-31T23:59:59Z",
        "-262143-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        "1999-12-31T23:59:59Z",
    ];
    let enc = |s: &str| s.replace('+', "%2B").replace(':', "%3A");
    let app = spawn_app_with(|s| s.rate_limit.login_per_minute = 10_000).await;
    let m = market(&app, 20).await;
    let (helper, _, _) = app
        .approved_helper(&m.platform, "h-times", &[m.community_id], &["家政保洁"])
        .await;
    let service = app
        .offer_service(
            &helper,
            json!({ "category": "家政保洁", "title": "日常保洁", "price": "60.00",
                    "duration_minutes": 60, "community_ids": [m.community_id] }),
        )
        .await;
    let (slot_start, slot_end) = crate::support::slot_times(2, 60);
    let now = Utc::now();
    let at = |h: i64| (now + chrono::TimeDelta::hours(h)).to_rfc3339();
    let notice = app
        .post(
            "/admin/notices",
            Some(&m.platform),
            json!({ "community_id": m.community_id, "kind": "general", "title": "t", "content": "c" }),
        )
        .await;
    assert_eq!(notice.status, 201, "{}", notice.text);
    let notice_id = notice.body["id"].as_i64().unwrap();

    for extreme in EXTREMES {
        // Queries: 400 INVALID_QUERY, the parameter named.
        for (param, token) in [("from", None), ("to", None), ("from", Some(&helper))] {
            let url = match token {
                None => format!("/services/{service}/slots?{param}={}", enc(extreme)),
                Some(_) => format!("/helpers/me/slots?{param}={}", enc(extreme)),
            };
            let r = app.get(&url, token.map(String::as_str)).await;
            assert_eq!(
                (r.status.as_u16(), r.code()),
                (400, "INVALID_QUERY"),
                "{url}: {}",
                r.text
            );
            assert_eq!(r.fields(), vec![param.to_owned()], "{url}: {}", r.text);
        }
        // The raw `+` of the issue's URL (a space once decoded) is no crash either.
        let r = app
            .get(&format!("/services/{service}/slots?from={extreme}"), None)
            .await;
        assert_eq!(r.status, 400, "{}", r.text);

        // Bodies: 422 naming the field.
        let mut cases: Vec<(String, Option<&str>, serde_json::Value, &str, bool)> = Vec::new();
        for field in ["starts_at", "ends_at"] {
            let mut body = json!({ "starts_at": slot_start, "ends_at": slot_end });
            body[field] = json!(extreme);
            cases.push((
                "/helpers/me/slots".into(),
                Some(&helper),
                body,
                field,
                false,
            ));
            let mut body = json!({ "title": "满30减5", "starts_at": at(-1), "ends_at": at(24) });
            body[field] = json!(extreme);
            cases.push((
                format!("/merchants/{}/promotions", m.merchant_id),
                Some(&m.owner),
                body,
                field,
                false,
            ));
        }
        for field in ["starts_at", "ends_at", "pickup_starts_at", "pickup_ends_at"] {
            let mut body = json!({
                "goods_id": m.goods_id, "title": "脐橙团购", "group_price": "29.90",
                "min_quantity": 1, "total_quantity": 5, "per_user_limit": 1,
                "starts_at": at(0), "ends_at": at(2), "pickup_address": "一楼",
                "pickup_starts_at": at(3), "pickup_ends_at": at(8),
                "community_ids": [m.community_id]
            });
            body[field] = json!(extreme);
            cases.push((
                format!("/merchants/{}/group-buys", m.merchant_id),
                Some(&m.owner),
                body,
                field,
                false,
            ));
        }
        for field in ["starts_at", "ends_at", "publish_at"] {
            let mut body = json!({ "community_id": m.community_id, "kind": "power_outage",
                "title": "停电", "content": "c", "starts_at": at(1), "ends_at": at(3) });
            body[field] = json!(extreme);
            cases.push((
                "/admin/notices".into(),
                Some(&m.platform),
                body,
                field,
                false,
            ));
            cases.push((
                format!("/admin/notices/{notice_id}"),
                Some(&m.platform),
                json!({ field: extreme }),
                field,
                true,
            ));
        }
        for (url, token, body, field, patch) in cases {
            let r = if patch {
                app.patch(&url, token, body).await
            } else {
                app.post(&url, token, body).await
            };
            assert_eq!(
                (r.status.as_u16(), r.code()),
                (422, "VALIDATION_FAILED"),
                "{url} {field}={extreme}: {}",
                r.text
            );
            assert_eq!(r.fields(), vec![field.to_owned()], "{url}: {}", r.text);
        }
    }
}

/// Finding 13: a NUL character anywhere (a body string, a query parameter,
/// a path segment) is refused with 422 / 400 on every backend, never a 500.
#[tokio::test]
async fn nul_characters_are_refused_on_every_backend() {
    let app = spawn_app_with(|s| s.rate_limit.login_per_minute = 10_000).await;
    let platform = app.platform_admin().await;
    let (community, _, _) = app.community_with_building(&platform, "甲").await;

    for url in ["/goods?q=a%00b", "/goods?q=ok&page=1%00", "/notices?q=%00"] {
        let r = app.get(url, None).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (400, "INVALID_QUERY"),
            "{url}: {}",
            r.text
        );
        assert_eq!(r.fields().len(), 1, "{url}: {}", r.text);
    }
    let r = app.get("/goods?q=a%00b", None).await;
    assert_eq!(r.fields(), vec!["q".to_owned()]);
    for url in ["/goods/1%00", "/media/a%00b.jpg", "/communities/x%00"] {
        let r = app.get(url, None).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (400, "INVALID_QUERY"),
            "{url}: {}",
            r.text
        );
        assert_eq!(r.fields(), vec!["path".to_owned()], "{url}: {}", r.text);
    }

    let r = app
        .post(
            "/auth/dev/login",
            None,
            json!({ "openid": "nul", "nickname": "a\u{0}b" }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["nickname".to_owned()]),
        "{}",
        r.text
    );
    let r = app
        .post(
            "/auth/dev/login",
            None,
            json!({ "openid": "o\u{0}", "nickname": "n" }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["openid".to_owned()]),
        "{}",
        r.text
    );
    let r = app
        .post(
            "/admin/notices",
            Some(&platform),
            json!({ "community_id": community, "kind": "general", "title": "停\u{0}水", "content": "c" }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["title".to_owned()]),
        "{}",
        r.text
    );
    let r = app
        .post(
            "/admin/notices",
            Some(&platform),
            json!({ "community_id": community, "kind": "general", "title": "t", "content": "c",
                    "building_ids": [], "extra": { "deep": ["x", "\u{0}"] } }),
        )
        .await;
    // A field the body type does not have is ignored whatever it holds, NUL
    // included (it never reaches a handler or the database): the notice is
    // created, like with any unknown field.
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(!r.text.contains("deep"), "{}", r.text);
    let r = app
        .post(
            "/auth/admin/login",
            None,
            json!({ "username": "nobody", "password": "wrong-pass", "x\u{0}": {} }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (401, "INVALID_CREDENTIALS"),
        "{}",
        r.text
    );
    // An escaped backslash before `u0000` is no NUL: the notice is created.
    let r = app
        .post(
            "/admin/notices",
            Some(&platform),
            json!({ "community_id": community, "kind": "general", "title": "t", "content": "\\u0000" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["content"], "\\u0000");
}

/// Finding 16: request headers over 16 kB in all are 431, not accepted.
#[tokio::test]
async fn oversized_headers_are_431() {
    let app = spawn_app_with(|_| {}).await;
    let big = "a".repeat(70 * 1024);
    let r = app
        .send(app.client.get(app.url("/goods")).header("x-padding", big))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (431, "HEADERS_TOO_LARGE"),
        "{}",
        r.text
    );
    // Many small headers count together.
    let mut req = app.client.get(app.url("/goods"));
    for i in 0..40 {
        req = req.header(format!("x-pad-{i}"), "b".repeat(500));
    }
    assert_eq!(app.send(req).await.status, 431);
    // An ordinary request with a few kB of headers is served.
    let r = app
        .send(
            app.client
                .get(app.url("/goods"))
                .header("x-padding", "c".repeat(8 * 1024)),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// Finding 6: environment names other than development / test / production
/// are refused (no case or abbreviation falls back to development), and
/// production refuses weak secrets and the shipped WeChat app secret.
#[test]
fn environments_and_production_secrets_are_checked() {
    use yizhan::settings::{Environment, Settings, is_weak_secret};
    let dir = crate::support::config_dir();
    for env in ["prod", "Production", "PRODUCTION", "staging", "dev", ""] {
        assert!(
            Settings::load_for(&dir, env).is_err(),
            "YIZHAN_ENV={env:?} was accepted"
        );
    }
    let strong_jwt = "a-long-production-secret-0123456789abcdef";
    let strong_key = "another-long-production-key-0123456789abcdef";
    let strong_wechat = "0f3c9a7e5b1d2468ace13579bdf02468";
    let production = || {
        let mut s = Settings::load_for(&dir, "test").unwrap();
        s.env = Environment::Production;
        s.auth.dev_login = false;
        s.auth.jwt_secret = strong_jwt.to_owned().into();
        s.media.signing_key = strong_key.to_owned().into();
        s.wechat.app_secret = strong_wechat.to_owned().into();
        s
    };
    assert!(production().check().is_ok());
    for weak in [
        "a".repeat(64),
        "ab".repeat(32),
        "1234567123456712345671234567123456712345".to_owned(),
        "short-but-random-9f8e".to_owned(),
    ] {
        assert!(is_weak_secret(&weak, "x"), "{weak} passed");
        let mut s = production();
        s.auth.jwt_secret = weak.clone().into();
        let err = s.check().unwrap_err().to_string();
        assert!(err.contains("auth.jwt_secret"), "{err}");
        let mut s = production();
        s.media.signing_key = weak.clone().into();
        let err = s.check().unwrap_err().to_string();
        assert!(err.contains("media.signing_key"), "{err}");
    }
    let mut s = production();
    s.wechat.app_secret = yizhan::settings::DEV_WECHAT_APP_SECRET.to_owned().into();
    let err = s.check().unwrap_err().to_string();
    assert!(err.contains("wechat.app_secret"), "{err}");
    // Development and test keep their shipped values.
    assert!(Settings::load_for(&dir, "test").is_ok());
    assert!(Settings::load_for(&dir, "development").is_ok());
}

/// Finding 5: behind our proxies, the client IP is the `X-Forwarded-For` hop
/// `trusted_proxies` from the right; hops the client writes change nothing.
#[tokio::test]
async fn forwarded_for_takes_the_trusted_hop_from_the_right() {
    let app = spawn_app_with(|s| {
        s.server.trust_forwarded_for = true;
        s.server.trusted_proxies = 1;
        s.rate_limit.login_per_minute = 3;
    })
    .await;
    let login = |xff: String| {
        let app = &app;
        async move {
            app.send(
                app.client
                    .post(app.url("/auth/dev/login"))
                    .header("x-forwarded-for", xff)
                    .json(&json!({ "openid": "xff", "nickname": "n" })),
            )
            .await
            .status
            .as_u16()
        }
    };
    // A client rotating the first hop is still one client (203.0.113.7).
    let mut statuses = Vec::new();
    for i in 0..5 {
        statuses.push(login(format!("10.0.0.{i}, 203.0.113.7")).await);
    }
    assert_eq!(statuses, vec![200, 200, 200, 429, 429]);
    // Nor can it lock another client out by naming it first.
    assert_eq!(login("203.0.113.7, 198.51.100.1".into()).await, 200);
    assert_eq!(login("198.51.100.2".into()).await, 200);
}

/// Finding 15: a quantity above the per-user limit in one order is the limit
/// rule, 409 `PER_USER_LIMIT`, like any order over the limit; nothing is taken.
#[tokio::test]
async fn a_quantity_above_the_limit_is_409_per_user_limit() {
    let app = spawn_app_with(|s| {
        s.jobs.sweep_interval_ms = 3_600_000;
        s.rate_limit.login_per_minute = 10_000;
    })
    .await;
    let m = market(&app, 20).await;
    let id = open_campaign(&app, &m, 10, 1, 2).await;
    let buyer = neighbour(&app, &m, "over").await;
    let path = format!("/group-buys/{id}/orders");
    for quantity in [3, 1_000_000, i64::MAX] {
        let r = app
            .post(&path, Some(&buyer), json!({ "quantity": quantity }))
            .await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (409, "PER_USER_LIMIT"),
            "{quantity}: {}",
            r.text
        );
    }
    let r = app
        .post(&path, Some(&buyer), json!({ "quantity": 0 }))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["quantity".to_owned()])
    );
    assert_eq!(app.get("/me/orders", Some(&buyer)).await.body["total"], 0);
    let gb = app.get(&format!("/group-buys/{id}"), None).await;
    assert_eq!(gb.body["remaining_quantity"], 10, "{}", gb.text);
    let r = app
        .post(&path, Some(&buyer), json!({ "quantity": 2 }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

/// Finding 18: cancelling a campaign while its settlement commits returns the
/// stock once: the state cancel ends is the one its conditional update
/// matched inside its transaction.
#[tokio::test]
async fn cancel_racing_settlement_returns_stock_once() {
    use sea_orm::EntityTrait;
    let app = spawn_app_with(|s| {
        s.jobs.sweep_interval_ms = 3_600_000;
        s.rate_limit.login_per_minute = 10_000;
    })
    .await;
    let m = market(&app, 1000).await;
    let buyer = neighbour(&app, &m, "race").await;
    let mut ids = Vec::new();
    for _ in 0..8 {
        let id = open_campaign(&app, &m, 10, 1, 5).await;
        let r = app
            .post(
                &format!("/group-buys/{id}/orders"),
                Some(&buyer),
                json!({ "quantity": 2 }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        reach_cut_off(&app, id).await;
        ids.push(id);
    }
    let paths: Vec<String> = ids
        .iter()
        .map(|id| format!("/group-buys/{id}/cancel"))
        .collect();
    let cancels = futures_util::future::join_all(
        paths.iter().map(|p| app.post(p, Some(&m.owner), json!({}))),
    );
    let cache = app.state_cache();
    let settle = yizhan::group_buys::settlement::sweep(&app.db, &cache);
    let (replies, settled) = tokio::join!(cancels, settle);
    settled.unwrap();
    for r in &replies {
        assert_eq!(r.status, 200, "{}", r.text);
    }
    // Whatever the order, every campaign ends cancelled with every order
    // cancelled: all 1000 units are back, not one more.
    let goods = entity::goods::Entity::find_by_id(m.goods_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(goods.stock, 1000);
}
