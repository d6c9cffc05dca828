//! Issue 14: WeChat's text check on booking reviews, shop text and notice
//! titles (risky refused, review held back until an admin approves,
//! unreachable held back and checked again by the sweep), and photos on
//! reviews and notices.

use entity::booking::{self, BookingStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::content::{checked_app, sec_check_bodies, wechat_judges};
use crate::resource_media::other_text_passes;
use crate::support::TestApp;
use crate::uploads::{jpeg, upload};

const REVIEW_ME: &str = "加我微信私聊";
const RISKY: &str = "违规内容";

async fn wechat_unreachable(app: &TestApp) {
    Mock::given(method("POST"))
        .and(path("/wxa/msg_sec_check"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&app.wechat)
        .await;
}

/// WeChat reachable again, passing everything.
async fn wechat_back(app: &TestApp) {
    app.wechat.reset().await;
    app.wechat_issues_token("tok").await;
    other_text_passes(app).await;
}

pub(crate) async fn uploaded(
    app: &TestApp,
    token: &str,
    purpose: &str,
    side: u32,
) -> (i64, String) {
    let r = upload(app, token, purpose, &jpeg(side, side)).await;
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
    (
        r.body["id"].as_i64().unwrap(),
        r.body["url"].as_str().unwrap().to_owned(),
    )
}

/// A completed booking: (platform, community, helper token, resident token, booking id).
pub(crate) async fn completed_booking(app: &TestApp) -> (String, i64, String, String, i64) {
    let platform = app.platform_admin().await;
    let (community, _, building) = app.community_with_building(&platform, "评价社区").await;
    let (helper, _, _) = app
        .approved_helper(&platform, "oid-review-helper", &[community], &["水电维修"])
        .await;
    let service = app
        .offer_service(
            &helper,
            json!({ "category": "水电维修", "title": "水管维修", "price": "30.00",
                    "duration_minutes": 60, "community_ids": [community] }),
        )
        .await;
    let slot = app.publish_slot(&helper, 5, 60).await;
    let (resident, _, _) = app.resident("oid-reviewer").await;
    app.bind_building(&resident, building).await;
    let booked = app
        .post(
            "/bookings",
            Some(&resident),
            json!({ "service_id": service, "slot_id": slot, "address": "1号楼301",
                    "contact_phone": "13700137000", "note": "" }),
        )
        .await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    let id = booked.body["id"].as_i64().unwrap();
    booking::Entity::update_many()
        .col_expr(
            booking::Column::Status,
            Expr::value(BookingStatus::Completed),
        )
        .filter(booking::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
    (platform, community, helper, resident, id)
}

#[tokio::test]
async fn a_review_waits_for_an_admin_before_the_helper_sees_its_comment_and_photos() {
    let app = checked_app().await;
    app.wechat_issues_token("tok").await;
    wechat_judges(&app, REVIEW_ME, "review").await;
    wechat_judges(&app, RISKY, "risky").await;
    other_text_passes(&app).await;
    let (platform, community, helper, resident, id) = completed_booking(&app).await;
    let (photo, photo_url) = uploaded(&app, &resident, "review_photo", 300).await;
    let (avatar, _) = uploaded(&app, &resident, "avatar", 310).await;
    let url = format!("/bookings/{id}/review");
    let review = |body| app.post(&url, Some(&resident), body);

    // Risky: refused, nothing saved.
    let r = review(json!({ "rating": 5, "comment": RISKY, "photos": [photo] })).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "CONTENT_REJECTED"),
        "{}",
        r.text
    );
    let sent = sec_check_bodies(&app).await;
    let last = sent.last().unwrap();
    assert_eq!(
        (&last["content"], &last["scene"], &last["openid"]),
        (&json!(RISKY), &json!(2), &json!("oid-reviewer"))
    );
    // A photo of the wrong purpose: 422 naming it.
    let r = review(
        json!({ "rating": 5, "comment": "好", "photos": ["https://img.example/a.png", avatar] }),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["photos[1]".to_owned()])
    );
    let r =
        review(json!({ "rating": 5, "photos": [photo, photo, photo, photo, photo, photo, photo] }))
            .await;
    assert_eq!(r.fields(), vec!["photos"]);
    let untouched = app.get(&format!("/bookings/{id}"), Some(&resident)).await;
    assert_eq!(untouched.body["rating"], json!(null), "{}", untouched.text);

    let r = review(json!({ "rating": 4, "comment": REVIEW_ME, "photos": [photo] })).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["review_moderation"], "review");
    assert_eq!(r.body["review_comment"], REVIEW_ME);
    assert_eq!(r.body["review_photos"], json!([photo_url]));
    // The helper sees the rating, not the comment or photos yet.
    let seen = app.get(&format!("/bookings/{id}"), Some(&helper)).await;
    assert_eq!(seen.body["rating"], 4, "{}", seen.text);
    assert_eq!(seen.body["review_comment"], json!(null));
    assert_eq!(seen.body["review_photos"], json!([]));
    let listed = app.get("/helpers/me/bookings", Some(&helper)).await;
    assert_eq!(listed.body["items"][0]["review_comment"], json!(null));

    // An admin elsewhere may not approve it; the community's admin may.
    let (elsewhere, _, _) = app.community_with_building(&platform, "别处").await;
    let other_admin = app.community_admin(&platform, &[elsewhere]).await;
    let approve = format!("/admin/bookings/{id}/approve-review");
    assert_eq!(
        app.post(&approve, Some(&other_admin), json!({}))
            .await
            .status,
        403
    );
    assert_eq!(
        app.post(&approve, Some(&resident), json!({})).await.status,
        403
    );
    let admin = app.community_admin(&platform, &[community]).await;
    let r = app.post(&approve, Some(&admin), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["review_moderation"], "pass");
    let seen = app.get(&format!("/bookings/{id}"), Some(&helper)).await;
    assert_eq!(seen.body["review_comment"], REVIEW_ME);
    assert_eq!(seen.body["review_photos"], json!([photo_url]));
}

#[tokio::test]
async fn a_review_written_while_wechat_is_unreachable_is_held_and_the_sweep_publishes_it() {
    let app = checked_app().await;
    app.wechat_issues_token("tok").await;
    let (_, _, helper, resident, id) = completed_booking(&app).await;
    wechat_unreachable(&app).await;
    let r = app
        .post(
            &format!("/bookings/{id}/review"),
            Some(&resident),
            json!({ "rating": 5, "comment": "师傅很专业" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["review_moderation"], "pending");
    assert_eq!(
        yizhan::startup::recheck_texts(&app.state).await.unwrap(),
        0,
        "still unreachable"
    );
    let seen = app.get(&format!("/bookings/{id}"), Some(&helper)).await;
    assert_eq!(seen.body["review_comment"], json!(null));

    wechat_back(&app).await;
    assert_eq!(yizhan::startup::recheck_texts(&app.state).await.unwrap(), 1);
    let seen = app.get(&format!("/bookings/{id}"), Some(&helper)).await;
    assert_eq!(seen.body["review_comment"], "师傅很专业");
    assert_eq!(seen.body["review_moderation"], "pass");
}

#[tokio::test]
async fn shop_text_under_review_leaves_the_public_the_approved_text_until_an_admin_approves() {
    let app = checked_app().await;
    app.wechat_issues_token("tok").await;
    wechat_judges(&app, REVIEW_ME, "review").await;
    wechat_judges(&app, RISKY, "risky").await;
    other_text_passes(&app).await;
    let platform = app.platform_admin().await;
    let (community, _, _) = app.community_with_building(&platform, "店铺社区").await;
    let (mid, owner) = app
        .approved_merchant(&platform, &[community], "oid-shop-text")
        .await;
    let path = format!("/merchants/{mid}");
    let approved_name = app.get(&path, None).await.body["name"].clone();

    let r = app
        .patch(
            &path,
            Some(&owner),
            json!({ "description": "自家果园直供" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (&r.body["description"], &r.body["moderation"]),
        (&json!("自家果园直供"), &json!("pass"))
    );
    assert_eq!(
        app.get(&path, None).await.body["description"],
        "自家果园直供"
    );

    // Risky anywhere: refused, naming the field.
    let r = app
        .patch(&path, Some(&owner), json!({ "announcement": RISKY }))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "CONTENT_REJECTED"));
    assert_eq!(
        r.body["error"]["details"]["fields"][0]["field"], "announcement",
        "{}",
        r.text
    );

    // Review: saved, the owner sees it, the public keeps the approved text
    // (also in the cached list and on its promotions).
    app.get("/merchants", None).await;
    let r = app
        .patch(
            &path,
            Some(&owner),
            json!({ "name": "新店名", "description": REVIEW_ME }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (&r.body["name"], &r.body["moderation"]),
        (&json!("新店名"), &json!("review"))
    );
    let public = app.get(&path, None).await;
    assert_eq!(
        (&public.body["name"], &public.body["description"]),
        (&approved_name, &json!("自家果园直供"))
    );
    let listed = app.get("/merchants", None).await;
    assert_eq!(listed.body["items"][0]["name"], approved_name);
    // A later clean edit while waiting still waits: the held text is judged with it.
    let r = app
        .patch(&path, Some(&owner), json!({ "announcement": "周末八折" }))
        .await;
    assert_eq!(r.body["moderation"], "review", "{}", r.text);
    assert_eq!(app.get(&path, None).await.body["announcement"], "");

    let other = app
        .community_admin(
            &platform,
            &[app.community_with_building(&platform, "别处").await.0],
        )
        .await;
    let approve = format!("/admin/merchants/{mid}/approve-text");
    assert_eq!(
        app.post(&approve, Some(&other), json!({})).await.status,
        403
    );
    assert_eq!(
        app.post(&approve, Some(&owner), json!({})).await.status,
        403
    );
    let admin = app.community_admin(&platform, &[community]).await;
    let r = app.post(&approve, Some(&admin), json!({})).await;
    assert_eq!(
        (r.status.as_u16(), &r.body["moderation"]),
        (200, &json!("pass")),
        "{}",
        r.text
    );
    let public = app.get(&path, None).await;
    assert_eq!(
        (
            &public.body["name"],
            &public.body["description"],
            &public.body["announcement"]
        ),
        (&json!("新店名"), &json!(REVIEW_ME), &json!("周末八折"))
    );
    assert_eq!(
        app.get("/merchants", None).await.body["items"][0]["name"],
        "新店名"
    );
}

#[tokio::test]
async fn shop_text_saved_while_wechat_is_unreachable_is_published_by_the_sweep() {
    let app = checked_app().await;
    app.wechat_issues_token("tok").await;
    other_text_passes(&app).await;
    let platform = app.platform_admin().await;
    let (community, _, _) = app.community_with_building(&platform, "店铺社区").await;
    let (mid, owner) = app
        .approved_merchant(&platform, &[community], "oid-shop-pending")
        .await;
    let path = format!("/merchants/{mid}");
    app.wechat.reset().await;
    app.wechat_issues_token("tok").await;
    wechat_unreachable(&app).await;
    let r = app
        .patch(&path, Some(&owner), json!({ "description": "现摘现发" }))
        .await;
    assert_eq!(r.body["moderation"], "pending", "{}", r.text);
    assert_eq!(app.get(&path, None).await.body["description"], "");
    wechat_back(&app).await;
    assert_eq!(yizhan::startup::recheck_texts(&app.state).await.unwrap(), 1);
    let public = app.get(&path, None).await;
    assert_eq!(
        (&public.body["description"], &public.body["moderation"]),
        (&json!("现摘现发"), &json!("pass"))
    );
}

#[tokio::test]
async fn notices_take_image_uploads_and_titles_are_checked_for_admins_with_an_openid() {
    let app = checked_app().await;
    app.wechat_issues_token("tok").await;
    other_text_passes(&app).await;
    let platform = app.platform_admin().await;
    let (community, _, _) = app.community_with_building(&platform, "通知社区").await;
    let admin = app.community_admin(&platform, &[community]).await;
    let (image, image_url) = uploaded(&app, &admin, "notice_image", 320).await;
    let (goods_image, _) = uploaded(&app, &admin, "goods_image", 330).await;
    let (resident, _, _) = app.resident("oid-notice-stranger").await;
    let (theirs, _) = uploaded(&app, &resident, "notice_image", 340).await;
    let body = |images| {
        json!({ "community_id": community, "kind": "general", "title": "社区义诊",
                "content": "周六上午在活动室", "images": images })
    };

    let r = app
        .post(
            "/admin/notices",
            Some(&admin),
            body(json!([image, goods_image, theirs])),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "VALIDATION_FAILED"));
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, vec!["images[1]", "images[2]"]);

    let r = app
        .post(
            "/admin/notices",
            Some(&admin),
            body(json!([image, "https://img.example/n.png"])),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body["images"],
        json!([image_url, "https://img.example/n.png"])
    );
    let nid = r.body["id"].as_i64().unwrap();
    // An admin account has no openid: its title is not sent to WeChat.
    assert!(sec_check_bodies(&app).await.is_empty());

    let r = app
        .post(
            &format!("/admin/notices/{nid}/publish"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let public = app.get(&format!("/notices/{nid}"), None).await;
    assert_eq!(
        public.body["images"],
        json!([image_url, "https://img.example/n.png"])
    );
    let feed = app
        .get(&format!("/notices?community_id={community}"), None)
        .await;
    assert_eq!(
        feed.body["items"][0]["images"][0],
        image_url.as_str(),
        "{}",
        feed.text
    );
    let held = entity::upload::Entity::find_by_id(image)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.ref_count, 1);
}
