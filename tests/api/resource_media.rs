//! Issue 14 part B: resources take upload ids (claimed in their write,
//! released when replaced or deleted), a flagged picture leaves public
//! reads at once, and goods text goes through WeChat's check before the
//! public sees it.

use entity::upload;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::content::{
    checked_app, media_checks_answer, push, signed, trace_answer, trace_of, verdict_event,
    wechat_judges,
};
use crate::support::{TestApp, spawn_app};
use crate::uploads::{jpeg, upload};

/// A platform admin, a community and an approved merchant in it:
/// (platform token, merchant id, owner token).
async fn shop(app: &TestApp) -> (String, i64, String) {
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "图片社区").await;
    let (mid, owner) = app.approved_merchant(&platform, &[cid], "oid-shop").await;
    (platform, mid, owner)
}

async fn uploaded(app: &TestApp, token: &str, purpose: &str, side: u32) -> (i64, String) {
    let r = upload(app, token, purpose, &jpeg(side, side)).await;
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
    (
        r.body["id"].as_i64().unwrap(),
        r.body["url"].as_str().unwrap().to_owned(),
    )
}

async fn refs_of(app: &TestApp, id: i64) -> i32 {
    upload::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .ref_count
}

fn goods_body(images: Value) -> Value {
    json!({ "images": images })
}

#[tokio::test]
async fn goods_take_upload_ids_beside_urls_and_release_them() {
    let app = spawn_app().await;
    let (_, mid, owner) = shop(&app).await;
    let (first, first_url) = uploaded(&app, &owner, "goods_image", 300).await;
    let (second, second_url) = uploaded(&app, &owner, "goods_image", 310).await;

    let created = app
        .create_goods(
            &owner,
            mid,
            goods_body(json!([first, "https://img.example/o.png"])),
        )
        .await;
    assert_eq!(
        created["images"],
        json!([first_url, "https://img.example/o.png"])
    );
    assert_eq!(
        created["image_refs"],
        json!([first, "https://img.example/o.png"])
    );
    assert_eq!(created["moderation"], "pass");
    let gid = created["id"].as_i64().unwrap();
    assert_eq!(refs_of(&app, first).await, 1);

    let public = app.get(&format!("/goods/{gid}"), None).await;
    assert_eq!(public.status, 200, "{}", public.text);
    assert_eq!(public.body["images"][0], first_url.as_str());
    let listed = app.get(&format!("/goods?merchant_id={mid}"), None).await;
    assert_eq!(listed.body["items"][0]["images"][0], first_url.as_str());

    // Replacing the images takes the new one and gives the old one back.
    let patched = app
        .patch(
            &format!("/goods/{gid}"),
            Some(&owner),
            json!({ "images": [second] }),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["images"], json!([second_url]));
    assert_eq!(
        (refs_of(&app, first).await, refs_of(&app, second).await),
        (0, 1)
    );
    // Sending the same images again keeps one reference.
    let again = app
        .patch(
            &format!("/goods/{gid}"),
            Some(&owner),
            json!({ "images": [second] }),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(refs_of(&app, second).await, 1);

    let deleted = app.delete(&format!("/goods/{gid}"), Some(&owner)).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(refs_of(&app, second).await, 0);
}

#[tokio::test]
async fn foreign_or_wrong_purpose_upload_ids_are_422_naming_the_field() {
    let app = spawn_app().await;
    let (_, mid, owner) = shop(&app).await;
    let (stranger, _, _) = app.resident("oid-stranger").await;
    let (theirs, _) = uploaded(&app, &stranger, "goods_image", 320).await;
    let (avatar, _) = uploaded(&app, &owner, "avatar", 120).await;
    let (mine, _) = uploaded(&app, &owner, "goods_image", 330).await;

    let r = app
        .post(
            &format!("/merchants/{mid}/goods"),
            Some(&owner),
            json!({
                "category_id": app.category_id("时令水果").await,
                "name": "赣南脐橙", "price": "12.50", "unit": "斤", "stock": 5,
                "images": [mine, theirs, avatar, 999_999, "http://plain.example/x.png"]
            }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "VALIDATION_FAILED"));
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, vec!["images[4]"], "URLs are checked first");

    let r = app
        .post(
            &format!("/merchants/{mid}/goods"),
            Some(&owner),
            json!({
                "category_id": app.category_id("时令水果").await,
                "name": "赣南脐橙", "price": "12.50", "unit": "斤", "stock": 5,
                "images": [mine, theirs, avatar, 999_999]
            }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "VALIDATION_FAILED"));
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, vec!["images[1]", "images[2]", "images[3]"]);
    // Nothing was taken, nothing was listed.
    assert_eq!(refs_of(&app, mine).await, 0);
    let listed = app
        .get(&format!("/merchants/{mid}/goods"), Some(&owner))
        .await;
    assert_eq!(listed.body["total"], 0, "{}", listed.text);

    // The same on an edit; the goods keep their images.
    let g = app
        .create_goods(&owner, mid, goods_body(json!([mine])))
        .await;
    let gid = g["id"].as_i64().unwrap();
    let r = app
        .patch(
            &format!("/goods/{gid}"),
            Some(&owner),
            json!({ "images": [theirs] }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["images[0]".to_owned()])
    );
    assert_eq!(refs_of(&app, mine).await, 1);
    assert_eq!(refs_of(&app, theirs).await, 0);
}

/// Every other text WeChat is asked about passes.
pub(crate) async fn other_text_passes(app: &TestApp) {
    Mock::given(method("POST"))
        .and(path("/wxa/msg_sec_check"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errcode": 0, "errmsg": "ok", "result": { "suggest": "pass", "label": 100 }
        })))
        .mount(&app.wechat)
        .await;
}

#[tokio::test]
async fn a_flagged_image_disappears_from_the_goods_public_detail_at_once() {
    let app = checked_app().await;
    app.wechat_issues_token("tok").await;
    other_text_passes(&app).await;
    media_checks_answer(&app, trace_answer("trace-goods-bad"), "trace-goods-ok").await;
    let (_, mid, owner) = shop(&app).await;
    let (bad, bad_url) = uploaded(&app, &owner, "goods_image", 340).await;
    assert_eq!(
        trace_of(&app, bad).await.as_deref(),
        Some("trace-goods-bad")
    );
    let (good, good_url) = uploaded(&app, &owner, "goods_image", 350).await;

    let g = app
        .create_goods(&owner, mid, goods_body(json!([bad, good])))
        .await;
    let gid = g["id"].as_i64().unwrap();
    let before = app.get(&format!("/goods/{gid}"), None).await;
    assert_eq!(before.body["images"], json!([bad_url, good_url]));
    // Cached now.
    let cached = app.get(&format!("/goods/{gid}"), None).await;
    assert_eq!(cached.body["images"], json!([bad_url, good_url]));

    let r = push(
        &app,
        &signed("1700000200", "nonce-goods"),
        verdict_event("trace-goods-bad", "risky"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let after = app.get(&format!("/goods/{gid}"), None).await;
    assert_eq!(after.status, 200);
    assert_eq!(after.body["images"], json!([good_url]));
    assert_eq!(after.body["image_refs"], json!([good]));
    let listed = app.get(&format!("/goods?merchant_id={mid}"), None).await;
    assert_eq!(listed.body["items"][0]["images"], json!([good_url]));
    // The owner sees what is left, and cannot use the flagged one again.
    let own = app
        .get(&format!("/merchants/{mid}/goods"), Some(&owner))
        .await;
    assert_eq!(own.body["items"][0]["images"], json!([good_url]));
    let r = app
        .patch(
            &format!("/goods/{gid}"),
            Some(&owner),
            json!({ "images": [good, bad] }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["images[1]".to_owned()])
    );
}

#[tokio::test]
async fn goods_text_passes_waits_for_review_or_is_refused_as_wechat_says() {
    let app = checked_app().await;
    app.wechat_issues_token("tok").await;
    wechat_judges(&app, "加我微信私聊", "review").await;
    wechat_judges(&app, "违规内容", "risky").await;
    other_text_passes(&app).await;
    let (platform, mid, owner) = shop(&app).await;

    let passed = app
        .create_goods(&owner, mid, json!({ "name": "新鲜脐橙" }))
        .await;
    assert_eq!(passed["moderation"], "pass");
    let sent = crate::content::sec_check_bodies(&app).await;
    assert!(
        sent.iter().any(|b| b["content"] == "新鲜脐橙"
            && b["openid"] == "oid-shop"
            && b["scene"] == 3
            && b["version"] == 2),
        "{sent:?}"
    );

    let r = app
        .post(
            &format!("/merchants/{mid}/goods"),
            Some(&owner),
            json!({
                "category_id": app.category_id("时令水果").await,
                "name": "好橙子", "description": "违规内容", "price": "12.50", "unit": "斤", "stock": 5
            }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "CONTENT_REJECTED"));
    assert_eq!(r.fields(), vec!["description".to_owned()]);

    let held = app
        .create_goods(&owner, mid, json!({ "description": "加我微信私聊" }))
        .await;
    assert_eq!(held["moderation"], "review");
    let hid = held["id"].as_i64().unwrap();
    // Hidden from the public, shown to the owner.
    let public = app.get(&format!("/goods/{hid}"), None).await;
    assert_eq!(public.status, 404);
    let listed = app.get(&format!("/goods?merchant_id={mid}"), None).await;
    assert_eq!(listed.body["total"], 1, "{}", listed.text);
    let own = app.get(&format!("/goods/{hid}"), Some(&owner)).await;
    assert_eq!(own.status, 200);
    // An edit to risky text is refused and changes nothing.
    let r = app
        .patch(
            &format!("/goods/{hid}"),
            Some(&owner),
            json!({ "name": "违规内容" }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "CONTENT_REJECTED"));

    // Only an admin approves.
    let r = app
        .post(
            &format!("/admin/goods/{hid}/approve"),
            Some(&owner),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .post(
            &format!("/admin/goods/{hid}/approve"),
            Some(&platform),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["moderation"], "pass");
    let public = app.get(&format!("/goods/{hid}"), None).await;
    assert_eq!(public.status, 200);
    let r = app
        .post("/admin/goods/999999/approve", Some(&platform), json!({}))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "GOODS_NOT_FOUND"));
}

async fn wechat_fails_text_checks(app: &TestApp) {
    Mock::given(method("POST"))
        .and(path("/wxa/msg_sec_check"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&app.wechat)
        .await;
}

#[tokio::test]
async fn wechat_unreachable_saves_goods_hidden_and_the_sweep_publishes_them() {
    let app = checked_app().await;
    app.wechat_issues_token("tok").await;
    wechat_fails_text_checks(&app).await;
    let (_, mid, owner) = shop(&app).await;
    let g = app
        .create_goods(&owner, mid, json!({ "name": "土鸡蛋" }))
        .await;
    assert_eq!(g["moderation"], "pending");
    let gid = g["id"].as_i64().unwrap();
    assert_eq!(app.get(&format!("/goods/{gid}"), None).await.status, 404);

    // Still unreachable: left for the next round.
    let settled = yizhan::startup::recheck_texts(&app.state).await.unwrap();
    assert_eq!(settled, 0);
    assert_eq!(app.get(&format!("/goods/{gid}"), None).await.status, 404);

    app.wechat.reset().await;
    app.wechat_issues_token("tok").await;
    other_text_passes(&app).await;
    let settled = yizhan::startup::recheck_texts(&app.state).await.unwrap();
    assert_eq!(settled, 1);
    let public = app.get(&format!("/goods/{gid}"), None).await;
    assert_eq!(public.status, 200, "{}", public.text);
    assert_eq!(public.body["moderation"], "pass");
}

#[tokio::test]
async fn avatars_and_logos_take_upload_ids_and_give_back_the_old_one() {
    let app = spawn_app().await;
    let (_, mid, owner) = shop(&app).await;
    let (stranger, _, _) = app.resident("oid-stranger").await;
    let (theirs, _) = uploaded(&app, &stranger, "avatar", 130).await;
    let (logo, logo_url) = uploaded(&app, &owner, "merchant_logo", 140).await;
    let (avatar, avatar_url) = uploaded(&app, &owner, "avatar", 150).await;

    // Avatar: another's upload or the wrong purpose is 422 naming the field.
    for bad in [theirs, logo, 999_999] {
        let r = app
            .patch("/me", Some(&owner), json!({ "avatar_upload_id": bad }))
            .await;
        assert_eq!(
            (r.status.as_u16(), r.fields()),
            (422, vec!["avatar_upload_id".to_owned()]),
            "{}",
            r.text
        );
    }
    let r = app
        .patch(
            "/me",
            Some(&owner),
            json!({ "avatar_upload_id": avatar, "avatar_url": "https://img.example/a.png" }),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = app
        .patch("/me", Some(&owner), json!({ "avatar_upload_id": avatar }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["avatar_url"], avatar_url.as_str());
    assert_eq!(refs_of(&app, avatar).await, 1);
    let me = app.get("/me", Some(&owner)).await;
    assert_eq!(me.body["avatar_url"], avatar_url.as_str());
    // An https URL replaces it: the upload is given back.
    let r = app
        .patch(
            "/me",
            Some(&owner),
            json!({ "avatar_url": "https://img.example/a.png" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(refs_of(&app, avatar).await, 0);

    // Logo: the same rules on the shop's profile.
    let r = app
        .patch(
            &format!("/merchants/{mid}"),
            Some(&owner),
            json!({ "logo_upload_id": avatar }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["logo_upload_id".to_owned()])
    );
    let r = app
        .patch(
            &format!("/merchants/{mid}"),
            Some(&owner),
            json!({ "logo_upload_id": logo }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["logo_url"], logo_url.as_str());
    assert_eq!(refs_of(&app, logo).await, 1);
    let public = app.get(&format!("/merchants/{mid}"), None).await;
    assert_eq!(public.body["logo_url"], logo_url.as_str());
    let r = app
        .patch(
            &format!("/merchants/{mid}"),
            Some(&owner),
            json!({ "logo_upload_id": null }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["logo_url"], Value::Null);
    assert_eq!(refs_of(&app, logo).await, 0);
}

#[tokio::test]
async fn applications_with_risky_names_are_refused_and_the_rest_go_to_the_admins() {
    let app = checked_app().await;
    app.wechat_issues_token("tok").await;
    wechat_judges(&app, "违规商店", "risky").await;
    wechat_judges(&app, "违规师傅", "risky").await;
    wechat_judges(&app, "待审商店", "review").await;
    other_text_passes(&app).await;
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "审核社区").await;
    let (token, _, _) = app.resident("oid-applicant").await;

    let r = app
        .post(
            "/merchant-applications",
            Some(&token),
            TestApp::application_body("违规商店", &[cid]),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "CONTENT_REJECTED"));
    assert_eq!(r.fields(), vec!["name".to_owned()]);
    let r = app
        .post(
            "/helper-applications",
            Some(&token),
            json!({ "display_name": "违规师傅", "skills": ["保洁"],
                    "community_ids": [cid], "phone": "13900139000" }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "CONTENT_REJECTED"));
    assert_eq!(r.fields(), vec!["display_name".to_owned()]);

    // `review` is what the application review is for: filed, pending.
    let r = app
        .post(
            "/merchant-applications",
            Some(&token),
            TestApp::application_body("待审商店", &[cid]),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["status"], "pending");
}

#[tokio::test]
async fn a_risky_shop_name_or_announcement_edit_is_refused() {
    let app = checked_app().await;
    app.wechat_issues_token("tok").await;
    wechat_judges(&app, "违规公告", "risky").await;
    other_text_passes(&app).await;
    let (_, mid, owner) = shop(&app).await;
    let r = app
        .patch(
            &format!("/merchants/{mid}"),
            Some(&owner),
            json!({ "name": "好店", "announcement": "违规公告" }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "CONTENT_REJECTED"));
    assert_eq!(r.fields(), vec!["announcement".to_owned()]);
    let public = app.get(&format!("/merchants/{mid}"), None).await;
    assert_ne!(public.body["name"], "好店");
    let r = app
        .patch(
            &format!("/merchants/{mid}"),
            Some(&owner),
            json!({ "announcement": "今日到货" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["announcement"], "今日到货");
}
