//! Issue 14 part A: WeChat content checks. Text through `msg_sec_check`;
//! public images through `media_check_async`, whose verdict arrives at the
//! message-push endpoint.

use std::time::Duration;

use entity::upload;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};
use yizhan::content::{Scene, Verdict, check_text};
use yizhan::settings::ContentSettings;

use crate::support::{TestApp, spawn_app, spawn_app_with};
use crate::uploads::{jpeg, upload};

const PUSH_TOKEN: &str = "push-token-for-tests";
const CHECKS_ON: ContentSettings = ContentSettings {
    check_enabled: true,
};

/// WeChat answers `msg_sec_check` of `content` with `suggest`.
pub(crate) async fn wechat_judges(app: &TestApp, content: &str, suggest: &str) {
    Mock::given(method("POST"))
        .and(path("/wxa/msg_sec_check"))
        .and(query_param("access_token", "tok"))
        .and(body_partial_json(json!({ "content": content })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errcode": 0, "errmsg": "ok",
            "result": { "suggest": suggest, "label": if suggest == "pass" { 100 } else { 20001 } },
            "detail": [], "trace_id": "t"
        })))
        .mount(&app.wechat)
        .await;
}

pub(crate) async fn sec_check_bodies(app: &TestApp) -> Vec<Value> {
    app.wechat
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == "/wxa/msg_sec_check")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn text_checks_pass_review_and_refuse_as_wechat_suggests() {
    let app = spawn_app().await;
    app.wechat_issues_token("tok").await;
    wechat_judges(&app, "新鲜脐橙，欢迎选购", "pass").await;
    wechat_judges(&app, "加我微信私聊", "review").await;
    wechat_judges(&app, "违规内容", "risky").await;
    let wechat = &app.state.wechat;

    let verdict = check_text(
        wechat,
        &CHECKS_ON,
        "oid-1",
        Scene::Forum,
        "新鲜脐橙，欢迎选购",
    )
    .await;
    assert_eq!(verdict, Verdict::Pass);
    let verdict = check_text(wechat, &CHECKS_ON, "oid-1", Scene::Comment, "加我微信私聊").await;
    assert_eq!(verdict, Verdict::Review);
    let verdict = check_text(wechat, &CHECKS_ON, "oid-1", Scene::Profile, "违规内容").await;
    assert_eq!(verdict, Verdict::Risky);

    let bodies = sec_check_bodies(&app).await;
    assert_eq!(bodies.len(), 3);
    assert_eq!(
        bodies[0],
        json!({ "content": "新鲜脐橙，欢迎选购", "version": 2, "scene": 3, "openid": "oid-1" })
    );
    assert_eq!(
        (&bodies[1]["scene"], &bodies[2]["scene"]),
        (&json!(2), &json!(1))
    );

    // Checks off: everything passes and WeChat is not asked.
    let off = ContentSettings {
        check_enabled: false,
    };
    assert_eq!(
        check_text(wechat, &off, "oid-1", Scene::Forum, "违规内容").await,
        Verdict::Pass
    );
    assert_eq!(sec_check_bodies(&app).await.len(), 3);
}

#[tokio::test]
async fn long_text_is_checked_in_pieces_and_the_worst_piece_decides() {
    let app = spawn_app().await;
    app.wechat_issues_token("tok").await;
    let clean = "好".repeat(2500);
    let bad_tail = "违规内容";
    wechat_judges(&app, &clean, "pass").await;
    wechat_judges(&app, bad_tail, "risky").await;

    let text = format!("{clean}{clean}{bad_tail}");
    let verdict = check_text(&app.state.wechat, &CHECKS_ON, "oid-2", Scene::Forum, &text).await;
    assert_eq!(verdict, Verdict::Risky);
    let bodies = sec_check_bodies(&app).await;
    let sizes: Vec<usize> = bodies
        .iter()
        .map(|b| b["content"].as_str().unwrap().chars().count())
        .collect();
    assert_eq!(sizes, vec![2500, 2500, 4]);
}

#[tokio::test]
async fn wechat_unreachable_or_failing_means_review_never_pass() {
    // WeChat answering 503 to the check.
    let app = spawn_app().await;
    app.wechat_issues_token("tok").await;
    Mock::given(method("POST"))
        .and(path("/wxa/msg_sec_check"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&app.wechat)
        .await;
    let verdict = check_text(&app.state.wechat, &CHECKS_ON, "o", Scene::Forum, "你好").await;
    assert_eq!(verdict, Verdict::Review);

    // WeChat answering an error code (the user has not used the app lately).
    let app = spawn_app().await;
    app.wechat_issues_token("tok").await;
    Mock::given(method("POST"))
        .and(path("/wxa/msg_sec_check"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "errcode": 61010, "errmsg": "user is not active" })),
        )
        .mount(&app.wechat)
        .await;
    let verdict = check_text(&app.state.wechat, &CHECKS_ON, "o", Scene::Forum, "你好").await;
    assert_eq!(verdict, Verdict::Review);

    // Nothing listening at all.
    let app = spawn_app_with(|s| {
        s.wechat.api_base = "http://127.0.0.1:9".into();
        s.wechat.timeout_ms = 500;
    })
    .await;
    let verdict = check_text(&app.state.wechat, &CHECKS_ON, "o", Scene::Forum, "你好").await;
    assert_eq!(verdict, Verdict::Review);
}

// ---- images and the message push ----

pub(crate) fn signed(timestamp: &str, nonce: &str) -> String {
    let mut parts = [PUSH_TOKEN, timestamp, nonce];
    parts.sort_unstable();
    let signature = hex::encode(Sha1::digest(parts.concat().as_bytes()));
    format!("signature={signature}&timestamp={timestamp}&nonce={nonce}")
}

pub(crate) async fn push(app: &TestApp, query: &str, body: Value) -> crate::support::Reply {
    app.send(
        app.client
            .post(app.url(&format!("/wechat/message-push?{query}")))
            .json(&body),
    )
    .await
}

pub(crate) fn verdict_event(trace_id: &str, suggest: &str) -> Value {
    json!({
        "ToUserName": "gh_38cc49f9733b", "FromUserName": "oUser", "CreateTime": 1_700_000_000,
        "MsgType": "event", "Event": "wxa_media_check", "appid": "wx_dev_app_id",
        "trace_id": trace_id, "version": 2,
        "detail": [{ "strategy": "content_model", "errcode": 0, "suggest": suggest, "label": 20002, "prob": 90 }],
        "errcode": 0, "errmsg": "ok",
        "result": { "suggest": suggest, "label": 20002 }
    })
}

pub(crate) async fn checked_app() -> TestApp {
    spawn_app_with(|s| {
        s.content.check_enabled = true;
        s.wechat.push_token = PUSH_TOKEN.to_owned().into();
        s.media.public_base_url = "https://cdn.yizhan.test/media/".into();
    })
    .await
}

pub(crate) fn trace_answer(trace_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({ "errcode": 0, "errmsg": "ok", "trace_id": trace_id }))
}

/// WeChat answers the first `media_check_async` with `first`, every later
/// one with the trace id `then`.
pub(crate) async fn media_checks_answer(app: &TestApp, first: ResponseTemplate, then: &str) {
    Mock::given(method("POST"))
        .and(path("/wxa/media_check_async"))
        .and(query_param("access_token", "tok"))
        .respond_with(first)
        .up_to_n_times(1)
        .mount(&app.wechat)
        .await;
    Mock::given(method("POST"))
        .and(path("/wxa/media_check_async"))
        .respond_with(trace_answer(then))
        .mount(&app.wechat)
        .await;
}

/// Waits until the upload has a trace id (the check is sent after answering).
pub(crate) async fn trace_of(app: &TestApp, id: i64) -> Option<String> {
    for _ in 0..100 {
        let row = upload::Entity::find_by_id(id).one(&app.db).await.unwrap()?;
        if row.trace_id.is_some() {
            return row.trace_id;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn push_url_verification_echoes_only_when_signed() {
    let app = checked_app().await;
    let ok = app
        .get(
            &format!(
                "/wechat/message-push?{}&echostr=echo-123",
                signed("1700000000", "n1")
            ),
            None,
        )
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.text, "echo-123");
    let bad = app
        .get(
            "/wechat/message-push?signature=deadbeef&timestamp=1700000000&nonce=n1&echostr=echo-123",
            None,
        )
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (403, "SIGNATURE_INVALID")
    );
    let bare = app.get("/wechat/message-push", None).await;
    assert_eq!(bare.status, 403);

    // No token configured: nothing is trusted, even a signature over an empty token.
    let app = spawn_app().await;
    let parts = ["", "1700000000", "n1"];
    let mut sorted = parts;
    sorted.sort_unstable();
    let sig = hex::encode(Sha1::digest(sorted.concat().as_bytes()));
    let r = app
        .get(
            &format!(
                "/wechat/message-push?signature={sig}&timestamp=1700000000&nonce=n1&echostr=x"
            ),
            None,
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn public_images_are_sent_for_checking_and_a_flag_takes_them_down() {
    let app = checked_app().await;
    app.wechat_issues_token("tok").await;
    media_checks_answer(&app, trace_answer("trace-flag-1"), "trace-pass-2").await;
    let (token, _, _) = app.resident("oid-shop").await;
    let (other, _, _) = app.resident("oid-other").await;

    let bad_picture = jpeg(320, 240);
    let flagged = upload(&app, &token, "goods_image", &bad_picture).await;
    assert_eq!(flagged.status, 201, "{}", flagged.text);
    assert_eq!(flagged.body["moderation"], "pending");
    let url = flagged.body["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("https://cdn.yizhan.test/media/"), "{url}");
    let key = url.rsplit('/').next().unwrap().to_owned();
    let id = flagged.body["id"].as_i64().unwrap();
    assert_eq!(trace_of(&app, id).await.as_deref(), Some("trace-flag-1"));
    let sent: Vec<Value> = app
        .wechat
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/wxa/media_check_async")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(
        sent,
        vec![json!({
            "media_url": url, "media_type": 2, "version": 2, "scene": 3, "openid": "oid-shop"
        })]
    );

    let passed = upload(&app, &token, "avatar", &jpeg(100, 100)).await;
    let passed_id = passed.body["id"].as_i64().unwrap();
    assert_eq!(
        trace_of(&app, passed_id).await.as_deref(),
        Some("trace-pass-2")
    );

    // Private purposes are never sent: nobody but reviewers sees them.
    let licence = upload(&app, &token, "merchant_license", &jpeg(110, 110)).await;
    assert_eq!(licence.body["moderation"], "unchecked");

    // Served while pending.
    let res = app
        .client
        .get(app.url(&format!("/media/{key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // A verdict with a bad signature changes nothing.
    let forged = push(
        &app,
        "signature=0000&timestamp=1700000000&nonce=abc",
        verdict_event("trace-flag-1", "risky"),
    )
    .await;
    assert_eq!(
        (forged.status.as_u16(), forged.code()),
        (403, "SIGNATURE_INVALID")
    );
    let row = upload::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.moderation, "pending");

    // Signed: risky flags it and takes the picture down.
    let r = push(
        &app,
        &signed("1700000100", "nonce-1"),
        verdict_event("trace-flag-1", "risky"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.text, "success");
    let mine = app.get(&format!("/uploads/{id}"), Some(&token)).await;
    assert_eq!(mine.body["moderation"], "flagged");
    let res = app
        .client
        .get(app.url(&format!("/media/{key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let public_dir = std::path::PathBuf::from(&app.settings.media.fs_root).join("public");
    assert!(!public_dir.join(&key).exists());
    // The same picture is not taken again, from anyone.
    let again = upload(&app, &other, "goods_image", &bad_picture).await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (422, "CONTENT_REJECTED")
    );
    // Nor can it be attached to anything.
    let owner_id = row.owner_id;
    let err = yizhan::uploads::claim(
        &app.db,
        owner_id,
        yizhan::uploads::Purpose::GoodsImage,
        "images",
        &[id],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, yizhan::error::ErrorCode::ValidationFailed);

    // Pass: the avatar passes and stays served.
    let r = push(
        &app,
        &signed("1700000200", "nonce-2"),
        verdict_event("trace-pass-2", "pass"),
    )
    .await;
    assert_eq!(r.status, 200);
    let row = upload::Entity::find_by_id(passed_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.moderation, "pass");
    let avatar_key = row.storage_key;
    let res = app
        .client
        .get(app.url(&format!("/media/{avatar_key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Other events and unknown traces are acknowledged, changing nothing.
    let r = push(
        &app,
        &signed("1700000300", "nonce-3"),
        json!({ "Event": "user_enter_tempsession", "FromUserName": "x" }),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (200, "success"));
    let r = push(
        &app,
        &signed("1700000400", "nonce-4"),
        verdict_event("trace-unknown", "risky"),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (200, "success"));
    let r = app
        .send(
            app.client
                .post(app.url(&format!("/wechat/message-push?{}", signed("1", "n"))))
                .body("<xml>not json</xml>"),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "MALFORMED_JSON"));
}

#[tokio::test]
async fn a_check_wechat_never_got_is_sent_again() {
    let app = checked_app().await;
    app.wechat_issues_token("tok").await;
    media_checks_answer(&app, ResponseTemplate::new(502), "trace-late").await;
    let (token, _, _) = app.resident("oid-late").await;
    let r = upload(&app, &token, "review_photo", &jpeg(150, 150)).await;
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(trace_of(&app, id).await, None, "WeChat answered 502");
    let row = upload::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.moderation, "pending");

    let store = yizhan::media::MediaStore::new(&app.settings.media).unwrap();
    // Too soon: the first attempt may still be under way.
    yizhan::uploads::service::resubmit_media_checks(
        &app.db,
        &store,
        &app.state.wechat,
        yizhan::time::now(),
    )
    .await
    .unwrap();
    assert_eq!(
        upload::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .trace_id,
        None
    );
    let later = yizhan::time::now() + chrono::Duration::minutes(2);
    yizhan::uploads::service::resubmit_media_checks(&app.db, &store, &app.state.wechat, later)
        .await
        .unwrap();
    let row = upload::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.trace_id.as_deref(), Some("trace-late"));
    assert_eq!(row.moderation, "pending");
}

#[tokio::test]
async fn without_an_absolute_public_url_images_are_left_unchecked() {
    let app = spawn_app_with(|s| s.content.check_enabled = true).await;
    let (token, _, _) = app.resident("oid-local").await;
    let r = upload(&app, &token, "goods_image", &jpeg(120, 120)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    let mut state = String::new();
    for _ in 0..100 {
        state = upload::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .moderation;
        if state != "pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(state, "unchecked");
    assert!(
        app.wechat
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}
