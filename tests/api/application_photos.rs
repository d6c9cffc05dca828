//! Issue 14: licence photos on merchant applications and certificate photos
//! on helper applications are private uploads, held by the application (the
//! orphan sweep never takes them) and shown through short-lived signed URLs
//! to the applicant and the admins reviewing it, to no one else.

use chrono::Duration;
use entity::upload;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use yizhan::media::MediaStore;

use crate::support::{TestApp, spawn_app};
use crate::uploads::{fetch, jpeg, upload};

async fn uploaded(app: &TestApp, token: &str, purpose: &str, side: u32) -> i64 {
    let r = upload(app, token, purpose, &jpeg(side, side)).await;
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
    r.body["id"].as_i64().unwrap()
}

async fn refs_of(app: &TestApp, id: i64) -> Option<i32> {
    upload::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .map(|u| u.ref_count)
}

/// The orphan sweep as it would run two days from now.
async fn sweep_later(app: &TestApp) {
    let store = MediaStore::new(&app.settings.media).unwrap();
    yizhan::uploads::service::sweep_orphans(
        &app.db,
        &store,
        yizhan::time::now() + Duration::days(2),
    )
    .await
    .unwrap();
}

fn is_signed(url: &Value) -> bool {
    url.as_str().is_some_and(|u| {
        u.starts_with("/media/private/") && u.contains("expires=") && u.contains("sig=")
    })
}

/// Two communities, each with its own admin: (platform, here, there, admin here, admin there).
async fn two_communities(app: &TestApp) -> (String, i64, i64, String, String) {
    let platform = app.platform_admin().await;
    let (here, _, _) = app.community_with_building(&platform, "东区").await;
    let (there, _, _) = app.community_with_building(&platform, "西区").await;
    let admin_here = app.community_admin(&platform, &[here]).await;
    let admin_there = app.community_admin(&platform, &[there]).await;
    (platform, here, there, admin_here, admin_there)
}

#[tokio::test]
async fn licence_photos_are_held_and_signed_for_the_applicant_and_reviewing_admin_only() {
    let app = spawn_app().await;
    let (_, here, _, admin_here, admin_there) = two_communities(&app).await;
    let (applicant, _, _) = app.resident("oid-licence").await;
    let (stranger, _, _) = app.resident("oid-licence-stranger").await;
    let licence = uploaded(&app, &applicant, "merchant_license", 400).await;

    let mut body = TestApp::application_body("证照齐全的店", &[here]);
    body["license_photos"] = json!([licence, "https://img.example/licence.png"]);
    let applied = app
        .post("/merchant-applications", Some(&applicant), body)
        .await;
    assert_eq!(applied.status, 201, "{}", applied.text);
    assert_eq!(
        applied.body["license_photo_refs"],
        json!([licence, "https://img.example/licence.png"])
    );
    let photos = &applied.body["license_photos"];
    assert!(is_signed(&photos[0]), "{photos}");
    assert_eq!(photos[1], "https://img.example/licence.png");
    let (status, bytes, _) = fetch(&app, photos[0].as_str().unwrap()).await;
    assert_eq!((status, bytes.is_empty()), (200, false));
    let id = applied.body["id"].as_i64().unwrap();

    // Held by the application: the sweep leaves it.
    assert_eq!(refs_of(&app, licence).await, Some(1));
    sweep_later(&app).await;
    assert_eq!(refs_of(&app, licence).await, Some(1));

    // The applicant and the reviewing admin get signed URLs.
    let mine = app.get("/me/merchant-applications", Some(&applicant)).await;
    assert!(
        is_signed(&mine.body["items"][0]["license_photos"][0]),
        "{}",
        mine.text
    );
    let queue = app
        .get("/admin/merchant-applications", Some(&admin_here))
        .await;
    assert_eq!(queue.body["items"][0]["id"], id, "{}", queue.text);
    let signed = queue.body["items"][0]["license_photos"][0].clone();
    assert!(is_signed(&signed));
    assert_eq!(fetch(&app, signed.as_str().unwrap()).await.0, 200);
    let seen = app
        .get(&format!("/uploads/{licence}"), Some(&admin_here))
        .await;
    assert_eq!(seen.status, 200, "{}", seen.text);

    // Anyone else: not in their queue, the upload is 404, the object unsigned 403.
    let other = app
        .get("/admin/merchant-applications", Some(&admin_there))
        .await;
    assert_eq!(other.body["total"], 0, "{}", other.text);
    for token in [&admin_there, &stranger] {
        let r = app.get(&format!("/uploads/{licence}"), Some(token)).await;
        assert_eq!((r.status.as_u16(), r.code()), (404, "UPLOAD_NOT_FOUND"));
    }
    let bare = signed
        .as_str()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(fetch(&app, &bare).await.0, 403);

    // Approved or not, the photos stay with the application.
    let approved = app
        .post(
            &format!("/admin/merchant-applications/{id}/approve"),
            Some(&admin_here),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert!(is_signed(&approved.body["license_photos"][0]));
    assert_eq!(refs_of(&app, licence).await, Some(1));
}

#[tokio::test]
async fn foreign_or_wrong_purpose_licence_and_certificate_photos_are_422() {
    let app = spawn_app().await;
    let (_, here, _, _, _) = two_communities(&app).await;
    let (applicant, _, _) = app.resident("oid-photos-applicant").await;
    let (stranger, _, _) = app.resident("oid-photos-stranger").await;
    let theirs = uploaded(&app, &stranger, "merchant_license", 410).await;
    let public = uploaded(&app, &applicant, "goods_image", 420).await;
    let mine = uploaded(&app, &applicant, "merchant_license", 430).await;

    let mut body = TestApp::application_body("借图的店", &[here]);
    body["license_photos"] = json!(["https://img.example/a.png", mine, theirs, public]);
    let r = app
        .post("/merchant-applications", Some(&applicant), body)
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "VALIDATION_FAILED"));
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, vec!["license_photos[2]", "license_photos[3]"]);
    assert_eq!(refs_of(&app, mine).await, Some(0));
    let none = app.get("/me/merchant-applications", Some(&applicant)).await;
    assert_eq!(none.body["total"], 0);

    let mut body = TestApp::application_body("太多图的店", &[here]);
    body["license_photos"] = json!([mine, mine, mine, mine, mine, mine, mine]);
    let r = app
        .post("/merchant-applications", Some(&applicant), body)
        .await;
    assert_eq!(r.fields(), vec!["license_photos"]);

    let certificate = uploaded(&app, &applicant, "helper_certificate", 440).await;
    let r = app
        .post(
            "/helper-applications",
            Some(&applicant),
            json!({ "display_name": "王师傅", "skills": ["家政保洁"], "community_ids": [here],
                    "phone": "13900139000", "certificate_photos": [certificate, mine, theirs] }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "VALIDATION_FAILED"));
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(
        fields,
        vec!["certificate_photos[1]", "certificate_photos[2]"]
    );
    assert_eq!(refs_of(&app, certificate).await, Some(0));
}

#[tokio::test]
async fn certificate_photos_are_held_and_signed_for_the_applicant_and_reviewing_admin_only() {
    let app = spawn_app().await;
    let (_, here, _, admin_here, admin_there) = two_communities(&app).await;
    let (applicant, _, _) = app.resident("oid-certificate").await;
    let certificate = uploaded(&app, &applicant, "helper_certificate", 450).await;
    let r = app
        .post(
            "/helper-applications",
            Some(&applicant),
            json!({ "display_name": "李师傅", "skills": ["家政保洁"], "community_ids": [here],
                    "phone": "13900139000", "certificate_photos": [certificate] }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["certificate_photo_refs"], json!([certificate]));
    assert!(is_signed(&r.body["certificate_photos"][0]), "{}", r.text);
    sweep_later(&app).await;
    assert_eq!(refs_of(&app, certificate).await, Some(1));

    let mine = app.get("/me/helper-applications", Some(&applicant)).await;
    assert!(is_signed(&mine.body["items"][0]["certificate_photos"][0]));
    let queue = app
        .get("/admin/helper-applications", Some(&admin_here))
        .await;
    let signed = queue.body["items"][0]["certificate_photos"][0].clone();
    assert!(is_signed(&signed), "{}", queue.text);
    assert_eq!(fetch(&app, signed.as_str().unwrap()).await.0, 200);
    let other = app
        .get("/admin/helper-applications", Some(&admin_there))
        .await;
    assert_eq!(other.body["total"], 0, "{}", other.text);
    let r = app
        .get(&format!("/uploads/{certificate}"), Some(&admin_there))
        .await;
    assert_eq!(r.status, 404);
}
