//! The web console's server side: its files and their headers, the session
//! cookie, scan-to-log-in tickets, the admin's password change, and the two
//! merchant reads the console needs (its campaigns, a pickup look-up).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::group_buys::{market, neighbour, open_campaign, quiet_app, reach_cut_off};
use crate::support::{Reply, TestApp, spawn_app, spawn_app_with};

/// The value of the refresh cookie a response sets ("" when it clears it).
fn set_cookie(r: &Reply) -> Option<(String, String)> {
    let header = r.headers.get("set-cookie")?.to_str().ok()?.to_owned();
    let value = header
        .split(';')
        .next()?
        .strip_prefix("yz_console_refresh=")?
        .to_owned();
    Some((value, header))
}

/// A console page or file (outside `/api/v1`).
async fn static_get(app: &TestApp, path: &str) -> Reply {
    app.send(app.client.get(format!("{}{path}", app.base)))
        .await
}

async fn console_post(app: &TestApp, path: &str, cookie: Option<&str>) -> Reply {
    let mut req = app.client.post(app.url(path)).json(&json!({}));
    if let Some(c) = cookie {
        req = req.header("cookie", format!("other=1; yz_console_refresh={c}"));
    }
    app.send(req).await
}

/// An admin signed into the console: (access token, cookie value, answer).
async fn console_admin_session(
    app: &TestApp,
    username: &str,
    password: &str,
) -> (String, String, Reply) {
    let login = app
        .post(
            "/auth/admin/login",
            None,
            json!({ "username": username, "password": password }),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.text);
    let r = app
        .post(
            "/console/session",
            None,
            json!({ "refresh_token": login.body["refresh_token"] }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (cookie, _) = set_cookie(&r).expect("cookie set");
    (
        r.body["access_token"].as_str().unwrap().to_owned(),
        cookie,
        r,
    )
}

async fn platform_account(app: &TestApp) -> (String, String) {
    let username = format!("root{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    yizhan::admins::create_admin_account(
        &app.db,
        &username,
        "platform-pass-1",
        yizhan::admins::AdminScope::Platform,
    )
    .await
    .unwrap();
    (username, "platform-pass-1".to_owned())
}

#[tokio::test]
async fn the_console_is_served_under_a_strict_csp() {
    let app = spawn_app().await;
    let page = static_get(&app, "/console/").await;
    assert_eq!(page.status, 200);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text.contains("驿站管理后台"));
    let csp = page.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    // The one inline script, the import map, is allowed by its exact hash.
    let start = page.text.find("<script type=\"importmap\">").unwrap()
        + "<script type=\"importmap\">".len();
    let len = page.text[start..].find("</script>").unwrap();
    let hash = STANDARD.encode(Sha256::digest(&page.text.as_bytes()[start..start + len]));
    assert!(
        csp.contains(&format!("script-src 'self' 'sha256-{hash}'")),
        "{csp}"
    );
    assert!(!csp.contains("unsafe"), "{csp}");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"),
        "{csp}"
    );
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    assert_eq!(page.headers["cache-control"], "no-cache");

    // The console's own routes are the page too, queries and all.
    let deep = static_get(&app, "/console/notices?status=draft&page=2").await;
    assert_eq!((deep.status.as_u16(), deep.text == page.text), (200, true));
    let bare = static_get(&app, "/console").await;
    assert_eq!(bare.status, 308);
    assert_eq!(bare.headers["location"], "/console/");

    // Vendored files are versioned and cached for a year; app files revalidate.
    let import_map: Value = serde_json::from_str(&page.text[start..start + len]).unwrap();
    let vue_path = import_map["imports"]["vue"].as_str().unwrap();
    assert!(vue_path.starts_with("/console/vendor/vue@"), "{vue_path}");
    let vue = static_get(&app, vue_path).await;
    assert_eq!(vue.status, 200);
    assert!(
        vue.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(
        vue.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let main = static_get(&app, "/console/app/main.js").await;
    assert_eq!(main.status, 200);
    assert_eq!(main.headers["cache-control"], "no-cache");
    let etag = main.headers["etag"].to_str().unwrap().to_owned();
    let again = app
        .send(
            app.client
                .get(format!("{}/console/app/main.js", app.base))
                .header("if-none-match", &etag),
        )
        .await;
    assert_eq!((again.status.as_u16(), again.text.as_str()), (304, ""));
    assert!(again.headers.contains_key("content-security-policy"));

    let missing = static_get(&app, "/console/app/missing.js").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.headers["x-content-type-options"], "nosniff");
    // Only the page, app/ and vendor/ are served: not the screenshots, not the scripts.
    for other in [
        "/console/screenshots/login.png",
        "/console/update-vendor.sh",
    ] {
        assert_eq!(static_get(&app, other).await.status, 404, "{other}");
    }
}

#[tokio::test]
async fn an_admin_session_lives_in_an_http_only_cookie_that_rotates() {
    let app = spawn_app().await;
    let (username, password) = platform_account(&app).await;
    let (token, cookie, opened) = console_admin_session(&app, &username, &password).await;
    let (_, header) = set_cookie(&opened).unwrap();
    for part in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/api/v1/console/session",
    ] {
        assert!(header.contains(part), "{header}");
    }
    assert_eq!(opened.headers["cache-control"], "no-store");
    assert!(
        opened.body.get("refresh_token").is_none(),
        "{}",
        opened.text
    );
    assert_eq!(
        opened.body["admin_community_ids"],
        Value::Null,
        "a platform admin runs every community"
    );
    assert_eq!(opened.body["user"]["roles"], json!(["platform_admin"]));
    assert_eq!(app.get("/me", Some(&token)).await.status, 200);

    // Refreshing rotates the cookie; the new access token works.
    let r = console_post(&app, "/console/session/refresh", Some(&cookie)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (next, _) = set_cookie(&r).unwrap();
    assert_ne!(next, cookie);
    let fresh = r.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/me", Some(&fresh)).await.status, 200);

    // A replayed (stolen) cookie signs the whole session out and is cleared.
    let replay = console_post(&app, "/console/session/refresh", Some(&cookie)).await;
    assert_eq!(
        (replay.status.as_u16(), replay.code()),
        (401, "REFRESH_TOKEN_REUSED")
    );
    assert!(set_cookie(&replay).unwrap().1.contains("Max-Age=0"));
    let after = console_post(&app, "/console/session/refresh", Some(&next)).await;
    assert_eq!(after.status, 401);
    assert_eq!(app.get("/me", Some(&fresh)).await.status, 401);

    let none = console_post(&app, "/console/session/refresh", None).await;
    assert_eq!(
        (none.status.as_u16(), none.code()),
        (401, "REFRESH_TOKEN_INVALID")
    );
    let bad = app
        .post("/console/session", None, json!({ "refresh_token": "" }))
        .await;
    // A blank token is one that was never issued: 401 like any unknown one.
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (401, "REFRESH_TOKEN_INVALID")
    );
}

#[tokio::test]
async fn logout_revokes_the_session_and_clears_the_cookie() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "退出社区").await;
    let r = app
        .post("/admin/admins", Some(&platform), json!({ "username": "cadmin1", "password": "community-pass-1", "community_ids": [cid] }))
        .await;
    assert_eq!(r.status, 201);
    let (token, cookie, opened) = console_admin_session(&app, "cadmin1", "community-pass-1").await;
    assert_eq!(opened.body["admin_community_ids"], json!([cid]));

    let out = console_post(&app, "/console/session/logout", Some(&cookie)).await;
    assert_eq!(out.status, 204);
    assert!(set_cookie(&out).unwrap().1.contains("Max-Age=0"));
    assert_eq!(app.get("/me", Some(&token)).await.code(), "TOKEN_INVALID");
    let refresh = console_post(&app, "/console/session/refresh", Some(&cookie)).await;
    assert_eq!(refresh.status, 401);
    // Signing out twice, or without a cookie, is harmless.
    assert_eq!(
        console_post(&app, "/console/session/logout", None)
            .await
            .status,
        204
    );
}

/// A ticket as the console creates it.
pub(crate) async fn new_ticket(app: &TestApp) -> Value {
    let r = app.post("/console/login-tickets", None, json!({})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

pub(crate) async fn poll(app: &TestApp, ticket: &Value, secret: Option<&str>) -> Reply {
    let mut req = app.client.get(app.url(&format!(
        "/console/login-tickets/{}",
        ticket["id"].as_str().unwrap()
    )));
    if let Some(s) = secret.or(ticket["secret"].as_str()) {
        req = req.header("x-ticket-secret", s);
    }
    app.send(req).await
}

pub(crate) async fn confirm(app: &TestApp, ticket: &Value, token: &str) -> Reply {
    app.call(
        Method::POST,
        &format!(
            "/console/login-tickets/{}/confirm",
            ticket["id"].as_str().unwrap()
        ),
        Some(token),
        None,
    )
    .await
}

#[tokio::test]
async fn a_merchant_logs_in_by_scanning_a_ticket_once() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "扫码社区").await;
    let (merchant_id, owner) = app.approved_merchant(&platform, &[cid], "scan-owner").await;

    let ticket = new_ticket(&app).await;
    let id = ticket["id"].as_str().unwrap();
    assert_eq!(id.len(), 22);
    // Without WeChat credentials: a plain QR code of the configured link.
    assert_eq!(ticket["code_kind"], "qr");
    assert_eq!(
        ticket["code_content"],
        format!("https://yizhan.example.com/console-login?ticket={id}")
    );
    let png = STANDARD
        .decode(
            ticket["code_image"]
                .as_str()
                .unwrap()
                .strip_prefix("data:image/png;base64,")
                .unwrap(),
        )
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    let pending = poll(&app, &ticket, None).await;
    assert_eq!(
        (pending.status.as_u16(), pending.body["status"].as_str()),
        (200, Some("pending"))
    );
    assert!(pending.headers.get("set-cookie").is_none());
    // Whoever merely saw the code cannot collect the session.
    assert_eq!(
        poll(&app, &ticket, Some("guess")).await.code(),
        "LOGIN_TICKET_NOT_FOUND"
    );

    // A resident without a shop has nothing to manage: refused, ticket untouched.
    let (resident, _, _) = app.resident("just-a-resident").await;
    let refused = confirm(&app, &ticket, &resident).await;
    assert_eq!(
        (refused.status.as_u16(), refused.code()),
        (403, "FORBIDDEN")
    );
    assert_eq!(poll(&app, &ticket, None).await.body["status"], "pending");
    assert_eq!(confirm(&app, &ticket, "not-a-token").await.status, 401);

    let ok = confirm(&app, &ticket, &owner).await;
    assert_eq!(ok.status, 204, "{}", ok.text);
    let twice = confirm(&app, &ticket, &owner).await;
    assert_eq!(
        (twice.status.as_u16(), twice.code()),
        (409, "LOGIN_TICKET_USED")
    );

    let handed = poll(&app, &ticket, None).await;
    assert_eq!(handed.status, 200, "{}", handed.text);
    assert_eq!(handed.body["status"], "confirmed");
    let session = &handed.body["session"];
    assert_eq!(session["merchants"][0]["id"], merchant_id);
    assert_eq!(session["admin_community_ids"], json!([]));
    assert!(session.get("refresh_token").is_none());
    let (cookie, header) = set_cookie(&handed).expect("the refresh cookie");
    assert!(header.contains("HttpOnly"));
    let token = session["access_token"].as_str().unwrap();
    let goods = app
        .get(&format!("/merchants/{merchant_id}/goods"), Some(token))
        .await;
    assert_eq!(goods.status, 200);
    assert_eq!(
        console_post(&app, "/console/session/refresh", Some(&cookie))
            .await
            .status,
        200
    );

    let spent = poll(&app, &ticket, None).await;
    assert_eq!(
        (spent.status.as_u16(), spent.code()),
        (409, "LOGIN_TICKET_USED")
    );
    let unknown = app
        .get("/console/login-tickets/AAAAAAAAAAAAAAAAAAAAAA", None)
        .await;
    assert_eq!(
        (unknown.status.as_u16(), unknown.code()),
        (404, "LOGIN_TICKET_NOT_FOUND")
    );
    let nul = app.get("/console/login-tickets/a%00b", None).await;
    assert_eq!(nul.status, 400);
}

#[tokio::test]
async fn an_unconfirmed_ticket_expires() {
    let app = spawn_app_with(|s| s.console.ticket_ttl_secs = 1).await;
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "过期社区").await;
    let (_, owner) = app.approved_merchant(&platform, &[cid], "late-owner").await;
    let ticket = new_ticket(&app).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let late = confirm(&app, &ticket, &owner).await;
    assert_eq!(
        (late.status.as_u16(), late.code()),
        (409, "LOGIN_TICKET_EXPIRED")
    );
    let polled = poll(&app, &ticket, None).await;
    assert_eq!(
        (polled.status.as_u16(), polled.code()),
        (409, "LOGIN_TICKET_EXPIRED")
    );
}

#[tokio::test]
async fn racing_confirmations_and_polls_hand_one_session_over_once() {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let app = Arc::new(spawn_app_with(|s| s.rate_limit.login_per_minute = 100_000).await);
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "并发社区").await;
    let mut owners = Vec::new();
    for i in 0..4 {
        let (_, token) = app
            .approved_merchant(&platform, &[cid], &format!("racer-{i}"))
            .await;
        owners.push(token);
    }
    let ticket = Arc::new(new_ticket(&app).await);

    // Sixteen confirmations from four shop owners at once: one wins.
    let confirms = futures_util::future::join_all((0..16).map(|i| {
        let (app, ticket, token) = (app.clone(), ticket.clone(), owners[i % 4].clone());
        tokio::spawn(async move { confirm(&app, &ticket, &token).await })
    }))
    .await;
    let codes: Vec<(u16, String)> = confirms
        .into_iter()
        .map(|r| r.unwrap())
        .map(|r| (r.status.as_u16(), r.code().to_owned()))
        .collect();
    assert_eq!(codes.iter().filter(|c| c.0 == 204).count(), 1, "{codes:?}");
    assert!(
        codes
            .iter()
            .all(|c| c.0 == 204 || c.1 == "LOGIN_TICKET_USED"),
        "{codes:?}"
    );

    // Sixteen polls at once: one session handed over, one session started.
    let polls = futures_util::future::join_all((0..16).map(|_| {
        let (app, ticket) = (app.clone(), ticket.clone());
        tokio::spawn(async move { poll(&app, &ticket, None).await })
    }))
    .await;
    let replies: Vec<Reply> = polls.into_iter().map(|r| r.unwrap()).collect();
    let handed: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        handed.len(),
        1,
        "{:?}",
        replies.iter().map(|r| r.text.clone()).collect::<Vec<_>>()
    );
    assert!(
        replies
            .iter()
            .all(|r| r.status == 200 || r.code() == "LOGIN_TICKET_USED")
    );
    let user_id = handed[0].body["session"]["user"]["id"].as_i64().unwrap();
    let sessions = entity::auth_session::Entity::find()
        .filter(entity::auth_session::Column::UserId.eq(user_id))
        .count(&app.db)
        .await
        .unwrap();
    // The dev login that made the owner, plus exactly one console session.
    assert_eq!(sessions, 2);
}

#[tokio::test]
async fn the_code_is_a_mini_program_code_when_wechat_is_configured() {
    let app = spawn_app_with(|s| {
        s.wechat.app_id = "wx_real_app".into();
        s.console.wxacode_page = "pages/console/confirm".into();
    })
    .await;
    app.wechat_issues_token("tok-1").await;
    let jpeg = b"\xff\xd8\xff\xe0fake-jpeg".to_vec();
    Mock::given(method("POST"))
        .and(path("/wxa/getwxacodeunlimit"))
        .and(query_param("access_token", "tok-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/jpeg")
                .set_body_bytes(jpeg.clone()),
        )
        .expect(1)
        .mount(&app.wechat)
        .await;
    let ticket = new_ticket(&app).await;
    assert_eq!(ticket["code_kind"], "wxacode");
    assert_eq!(ticket["code_content"], ticket["id"]);
    assert_eq!(
        ticket["code_image"],
        format!("data:image/jpeg;base64,{}", STANDARD.encode(&jpeg))
    );
    let requests = app.wechat.received_requests().await.unwrap();
    let call = requests
        .iter()
        .find(|r| r.url.path() == "/wxa/getwxacodeunlimit")
        .unwrap();
    let sent: Value = serde_json::from_slice(&call.body).unwrap();
    assert_eq!(sent["scene"], ticket["id"]);
    assert_eq!(sent["page"], "pages/console/confirm");
}

#[tokio::test]
async fn a_wechat_failure_falls_back_to_a_plain_qr_code() {
    let app = spawn_app_with(|s| s.wechat.app_id = "wx_real_app".into()).await;
    app.wechat_issues_token("tok-1").await;
    Mock::given(method("POST"))
        .and(path("/wxa/getwxacodeunlimit"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "errcode": 41030, "errmsg": "invalid page" })),
        )
        .mount(&app.wechat)
        .await;
    let ticket = new_ticket(&app).await;
    assert_eq!(ticket["code_kind"], "qr");
    assert!(
        ticket["code_image"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
}

#[tokio::test]
async fn ticket_creation_is_rate_limited() {
    let app = spawn_app_with(|s| s.rate_limit.login_per_minute = 2).await;
    for _ in 0..2 {
        assert_eq!(
            app.post("/console/login-tickets", None, json!({}))
                .await
                .status,
            201
        );
    }
    let r = app.post("/console/login-tickets", None, json!({})).await;
    assert_eq!((r.status.as_u16(), r.code()), (429, "RATE_LIMITED"));
    assert!(r.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn an_admin_changes_their_password_and_other_sessions_end() {
    let app = spawn_app_with(|s| s.rate_limit.login_per_minute = 100_000).await;
    let (username, password) = platform_account(&app).await;
    let current = app.admin_login(&username, &password).await;
    let other = app.admin_login(&username, &password).await;

    // Residents have no password: refused before any field is looked at.
    let (resident, _, _) = app.resident("pw-resident").await;
    let r = app.post("/me/password", Some(&resident), json!({})).await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));

    let r = app
        .post(
            "/me/password",
            Some(&current),
            json!({ "old_password": "wrong-one", "new_password": "short" }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.fields(), vec!["old_password", "new_password"]);
    let r = app
        .post(
            "/me/password",
            Some(&current),
            json!({ "old_password": password, "new_password": password }),
        )
        .await;
    assert_eq!(r.fields(), vec!["new_password"]);
    let r = app
        .post(
            "/me/password",
            Some(&current),
            json!({ "old_password": password, "new_password": "new\u{0}password" }),
        )
        .await;
    assert_eq!(r.fields(), vec!["new_password"]);
    let r = app
        .post(
            "/me/password",
            Some(&current),
            json!({ "old_password": password }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["new_password".to_owned()])
    );

    let r = app
        .post(
            "/me/password",
            Some(&current),
            json!({ "old_password": password, "new_password": "a-better-pass-2" }),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        app.get("/me", Some(&current)).await.status,
        200,
        "this session stays"
    );
    assert_eq!(
        app.get("/me", Some(&other)).await.code(),
        "TOKEN_INVALID",
        "the others end"
    );
    let old = app
        .post(
            "/auth/admin/login",
            None,
            json!({ "username": username, "password": password }),
        )
        .await;
    assert_eq!(old.code(), "INVALID_CREDENTIALS");
    app.admin_login(&username, "a-better-pass-2").await;
}

/// A campaign that succeeded with one order of 2 awaiting pickup: (campaign id, code).
async fn awaiting_pickup(app: &TestApp, m: &crate::group_buys::Market) -> (i64, String) {
    let id = open_campaign(app, m, 10, 1, 5).await;
    let buyer = neighbour(app, m, "pickup-buyer").await;
    let placed = app
        .post(
            &format!("/group-buys/{id}/orders"),
            Some(&buyer),
            json!({ "quantity": 2 }),
        )
        .await;
    assert_eq!(placed.status, 201, "{}", placed.text);
    reach_cut_off(app, id).await;
    yizhan::group_buys::settlement::sweep(&app.db, &app.state_cache())
        .await
        .unwrap();
    let order = app
        .get(
            &format!("/orders/{}", placed.body["order_no"].as_str().unwrap()),
            Some(&buyer),
        )
        .await;
    (
        id,
        order.body["pickup_code"]
            .as_str()
            .expect("a pickup code")
            .to_owned(),
    )
}

#[tokio::test]
async fn a_pickup_code_is_looked_up_before_the_hand_over() {
    let app = quiet_app().await;
    let m = market(&app, 50).await;
    let (campaign, code) = awaiting_pickup(&app, &m).await;
    let lookup = |code: &str| format!("/merchants/{}/pickups/{code}", m.merchant_id);

    let r = app.get(&lookup(&code), Some(&m.owner)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["group_buy_id"], campaign);
    assert_eq!(r.body["group_buy_title"], "脐橙团购");
    assert_eq!(r.body["quantity"], 2);
    assert_eq!(r.body["status"], "awaiting_pickup");
    assert_eq!(r.body["nickname"], "居民pickup-buyer");
    assert!(r.body.get("pickup_code").is_none());
    // Looking up changes nothing.
    assert_eq!(app.get(&lookup(&code), Some(&m.owner)).await.status, 200);

    let wrong = app.get(&lookup("00000000"), Some(&m.owner)).await;
    assert_eq!(
        (wrong.status.as_u16(), wrong.code()),
        (409, "PICKUP_CODE_INVALID")
    );
    let nul = app.get(&lookup("1234%005678"), Some(&m.owner)).await;
    assert_eq!((nul.status.as_u16(), nul.code()), (400, "INVALID_QUERY"));

    // Another shop: not its order, whether asked on its own shop or on this one.
    let (other_id, other) = app
        .approved_merchant(&m.platform, &[m.community_id], "other-shop")
        .await;
    let r = app
        .get(
            &format!("/merchants/{other_id}/pickups/{code}"),
            Some(&other),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "PICKUP_CODE_INVALID"));
    let r = app.get(&lookup(&code), Some(&other)).await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    assert_eq!(app.get(&lookup(&code), None).await.status, 401);

    let handed = app
        .post(
            &format!("/merchants/{}/pickups", m.merchant_id),
            Some(&m.owner),
            json!({ "pickup_code": code }),
        )
        .await;
    assert_eq!(handed.status, 200, "{}", handed.text);
    let used = app.get(&lookup(&code), Some(&m.owner)).await;
    assert_eq!(
        (used.status.as_u16(), used.code()),
        (409, "PICKUP_CODE_INVALID")
    );
}

#[tokio::test]
async fn pickup_look_ups_are_rate_limited_per_shop() {
    let app = spawn_app_with(|s| {
        s.jobs.sweep_interval_ms = 3_600_000;
        s.rate_limit.login_per_minute = 100_000;
        s.rate_limit.pickup_lookup_per_minute = 3;
    })
    .await;
    let m = market(&app, 50).await;
    for _ in 0..3 {
        let r = app
            .get(
                &format!("/merchants/{}/pickups/12345678", m.merchant_id),
                Some(&m.owner),
            )
            .await;
        assert_eq!(r.code(), "PICKUP_CODE_INVALID");
    }
    let r = app
        .get(
            &format!("/merchants/{}/pickups/12345678", m.merchant_id),
            Some(&m.owner),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (429, "RATE_LIMITED"));
    assert!(r.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn the_owner_lists_campaigns_in_every_state() {
    let app = quiet_app().await;
    let m = market(&app, 100).await;
    let first = open_campaign(&app, &m, 10, 1, 5).await;
    let second = open_campaign(&app, &m, 10, 1, 5).await;
    let cancelled = app
        .call(
            Method::POST,
            &format!("/group-buys/{first}/cancel"),
            Some(&m.owner),
            None,
        )
        .await;
    assert_eq!(cancelled.status, 200);

    let all = app
        .get(
            &format!("/merchants/{}/group-buys", m.merchant_id),
            Some(&m.owner),
        )
        .await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(all.body["total"], 2);
    assert_eq!(all.body["items"][0]["id"], second, "newest first");
    assert_eq!(all.body["items"][1]["status"], "cancelled");
    assert_eq!(
        all.body["items"][0]["community_ids"],
        json!([m.community_id])
    );
    let only = app
        .get(
            &format!("/merchants/{}/group-buys?status=cancelled", m.merchant_id),
            Some(&m.owner),
        )
        .await;
    assert_eq!(
        (
            only.body["total"].as_u64(),
            only.body["items"][0]["id"].as_i64()
        ),
        (Some(1), Some(first))
    );
    let ongoing = app
        .get(
            &format!(
                "/merchants/{}/group-buys?status=ongoing&page_size=1",
                m.merchant_id
            ),
            Some(&m.owner),
        )
        .await;
    assert_eq!(ongoing.body["total"], 1);

    let bad = app
        .get(
            &format!("/merchants/{}/group-buys?status=bogus", m.merchant_id),
            Some(&m.owner),
        )
        .await;
    assert_eq!((bad.status.as_u16(), bad.code()), (400, "INVALID_QUERY"));
    let (_, stranger) = app
        .approved_merchant(&m.platform, &[m.community_id], "stranger-shop")
        .await;
    let r = app
        .get(
            &format!("/merchants/{}/group-buys", m.merchant_id),
            Some(&stranger),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
}
