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
