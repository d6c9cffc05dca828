use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::support::spawn_app;

#[tokio::test]
async fn binding_a_building_sets_the_community() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (cid, _, bid) = app.community_with_building(&platform, "甲").await;
    let (token, _, _) = app.resident("me1").await;

    let r = app
        .patch("/me", Some(&token), json!({ "nickname": "李阿姨", "building_id": bid, "room": "301", "avatar_url": "https://img.example/a.png" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["nickname"], "李阿姨");
    assert_eq!(r.body["building_id"], bid);
    assert_eq!(r.body["community_id"], cid);
    assert_eq!(r.body["room"], "301");

    let me = app.get("/me", Some(&token)).await;
    assert_eq!(me.body, r.body);

    // Absent fields stay; null clears.
    let r = app
        .patch(
            "/me",
            Some(&token),
            json!({ "building_id": null, "avatar_url": null }),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["building_id"], json!(null));
    assert_eq!(r.body["community_id"], json!(null));
    assert_eq!(r.body["avatar_url"], json!(null));
    assert_eq!(r.body["nickname"], "李阿姨");
    assert_eq!(r.body["room"], "301");
}

#[tokio::test]
async fn invalid_profile_edits_are_422_and_change_nothing() {
    let app = spawn_app().await;
    let (token, _, login) = app.resident("me2").await;
    let r = app
        .patch(
            "/me",
            Some(&token),
            json!({ "nickname": "", "building_id": 424242, "avatar_url": "http://insecure/a.png", "room": "x".repeat(33) }),
        )
        .await;
    assert_eq!(r.status, 422);
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(
        fields,
        vec!["avatar_url", "building_id", "nickname", "room"]
    );
    let me = app.get("/me", Some(&token)).await;
    assert_eq!(me.body, login["user"]);

    let unknown = app
        .patch("/me", Some(&token), json!({ "roles": ["platform_admin"] }))
        .await;
    assert_eq!(unknown.status, 422);
    assert_eq!(
        app.get("/me", Some(&token)).await.body["roles"],
        json!(["resident"])
    );
}

#[tokio::test]
async fn phone_binding_uses_a_cached_access_token_and_masks_the_number() {
    let app = spawn_app().await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/token"))
        .and(query_param("grant_type", "client_credential"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "access_token": "AT1", "expires_in": 7200 })),
        )
        .expect(1)
        .mount(&app.wechat)
        .await;
    for (code, country) in [("p1", json!("86")), ("p2", json!(86))] {
        Mock::given(method("POST"))
            .and(path("/wxa/business/getuserphonenumber"))
            .and(query_param("access_token", "AT1"))
            .and(body_json(json!({ "code": code })))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "errcode": 0, "errmsg": "ok",
                "phone_info": { "phoneNumber": "13800138000", "purePhoneNumber": "13800138000", "countryCode": country,
                                "watermark": { "timestamp": 1, "appid": "wx" } }
            })))
            .mount(&app.wechat)
            .await;
    }
    let (token, _, _) = app.resident("phone").await;
    let r = app
        .post("/me/phone", Some(&token), json!({ "code": "p1" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["phone"], "138****8000");
    assert!(!r.text.contains("13800138000"));
    let (token2, _, _) = app.resident("phone2").await;
    let r = app
        .post("/me/phone", Some(&token2), json!({ "code": "p2" }))
        .await;
    assert_eq!(r.body["phone"], "138****8000");
    assert_eq!(
        app.get("/me", Some(&token)).await.body["phone"],
        "138****8000"
    );
    // `.expect(1)` on the token endpoint is verified when the mock server drops.
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_once_and_the_call_retried() {
    let app = spawn_app().await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "access_token": "OLD", "expires_in": 7200 })),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&app.wechat)
        .await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "access_token": "NEW", "expires_in": 7200 })),
        )
        .expect(1)
        .mount(&app.wechat)
        .await;
    Mock::given(method("POST"))
        .and(path("/wxa/business/getuserphonenumber"))
        .and(query_param("access_token", "OLD"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "errcode": 42001, "errmsg": "access_token expired" })),
        )
        .expect(1)
        .mount(&app.wechat)
        .await;
    Mock::given(method("POST"))
        .and(path("/wxa/business/getuserphonenumber"))
        .and(query_param("access_token", "NEW"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "phone_info": { "phoneNumber": "+86 13912345678", "purePhoneNumber": "13912345678", "countryCode": "86" }
        })))
        .expect(1)
        .mount(&app.wechat)
        .await;
    let (token, _, _) = app.resident("refreshing").await;
    let r = app
        .post("/me/phone", Some(&token), json!({ "code": "c" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["phone"], "139****5678");
}

#[tokio::test]
async fn a_bad_phone_code_is_422_and_wechat_down_is_503() {
    let app = spawn_app().await;
    app.wechat_issues_token("AT").await;
    Mock::given(method("POST"))
        .and(path("/wxa/business/getuserphonenumber"))
        .and(body_json(json!({ "code": "used" })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "errcode": 40029, "errmsg": "invalid code" })),
        )
        .mount(&app.wechat)
        .await;
    Mock::given(method("POST"))
        .and(path("/wxa/business/getuserphonenumber"))
        .and(body_json(json!({ "code": "busy" })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "errcode": -1, "errmsg": "system busy" })),
        )
        .mount(&app.wechat)
        .await;
    let (token, _, _) = app.resident("badphone").await;
    let r = app
        .post("/me/phone", Some(&token), json!({ "code": "used" }))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["code".to_owned()])
    );
    let r = app
        .post("/me/phone", Some(&token), json!({ "code": "busy" }))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (503, "WECHAT_UNAVAILABLE"));
    assert_eq!(
        app.get("/me", Some(&token)).await.body["phone"],
        json!(null)
    );
    let r = app.post("/me/phone", None, json!({ "code": "x" })).await;
    assert_eq!(r.status, 401);
}
