use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};
use yizhan::auth::jwt::JwtKeys;

use crate::support::{spawn_app, spawn_app_with};

#[tokio::test]
async fn wechat_login_creates_the_resident_once_and_never_leaks_the_session_key() {
    let app = spawn_app().await;
    app.wechat_knows_code("code-1", "openid-A").await;
    app.wechat_knows_code("code-2", "openid-A").await;

    let first = app
        .post("/auth/wechat/login", None, json!({ "code": "code-1" }))
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["expires_in"], 7200);
    assert_eq!(first.body["user"]["roles"], json!(["resident"]));
    assert!(
        first.body["refresh_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 32)
    );
    assert!(!first.text.contains("secret-session-key"));

    let second = app
        .post("/auth/wechat/login", None, json!({ "code": "code-2" }))
        .await;
    assert_eq!(second.status, 200);
    assert_eq!(second.body["user"]["id"], first.body["user"]["id"]);

    let token = first.body["access_token"].as_str().unwrap();
    let me = app.get("/me", Some(token)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["id"], first.body["user"]["id"]);

    let received = app.wechat.received_requests().await.unwrap();
    let call = &received[0];
    let query: Vec<(String, String)> = call.url.query_pairs().into_owned().collect();
    assert!(query.contains(&("grant_type".into(), "authorization_code".into())));
    assert!(query.contains(&("appid".into(), app.settings.wechat.app_id.clone())));
    assert!(query.contains(&("js_code".into(), "code-1".into())));
}

async fn login_with_wechat_answer(template: ResponseTemplate) -> crate::support::Reply {
    let app = spawn_app_with(|s| s.wechat.timeout_ms = 400).await;
    Mock::given(method("GET"))
        .and(path("/sns/jscode2session"))
        .respond_with(template)
        .mount(&app.wechat)
        .await;
    let r = app
        .post("/auth/wechat/login", None, json!({ "code": "any" }))
        .await;
    let users: Vec<entity::user::Model> = <entity::user::Entity as sea_orm::EntityTrait>::find()
        .all(&app.db)
        .await
        .unwrap();
    assert!(users.is_empty(), "a failed login must create no user");
    r
}

fn errcode(code: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "errcode": code, "errmsg": "err rid: 1" }))
}

#[tokio::test]
async fn wechat_errors_map_to_stable_codes() {
    for (answer, status, code) in [
        (errcode(40029), 401, "WECHAT_CODE_INVALID"),
        (errcode(40163), 401, "WECHAT_CODE_INVALID"),
        (errcode(45011), 429, "RATE_LIMITED"),
        (errcode(40226), 403, "WECHAT_USER_BLOCKED"),
        (errcode(-1), 503, "WECHAT_UNAVAILABLE"),
        (errcode(40013), 503, "WECHAT_UNAVAILABLE"),
        (ResponseTemplate::new(502), 503, "WECHAT_UNAVAILABLE"),
        (
            ResponseTemplate::new(200).set_body_string("<html>"),
            503,
            "WECHAT_UNAVAILABLE",
        ),
        (
            ResponseTemplate::new(200)
                .set_body_json(json!({ "openid": "late" }))
                .set_delay(Duration::from_secs(2)),
            503,
            "WECHAT_UNAVAILABLE",
        ),
    ] {
        let r = login_with_wechat_answer(answer).await;
        assert_eq!((r.status.as_u16(), r.code()), (status, code), "{}", r.text);
        if status == 429 {
            assert!(r.headers.contains_key("retry-after"));
        }
    }
}

#[tokio::test]
async fn login_code_is_required() {
    let app = spawn_app().await;
    let r = app
        .post("/auth/wechat/login", None, json!({ "code": " " }))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.fields(), vec!["code"]);
    let r = app.post("/auth/wechat/login", None, json!({})).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.fields(), vec!["code"]);
    assert!(app.wechat.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn dev_login_is_404_unless_enabled() {
    let app = spawn_app_with(|s| s.auth.dev_login = false).await;
    let r = app
        .post("/auth/dev/login", None, json!({ "openid": "x" }))
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "ROUTE_NOT_FOUND");
}

#[tokio::test]
async fn refresh_rotates_and_a_replayed_token_revokes_the_family() {
    let app = spawn_app().await;
    let (access, _, login) = app.resident("rot").await;
    let first_refresh = login["refresh_token"].as_str().unwrap().to_owned();

    let r = app
        .post(
            "/auth/refresh",
            None,
            json!({ "refresh_token": first_refresh }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let second_refresh = r.body["refresh_token"].as_str().unwrap().to_owned();
    let second_access = r.body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first_refresh);
    assert_eq!(app.get("/me", Some(&second_access)).await.status, 200);

    // The spent token comes back: a thief or a replay. The whole family dies.
    let replay = app
        .post(
            "/auth/refresh",
            None,
            json!({ "refresh_token": first_refresh }),
        )
        .await;
    assert_eq!(replay.status, 401);
    assert_eq!(replay.code(), "REFRESH_TOKEN_REUSED");
    let after = app
        .post(
            "/auth/refresh",
            None,
            json!({ "refresh_token": second_refresh }),
        )
        .await;
    assert_eq!(after.status, 401);
    assert_eq!(after.code(), "REFRESH_TOKEN_INVALID");
    assert_eq!(app.get("/me", Some(&second_access)).await.status, 401);
    assert_eq!(app.get("/me", Some(&access)).await.status, 401);

    // Other sessions of the same user are untouched.
    let (other, _, _) = app.resident("rot").await;
    assert_eq!(app.get("/me", Some(&other)).await.status, 200);

    let unknown = app
        .post(
            "/auth/refresh",
            None,
            json!({ "refresh_token": "nonsense" }),
        )
        .await;
    assert_eq!(
        (unknown.status.as_u16(), unknown.code()),
        (401, "REFRESH_TOKEN_INVALID")
    );
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_let_at_most_one_through() {
    let app = spawn_app().await;
    let (_, _, login) = app.resident("race").await;
    let refresh = login["refresh_token"].as_str().unwrap().to_owned();
    let tries =
        (0..8).map(|_| app.post("/auth/refresh", None, json!({ "refresh_token": refresh })));
    let replies = futures_util::future::join_all(tries).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    assert!(ok <= 1, "{ok} refreshes succeeded with one token");
    assert!(replies.iter().all(|r| r.status == 200 || r.status == 401));
}

#[tokio::test]
async fn logout_revokes_access_and_refresh_tokens() {
    let app = spawn_app().await;
    let (access, _, login) = app.resident("bye").await;
    let r = app
        .call(Method::POST, "/auth/logout", Some(&access), None)
        .await;
    assert_eq!(r.status, 204);
    let me = app.get("/me", Some(&access)).await;
    assert_eq!((me.status.as_u16(), me.code()), (401, "TOKEN_INVALID"));
    let refresh = app
        .post(
            "/auth/refresh",
            None,
            json!({ "refresh_token": login["refresh_token"] }),
        )
        .await;
    assert_eq!(refresh.status, 401);
    let again = app.call(Method::POST, "/auth/logout", None, None).await;
    assert_eq!((again.status.as_u16(), again.code()), (401, "UNAUTHORIZED"));
}

#[tokio::test]
async fn bad_tokens_are_401() {
    let app = spawn_app().await;
    let (access, user_id, _) = app.resident("tok").await;

    let missing = app.get("/me", None).await;
    assert_eq!(
        (missing.status.as_u16(), missing.code()),
        (401, "UNAUTHORIZED")
    );

    let basic = app
        .send(
            app.client
                .get(app.url("/me"))
                .header("authorization", "Basic abc"),
        )
        .await;
    assert_eq!(
        (basic.status.as_u16(), basic.code()),
        (401, "TOKEN_INVALID")
    );

    let mut tampered = access.clone().into_bytes();
    let mid = tampered.len() - 5;
    tampered[mid] = if tampered[mid] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        app.get("/me", Some(&tampered)).await.code(),
        "TOKEN_INVALID"
    );

    let wrong_key = JwtKeys::new(&"another-secret-another-secret-xx".to_owned().into(), 3600);
    let sid = jsonwebtoken_claims_sid(&access);
    let forged = wrong_key.issue_access(user_id, &sid).unwrap();
    assert_eq!(app.get("/me", Some(&forged)).await.code(), "TOKEN_INVALID");

    let expired_keys = JwtKeys::new(&app.settings.auth.jwt_secret, -60);
    let expired = expired_keys.issue_access(user_id, &sid).unwrap();
    let r = app.get("/me", Some(&expired)).await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "TOKEN_EXPIRED"));

    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(
        json!({ "sub": user_id.to_string(), "sid": sid, "iat": 0, "exp": 9_999_999_999i64, "typ": "access" })
            .to_string(),
    );
    let none = format!("{header}.{payload}.");
    let r = app.get("/me", Some(&none)).await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "TOKEN_INVALID"));

    // A correctly signed token still works.
    assert_eq!(app.get("/me", Some(&access)).await.status, 200);
}

fn jsonwebtoken_claims_sid(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = URL_SAFE_NO_PAD.decode(payload).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    v["sid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn admin_login_checks_the_password_and_hides_which_part_was_wrong() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let me = app.get("/me", Some(&platform)).await;
    assert_eq!(me.body["roles"], json!(["platform_admin"]));
    let username = me.body["nickname"].as_str().unwrap().to_owned();

    let wrong = app
        .post(
            "/auth/admin/login",
            None,
            json!({ "username": username, "password": "wrong-password" }),
        )
        .await;
    assert_eq!(
        (wrong.status.as_u16(), wrong.code()),
        (401, "INVALID_CREDENTIALS")
    );
    let unknown = app
        .post(
            "/auth/admin/login",
            None,
            json!({ "username": "nobody", "password": "wrong-password" }),
        )
        .await;
    assert_eq!(
        (unknown.status.as_u16(), unknown.code()),
        (401, "INVALID_CREDENTIALS")
    );
    assert_eq!(
        wrong.body["error"]["message"],
        unknown.body["error"]["message"]
    );
}

#[tokio::test]
async fn login_endpoints_are_rate_limited_per_client() {
    let app = spawn_app_with(|s| s.rate_limit.login_per_minute = 3).await;
    for i in 0..3 {
        let r = app
            .post(
                "/auth/dev/login",
                None,
                json!({ "openid": format!("rl{i}") }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = app
        .post("/auth/dev/login", None, json!({ "openid": "rl9" }))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (429, "RATE_LIMITED"));
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let admin = app
        .post(
            "/auth/admin/login",
            None,
            json!({ "username": "x", "password": "y" }),
        )
        .await;
    assert_eq!(admin.status, 429);
    let count: Vec<entity::user::Model> = <entity::user::Entity as sea_orm::EntityTrait>::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(count.len(), 3);
}

#[tokio::test]
async fn wechat_login_rate_limit_from_wechat_does_not_create_users() {
    let app = spawn_app().await;
    Mock::given(method("GET"))
        .and(path("/sns/jscode2session"))
        .and(query_param("js_code", "busy"))
        .respond_with(errcode(45011))
        .expect(1)
        .mount(&app.wechat)
        .await;
    let r = app
        .post("/auth/wechat/login", None, json!({ "code": "busy" }))
        .await;
    assert_eq!(r.status, 429);
}
