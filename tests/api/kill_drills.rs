//! SIGKILL drills (PostgreSQL + Redis pass): two real server processes (the
//! built `yizhan` binary) share one fresh database, one Redis prefix and one
//! fake WeChat. One is killed with SIGKILL in the middle of the work; the
//! other finishes it, and the counts are exact: nothing lost, nothing done
//! twice. On SQLite (one process owns the file) they skip, saying so; under
//! `CI=true` the PostgreSQL pass always runs them.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use entity::group_buy::CampaignState;
use entity::inbox_message::InboxKind;
use entity::notice_delivery::DeliveryStatus;
use entity::{group_buy_notification, inbox_message, notice_delivery, order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, Statement,
};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::group_buys::{market, neighbour, reach_cut_off};
use crate::support::{TestApp, spawn_app_with, test_redis_url};

/// A `yizhan serve` process of its own.
struct Instance {
    child: Child,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts the binary with `app`'s database, Redis prefix, WeChat and
/// templates, its background sweeps every 100 ms; answers once `/readyz` is 200.
async fn serve(app: &TestApp) -> Instance {
    let port = free_port();
    let s = &app.settings;
    let redis = s.redis.url.as_ref().expect("the Redis pass");
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../config");
    let child = Command::new(env!("CARGO_BIN_EXE_yizhan"))
        .arg("serve")
        .env("YIZHAN_ENV", "test")
        .env("YIZHAN_CONFIG_DIR", config)
        .env("YIZHAN__SERVER__PORT", port.to_string())
        .env("YIZHAN__DATABASE__URL", s.database.url.expose_secret())
        .env("YIZHAN__REDIS__URL", redis.expose_secret())
        .env("YIZHAN__REDIS__KEY_PREFIX", &s.redis.key_prefix)
        .env("YIZHAN__WECHAT__API_BASE", &s.wechat.api_base)
        .env("YIZHAN__WECHAT__TEMPLATES__OUTAGE", "TPL_OUTAGE")
        .env("YIZHAN__WECHAT__TEMPLATES__GROUP_BUY", "TPL_GROUP_BUY")
        .env("YIZHAN__MEDIA__FS_ROOT", &s.media.fs_root)
        .env("YIZHAN__JOBS__SWEEP_INTERVAL_MS", "100")
        .env("YIZHAN__LOG__LEVEL", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the yizhan binary starts");
    let instance = Instance {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    loop {
        let ready = app
            .client
            .get(format!("{}/readyz", instance.base))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200);
        if ready {
            return instance;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{} never became ready",
            instance.base
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The drill runs only on PostgreSQL + Redis: say so elsewhere (and fail
/// under CI's PostgreSQL pass if it somehow cannot run).
fn drill_can_run() -> bool {
    let pg = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"));
    if pg && test_redis_url().is_some() {
        return true;
    }
    eprintln!("skipped here: the SIGKILL drills run in the PostgreSQL + Redis pass");
    false
}

/// The pid among `pids` owning the TCP connection whose local port is
/// `port` (a PostgreSQL client port), through /proc.
fn owner_of_port(port: u16, pids: &[u32]) -> Option<u32> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let local = cols.get(1).and_then(|a| a.rsplit(':').next());
            if local.and_then(|p| u16::from_str_radix(p, 16).ok()) == Some(port)
                && let Some(inode) = cols.get(9)
            {
                inodes.push(format!("socket:[{inode}]"));
            }
        }
    }
    pids.iter().copied().find(|pid| {
        std::fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|fds| {
            fds.flatten().any(|fd| {
                std::fs::read_link(fd.path())
                    .is_ok_and(|link| inodes.iter().any(|i| link.to_string_lossy() == *i))
            })
        })
    })
}

/// Client ports of connections in the middle of a transaction that has
/// written and whose statement matches `like` (not waiting on a lock).
async fn writers(app: &TestApp, like: &str) -> Vec<u16> {
    let rows = app
        .db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT client_port FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
               AND backend_xid IS NOT NULL AND wait_event_type IS DISTINCT FROM 'Lock' \
               AND query ILIKE $1",
            [like.into()],
        ))
        .await
        .expect("pg_stat_activity");
    rows.iter()
        .filter_map(|r| r.try_get::<i32>("", "client_port").ok())
        .filter_map(|p| u16::try_from(p).ok())
        .collect()
}

async fn wait_until<F, Fut>(what: &str, limit: Duration, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wechat_accepts_messages(app: &TestApp, delay: Duration) {
    app.wechat_issues_token("AT").await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "errcode": 0, "errmsg": "ok" }))
                .set_delay(delay),
        )
        .mount(&app.wechat)
        .await;
}

/// Subscribe messages WeChat received, by (openid, page).
async fn messages(app: &TestApp) -> HashMap<(String, String), usize> {
    let mut out = HashMap::new();
    for r in app.wechat.received_requests().await.unwrap_or_default() {
        if r.url.path() == "/cgi-bin/message/subscribe/send" {
            let v: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            let key = (
                v["touser"].as_str().unwrap_or_default().to_owned(),
                v["page"].as_str().unwrap_or_default().to_owned(),
            );
            *out.entry(key).or_default() += 1;
        }
    }
    out
}

fn quiet(s: &mut yizhan::settings::Settings) {
    // The in-process instance only sets the scene; the two processes work.
    s.jobs.sweep_interval_ms = 3_600_000;
    s.rate_limit.login_per_minute = 1_000_000;
    s.rate_limit.writes_per_minute_per_user = 1_000_000;
    s.rate_limit.writes_per_minute_per_ip = 1_000_000;
    s.wechat.templates.outage = "TPL_OUTAGE".into();
    s.wechat.templates.group_buy = "TPL_GROUP_BUY".into();
}

#[tokio::test]
async fn an_instance_killed_during_settlement_leaves_the_work_to_the_other() {
    if !drill_can_run() {
        return;
    }
    let app = spawn_app_with(quiet).await;
    wechat_accepts_messages(&app, Duration::ZERO).await;
    let m = market(&app, 100_000).await;
    let campaign = |min: i64| {
        let now = chrono::Utc::now();
        let at = |h: i64| (now + chrono::Duration::hours(h)).to_rfc3339();
        json!({
            "goods_id": m.goods_id, "title": "脐橙团购", "group_price": "29.90",
            "min_quantity": min, "total_quantity": 10_000, "per_user_limit": 1_000,
            "starts_at": (now - chrono::Duration::seconds(60)).to_rfc3339(), "ends_at": at(2),
            "pickup_address": "社区服务中心一楼", "pickup_starts_at": at(3),
            "pickup_ends_at": at(8), "community_ids": [m.community_id]
        })
    };
    // One campaign that will succeed and one that will fail (its minimum
    // out of reach), 20 residents placing 12 orders of 1-3 units in each.
    let mut ids = Vec::new();
    for min in [1, 9_999] {
        let r = app
            .post(
                &format!("/merchants/{}/group-buys", m.merchant_id),
                Some(&m.owner),
                campaign(min),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        ids.push(r.body["id"].as_i64().expect("id"));
    }
    let (winner, loser) = (ids[0], ids[1]);
    let mut ordered = HashMap::new();
    for i in 0..20 {
        let token = neighbour(&app, &m, &format!("buyer-{i}")).await;
        let r = app
            .post(
                "/me/subscriptions",
                Some(&token),
                json!({ "topic": "group_buy", "grants": 5 }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        for id in &ids {
            for k in 0..12 {
                let quantity = 1 + (i + k) % 3;
                let r = app
                    .post(
                        &format!("/group-buys/{id}/orders"),
                        Some(&token),
                        json!({ "quantity": quantity }),
                    )
                    .await;
                assert_eq!(r.status, 201, "{}", r.text);
                *ordered.entry(*id).or_insert(0) += quantity;
            }
        }
    }
    let stock_before = goods_stock(&app, m.goods_id).await;
    assert_eq!(stock_before, 100_000 - 20_000);

    let mut instances = vec![serve(&app).await, serve(&app).await];
    let pids: Vec<u32> = instances.iter().map(|i| i.child.id()).collect();
    reach_cut_off(&app, winner).await;
    reach_cut_off(&app, loser).await;
    // The moment one of them is writing a settlement, that one is killed.
    let started = Instant::now();
    let victim = loop {
        let ports = writers(&app, "%orders%").await;
        if let Some(pid) = ports.iter().find_map(|p| owner_of_port(*p, &pids)) {
            break pid;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no settlement seen"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let at = pids.iter().position(|p| *p == victim).unwrap_or(0);
    let mut dead = instances.remove(at);
    let alive = instances.remove(0);
    dead.child.kill().expect("SIGKILL");
    dead.child.wait().expect("reaped");
    let open_at_kill = states(&app, &ids)
        .await
        .iter()
        .filter(|s| **s == CampaignState::Open)
        .count();
    assert!(
        open_at_kill >= 1,
        "the kill landed after both settlements committed"
    );

    // The survivor settles both, exactly once, and sends each result once.
    wait_until(
        "both campaigns settled",
        Duration::from_secs(30),
        || async { states(&app, &ids).await == [CampaignState::Succeeded, CampaignState::Failed] },
    )
    .await;
    let participants = 20;
    wait_until("the results' messages", Duration::from_secs(30), || async {
        group_buy_notification::Entity::find()
            .filter(group_buy_notification::Column::SentAt.is_not_null())
            .count(&app.db)
            .await
            .unwrap_or(0)
            == participants * 2
    })
    .await;
    // Every order of the winner has its own pickup code; every order of the
    // loser is cancelled; stock came back exactly once for each campaign.
    let of = |id: i64| {
        order::Entity::find()
            .filter(order::Column::GroupBuyId.eq(id))
            .all(&app.db)
    };
    let won = of(winner).await.expect("orders");
    let lost = of(loser).await.expect("orders");
    assert_eq!((won.len(), lost.len()), (240, 240));
    let codes: std::collections::HashSet<_> =
        won.iter().filter_map(|o| o.pickup_code.clone()).collect();
    assert_eq!(codes.len(), 240, "one pickup code per order");
    assert!(
        won.iter()
            .all(|o| o.status == entity::order::OrderStatus::AwaitingPickup)
    );
    assert!(
        lost.iter()
            .all(|o| o.status == entity::order::OrderStatus::Cancelled)
    );
    assert_eq!(
        goods_stock(&app, m.goods_id).await,
        100_000 - ordered[&winner],
        "unsold and failed stock returned once"
    );
    assert_eq!(
        group_buy_notification::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        participants * 2,
        "each participant owed each result once"
    );
    let sent = messages(&app).await;
    assert_eq!(sent.len() as u64, participants * 2, "{sent:?}");
    assert!(sent.values().all(|n| *n == 1), "{sent:?}");
    let inbox = inbox_message::Entity::find()
        .filter(inbox_message::Column::Kind.eq(InboxKind::GroupBuySettled))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(
        inbox,
        (participants + 1) * 2,
        "one inbox result per participant (and the merchant) and campaign"
    );
    // The survivor still answers.
    let r = app
        .client
        .get(format!("{}/readyz", alive.base))
        .send()
        .await
        .expect("the survivor answers");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn an_instance_killed_during_a_push_fan_out_leaves_the_rest_to_the_other() {
    if !drill_can_run() {
        return;
    }
    let app = spawn_app_with(quiet).await;
    // WeChat takes a second to answer each message: the fan-out is under
    // way for several seconds, with messages in flight in both processes.
    wechat_accepts_messages(&app, Duration::from_secs(1)).await;
    let platform = app.platform_admin().await;
    let (community, _, building) = app.community_with_building(&platform, "推送社区").await;
    let admin = app.community_admin(&platform, &[community]).await;
    let recipients = 200;
    for i in 0..recipients {
        let (token, _, _) = app.resident(&format!("push-{i}")).await;
        app.bind_building(&token, building).await;
        let r = app
            .post(
                "/me/subscriptions",
                Some(&token),
                json!({ "topic": "outage", "grants": 1 }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let now = chrono::Utc::now();
    let r = app
        .post(
            "/admin/notices",
            Some(&admin),
            json!({ "community_id": community, "kind": "water_outage", "title": "明日停水",
                    "content": "管网检修", "push": true,
                    "starts_at": (now + chrono::Duration::hours(10)).to_rfc3339(),
                    "ends_at": (now + chrono::Duration::hours(14)).to_rfc3339() }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_i64().expect("id");

    let mut a = serve(&app).await;
    let b = serve(&app).await;
    let r = app
        .call(
            reqwest::Method::POST,
            &format!("/admin/notices/{id}/publish"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    wait_until("the fan-out under way", Duration::from_secs(20), || async {
        messages(&app).await.len() >= 40
    })
    .await;
    a.child.kill().expect("SIGKILL");
    a.child.wait().expect("reaped");
    let sent_at_kill = messages(&app).await.len();
    assert!(
        sent_at_kill < recipients,
        "the kill landed after the fan-out"
    );

    // The survivor sends the rest: rows the dead process had leased go to it
    // when their 60-second lease runs out; rows it had marked `sending` are
    // given up then (they may have reached WeChat: never sent twice).
    let deliveries = || {
        notice_delivery::Entity::find()
            .filter(notice_delivery::Column::NoticeId.eq(id))
            .all(&app.db)
    };
    wait_until(
        "every delivery finished",
        Duration::from_secs(90),
        || async {
            deliveries().await.is_ok_and(|rows| {
                rows.iter()
                    .all(|r| !matches!(r.status, DeliveryStatus::Pending | DeliveryStatus::Sending))
            })
        },
    )
    .await;
    let rows = deliveries().await.expect("deliveries");
    assert_eq!(rows.len(), recipients, "one delivery per recipient");
    let by_user = messages(&app).await;
    let mut stopped = 0;
    for row in &rows {
        let user = entity::user::Entity::find_by_id(row.user_id)
            .one(&app.db)
            .await
            .expect("user")
            .expect("exists");
        let openid = user.openid.unwrap_or_default();
        let got = by_user
            .get(&(openid.clone(), format!("pages/notice/detail?id={id}")))
            .copied()
            .unwrap_or(0);
        match row.status {
            DeliveryStatus::Sent => assert_eq!(got, 1, "{openid}: sent once"),
            DeliveryStatus::Failed => {
                assert_eq!(row.last_error.as_deref(), Some("sender stopped mid-send"));
                assert!(got <= 1, "{openid}: never twice");
                stopped += 1;
            }
            other => panic!("{openid}: {other:?}"),
        }
    }
    // Only what the dead process had handed to WeChat (16 at a time) is
    // given up; what it had only leased and prepared went to the survivor.
    // So a recipient without a message is one whose row was marked
    // `sending` a moment before the kill (a Redis read and a TCP write
    // before WeChat sees it): at most a couple, where leasing and marking
    // `sending` at once lost a dozen of them.
    assert!(stopped <= 16, "{stopped} deliveries given up");
    let delivered = rows
        .iter()
        .filter(|r| r.status == DeliveryStatus::Sent)
        .count();
    let total: usize = by_user.values().sum();
    assert!(
        total >= delivered && total <= recipients,
        "{total} messages"
    );
    assert!(
        recipients - total <= 2,
        "{} recipients got no message",
        recipients - total
    );
    assert!(
        by_user.values().all(|n| *n == 1),
        "never twice: {by_user:?}"
    );
    let r = app
        .client
        .get(format!("{}/readyz", b.base))
        .send()
        .await
        .expect("the survivor answers");
    assert_eq!(r.status(), 200);
}

async fn goods_stock(app: &TestApp, goods_id: i64) -> i64 {
    entity::goods::Entity::find_by_id(goods_id)
        .one(&app.db)
        .await
        .expect("goods")
        .map_or(-1, |g| i64::from(g.stock))
}

/// The campaigns' states as stored (committed).
async fn states(app: &TestApp, ids: &[i64]) -> Vec<CampaignState> {
    let mut out = Vec::new();
    for id in ids {
        let gb = entity::group_buy::Entity::find_by_id(*id)
            .one(&app.db)
            .await
            .expect("campaign")
            .expect("exists");
        out.push(gb.state);
    }
    out
}

/// The part of the push drill that runs on every backend: a row a dead
/// sender had only leased (prepared, not yet handed to WeChat) is left alone
/// while the lease holds and then sent by another sender, once.
#[tokio::test]
async fn a_delivery_leased_by_a_dead_sender_is_sent_once_its_lease_runs_out() {
    use sea_orm::{ActiveModelTrait, Set};
    let app = spawn_app_with(quiet).await;
    wechat_accepts_messages(&app, Duration::ZERO).await;
    let platform = app.platform_admin().await;
    let (community, _, building) = app.community_with_building(&platform, "租约社区").await;
    let admin = app.community_admin(&platform, &[community]).await;
    let (token, _, _) = app.resident("leased").await;
    app.bind_building(&token, building).await;
    app.post(
        "/me/subscriptions",
        Some(&token),
        json!({ "topic": "outage", "grants": 1 }),
    )
    .await;
    let now = chrono::Utc::now();
    let r = app
        .post(
            "/admin/notices",
            Some(&admin),
            json!({ "community_id": community, "kind": "water_outage", "title": "停水",
                    "content": "c", "push": true,
                    "starts_at": (now + chrono::Duration::hours(1)).to_rfc3339(),
                    "ends_at": (now + chrono::Duration::hours(2)).to_rfc3339() }),
        )
        .await;
    let id = r.body["id"].as_i64().expect("id");
    let r = app
        .call(
            reqwest::Method::POST,
            &format!("/admin/notices/{id}/publish"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let row = notice_delivery::Entity::find()
        .filter(notice_delivery::Column::NoticeId.eq(id))
        .one(&app.db)
        .await
        .expect("row")
        .expect("one delivery");
    let mut leased: notice_delivery::ActiveModel = row.into();
    leased.attempts = Set(1);
    leased.locked_until = Set(Some(yizhan::time::now() + chrono::Duration::seconds(60)));
    leased.update(&app.db).await.expect("leased");

    let first = yizhan::notices::push::sweep(&app.state, now)
        .await
        .expect("sweep");
    assert_eq!(first.sent, 0, "left alone while the lease holds");
    let later = now + chrono::Duration::minutes(2);
    let second = yizhan::notices::push::sweep(&app.state, later)
        .await
        .expect("sweep");
    assert_eq!((second.sent, second.failed), (1, 0));
    let third = yizhan::notices::push::sweep(&app.state, later)
        .await
        .expect("sweep");
    assert_eq!(third.sent, 0);
    let sent = messages(&app).await;
    assert_eq!(sent.values().sum::<usize>(), 1, "{sent:?}");
}
