//! Issue 14: a picture WeChat's asynchronous image check flags disappears
//! from every public read at once: avatars, shop logos, notice images and
//! review photos (goods images: `resource_media`), cached reads included.

use serde_json::json;

use crate::content::{
    checked_app, media_checks_answer, push, signed, trace_answer, trace_of, verdict_event,
};
use crate::resource_media::other_text_passes;
use crate::text_moderation::{completed_booking, uploaded};
use crate::uploads::{jpeg, upload};

#[tokio::test]
async fn a_flagged_picture_vanishes_as_avatar_logo_notice_image_and_review_photo() {
    let app = checked_app().await;
    app.wechat_issues_token("tok").await;
    other_text_passes(&app).await;
    media_checks_answer(&app, trace_answer("trace-bad-picture"), "trace-other").await;
    let (platform, community, helper, resident, booking) = completed_booking(&app).await;
    let (mid, owner) = app
        .approved_merchant(&platform, &[community], "oid-flag-shop")
        .await;
    let admin = app.community_admin(&platform, &[community]).await;

    // One picture, sent for four purposes: the first upload carries WeChat's check.
    let picture = jpeg(360, 360);
    let (logo, _) = uploaded_bytes(&app, &owner, "merchant_logo", &picture).await;
    assert_eq!(
        trace_of(&app, logo).await.as_deref(),
        Some("trace-bad-picture")
    );
    let (avatar, _) = uploaded_bytes(&app, &resident, "avatar", &picture).await;
    let (photo, photo_url) = uploaded_bytes(&app, &resident, "review_photo", &picture).await;
    let (image, image_url) = uploaded_bytes(&app, &admin, "notice_image", &picture).await;
    let (kept, kept_url) = uploaded(&app, &admin, "notice_image", 370).await;

    let r = app
        .patch(
            &format!("/merchants/{mid}"),
            Some(&owner),
            json!({ "logo_upload_id": logo }),
        )
        .await;
    assert!(r.body["logo_url"].is_string(), "{}", r.text);
    let r = app
        .patch(
            "/me",
            Some(&resident),
            json!({ "avatar_upload_id": avatar }),
        )
        .await;
    assert!(r.body["avatar_url"].is_string(), "{}", r.text);
    let r = app
        .post(
            &format!("/bookings/{booking}/review"),
            Some(&resident),
            json!({ "rating": 5, "comment": "很好", "photos": [photo] }),
        )
        .await;
    assert_eq!(r.body["review_photos"], json!([photo_url]), "{}", r.text);
    let r = app
        .post(
            "/admin/notices",
            Some(&admin),
            json!({ "community_id": community, "kind": "general", "title": "义诊",
                    "content": "周六", "images": [image, kept] }),
        )
        .await;
    let nid = r.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/admin/notices/{nid}/publish"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(r.body["images"], json!([image_url, kept_url]), "{}", r.text);

    // Read (and so cached) before the verdict.
    let shop = format!("/merchants/{mid}");
    let feed = format!("/notices?community_id={community}");
    let notice = format!("/notices/{nid}");
    assert!(app.get(&shop, None).await.body["logo_url"].is_string());
    assert!(app.get("/merchants", None).await.body["items"][0]["logo_url"].is_string());
    assert_eq!(
        app.get(&feed, None).await.body["items"][0]["images"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.get(&notice, None).await.body["images"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let r = push(
        &app,
        &signed("1700000300", "nonce-everywhere"),
        verdict_event("trace-bad-picture", "risky"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);

    assert_eq!(app.get(&shop, None).await.body["logo_url"], json!(null));
    assert_eq!(
        app.get("/merchants", None).await.body["items"][0]["logo_url"],
        json!(null)
    );
    assert_eq!(
        app.get("/me", Some(&resident)).await.body["avatar_url"],
        json!(null)
    );
    assert_eq!(
        app.get(&notice, None).await.body["images"],
        json!([kept_url])
    );
    assert_eq!(
        app.get(&feed, None).await.body["items"][0]["images"],
        json!([kept_url])
    );
    let seen = app
        .get(&format!("/bookings/{booking}"), Some(&helper))
        .await;
    assert_eq!(seen.body["review_photos"], json!([]), "{}", seen.text);
    assert_eq!(seen.body["review_comment"], "很好");
    // The picture itself is gone from the public path.
    let key = photo_url.rsplit('/').next().unwrap();
    let gone = app
        .client
        .get(app.url(&format!("/media/{key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status().as_u16(), 404);
}

async fn uploaded_bytes(
    app: &crate::support::TestApp,
    token: &str,
    purpose: &str,
    bytes: &[u8],
) -> (i64, String) {
    let r = upload(app, token, purpose, bytes).await;
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
    (
        r.body["id"].as_i64().unwrap(),
        r.body["url"].as_str().unwrap().to_owned(),
    )
}
