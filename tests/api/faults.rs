//! Fault drills against a real PostgreSQL: the database goes away under load
//! (every connection cut, new ones refused, as when the cluster stops) and
//! comes back. The app reaches the database through a TCP proxy the test
//! controls, so the drill disturbs no other test. On the embedded SQLite
//! default there is no database server to lose: the drill runs on
//! PostgreSQL only (`TEST_DATABASE_URL`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::future::join_all;
use secrecy::ExposeSecret;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, watch};

use crate::support::{TestApp, spawn_app_with};

/// A TCP proxy to `upstream` that can be taken down (every open connection
/// cut at once, new ones closed on accept) and brought back.
struct Proxy {
    port: u16,
    down: watch::Sender<bool>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (down, watcher) = watch::channel(false);
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if *watcher.borrow() {
                    continue; // dropped: the connection is refused
                }
                let mut cut = watcher.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.wait_for(|down| *down) => {}
                    }
                });
            }
        });
        Proxy { port, down }
    }

    fn set_down(&self, down: bool) {
        self.down.send_replace(down);
    }
}

/// `postgres://user@host:port/db` → (host:port, the URL through `port`).
fn through_proxy(url: &str, port: u16) -> (SocketAddr, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (auth, rest) = rest.rsplit_once('@').map_or(("", rest), |(a, r)| (a, r));
    let (host_port, path) = rest.split_once('/').unwrap();
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    let host_port = host_port.replace("localhost", "127.0.0.1");
    let at = if auth.is_empty() {
        String::new()
    } else {
        format!("{auth}@")
    };
    (
        host_port.parse().unwrap(),
        format!("{scheme}://{at}127.0.0.1:{port}/{path}"),
    )
}

/// The drills write far faster than one admin may (`rate_limit.writes_*`).
fn unlimited_writes(s: &mut yizhan::settings::Settings) {
    s.rate_limit.writes_per_minute_per_user = 1_000_000;
    s.rate_limit.writes_per_minute_per_ip = 1_000_000;
}

#[derive(Default)]
struct Tally {
    statuses: BTreeMap<(String, u16), usize>,
    no_answer: Vec<String>,
    missing_retry_after: usize,
    created: Vec<String>,
}

/// Eight clients for 9 s, each in turn reading `reads[0]`, reading
/// `reads[1]` and adding a building to grid `gid`, while `proxy` goes down
/// 1 s in and comes back 4 s later. What they were answered.
async fn drill(
    app: &TestApp,
    platform: &str,
    gid: i64,
    reads: [(&'static str, String); 2],
    proxy: Arc<Proxy>,
) -> Tally {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers = (0..8).map(|w| {
        let (client, tally, stop) = (client.clone(), tally.clone(), stop.clone());
        let (base, platform, reads) = (app.base.clone(), platform.to_owned(), reads.clone());
        async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let name = format!("楼{w}-{n}");
                let (what, req) = match n % 3 {
                    i @ (0 | 1) => {
                        let (what, path) = &reads[i];
                        (*what, client.get(format!("{base}{path}")))
                    }
                    _ => (
                        "write",
                        client
                            .post(format!("{base}/api/v1/admin/grids/{gid}/buildings"))
                            .bearer_auth(&platform)
                            .json(&json!({ "name": name, "households": 10 })),
                    ),
                };
                match req.send().await {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let retry = r.headers().contains_key("retry-after");
                        let mut t = tally.lock().await;
                        if status == 503 && what != "readyz" && !retry {
                            t.missing_retry_after += 1;
                        }
                        if what == "write" && status == 201 {
                            t.created.push(name);
                        }
                        *t.statuses.entry((what.to_owned(), status)).or_default() += 1;
                    }
                    Err(e) => tally.lock().await.no_answer.push(format!("{what}: {e}")),
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
    let outage = {
        let stop = stop.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            proxy.set_down(true);
            tokio::time::sleep(Duration::from_secs(4)).await;
            proxy.set_down(false);
            tokio::time::sleep(Duration::from_secs(4)).await;
            stop.store(true, Ordering::Relaxed);
        }
    };
    let mut all: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>>> =
        workers.map(|w| Box::pin(w) as _).collect();
    all.push(Box::pin(outage));
    join_all(all).await;
    std::mem::take(&mut *tally.lock().await)
}

#[tokio::test]
async fn the_database_going_away_under_load_is_503_with_retry_after_then_recovers() {
    let Some(base) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
    else {
        eprintln!("fault drill: PostgreSQL only (TEST_DATABASE_URL unset)");
        return;
    };
    let (upstream, _) = through_proxy(&base, 0);
    let proxy = Arc::new(Proxy::start(upstream).await);
    let port = proxy.port;
    let app = spawn_app_with(|s| {
        let (_, url) = through_proxy(s.database.url.expose_secret(), port);
        s.database.url = url.into();
        s.database.acquire_timeout_secs = 2;
        s.database.connect_timeout_secs = 2;
        unlimited_writes(s);
    })
    .await;
    let platform = app.platform_admin().await;
    let (_, gid, _) = app.community_with_building(&platform, "演练社区").await;
    // Warm a cached public read the drill's writes do not touch (a new
    // building drops the cached community, by design).
    assert_eq!(app.get("/goods-categories", None).await.status, 200);

    let t = drill(
        &app,
        &platform,
        gid,
        [
            ("readyz", "/readyz".to_owned()),
            ("cached read", "/api/v1/goods-categories".to_owned()),
        ],
        proxy.clone(),
    )
    .await;
    let report = format!("{:?}", t.statuses);
    eprintln!("fault drill: {report}");
    assert!(
        t.no_answer.is_empty(),
        "requests left without an answer: {:?}",
        t.no_answer
    );
    for (what, status) in t.statuses.keys() {
        assert!(
            matches!(*status, 200 | 201 | 503),
            "{what} answered {status} during the drill: {report}"
        );
    }
    assert_eq!(
        t.missing_retry_after, 0,
        "503 without Retry-After: {report}"
    );
    // The outage was seen, and the cache kept answering public reads.
    assert!(t.statuses.contains_key(&("readyz".into(), 503)), "{report}");
    assert!(t.statuses.contains_key(&("write".into(), 503)), "{report}");
    assert!(
        !t.statuses.contains_key(&("cached read".into(), 503)),
        "a cached public read failed while the database was away: {report}"
    );

    // Back without a restart of the API: ready, reads and writes work.
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, 200, "{}", ready.text);
    let r = app
        .post(
            &format!("/admin/grids/{gid}/buildings"),
            Some(&platform),
            json!({ "name": "恢复后", "households": 1 }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Every write answered 201 is there.
    let names: Vec<String> = sea_orm::ConnectionTrait::query_all_raw(
        &app.db,
        sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SELECT name FROM buildings WHERE grid_id = {gid}"),
        ),
    )
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get::<String>("", "name").unwrap())
    .collect();
    for created in &t.created {
        assert!(
            names.contains(created),
            "{created} answered 201 but is not stored"
        );
    }
}

/// `redis://host:port[/db]` → (host:port, the URL through `port`).
fn redis_through_proxy(url: &str, port: u16) -> (SocketAddr, String) {
    let rest = url.strip_prefix("redis://").unwrap();
    let (host_port, db) = rest.split_once('/').map_or((rest, ""), |(h, d)| (h, d));
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:6379")
    };
    let host_port = host_port.replace("localhost", "127.0.0.1");
    (
        host_port.parse().unwrap(),
        format!("redis://127.0.0.1:{port}/{db}"),
    )
}

#[tokio::test]
async fn redis_going_away_under_load_costs_no_answer_and_the_cache_comes_back() {
    let Some(redis) = crate::support::test_redis_url() else {
        eprintln!("fault drill: Redis only (TEST_REDIS_URL unset)");
        return;
    };
    let (upstream, _) = redis_through_proxy(&redis, 0);
    let proxy = Arc::new(Proxy::start(upstream).await);
    let port = proxy.port;
    let app = spawn_app_with(|s| {
        let (_, url) = redis_through_proxy(&redis, port);
        s.redis.url = Some(url.into());
        unlimited_writes(s);
    })
    .await;
    let platform = app.platform_admin().await;
    let (cid, gid, _) = app.community_with_building(&platform, "缓存演练").await;

    let t = drill(
        &app,
        &platform,
        gid,
        [
            ("goods read", "/api/v1/goods-categories".to_owned()),
            ("community read", format!("/api/v1/communities/{cid}")),
        ],
        proxy.clone(),
    )
    .await;
    let report = format!("{:?}", t.statuses);
    eprintln!("redis fault drill: {report}");
    assert!(
        t.no_answer.is_empty(),
        "requests left without an answer: {:?}",
        t.no_answer
    );
    for (what, status) in t.statuses.keys() {
        assert!(
            matches!(*status, 200 | 201),
            "{what} answered {status} while Redis was away: {report}"
        );
    }
    // The cache is back: ready, and what a write changes is seen at once.
    let ready = app.get("/readyz", None).await;
    assert_eq!(
        (ready.status.as_u16(), ready.body["cache"].as_str()),
        (200, Some("ok")),
        "{}",
        ready.text
    );
    let before = app.get(&format!("/communities/{cid}"), None).await;
    let r = app
        .post(
            &format!("/admin/grids/{gid}/buildings"),
            Some(&platform),
            json!({ "name": "恢复后", "households": 1 }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let after = app.get(&format!("/communities/{cid}"), None).await;
    assert_ne!(
        before.text, after.text,
        "a stale cached community after Redis came back"
    );
    assert!(after.text.contains("恢复后"), "{}", after.text);
}
