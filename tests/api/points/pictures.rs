//! Shelf item pictures and wish photos come back as URLs that serve the
//! pictures (upload ids resolved; https URLs as sent), beside the
//! references to send back.

use serde_json::json;

use super::town;
use crate::uploads::{fetch, jpeg, upload};

const ELSEWHERE: &str = "https://cdn.example.com/rice.jpg";

/// The stored picture behind `url`: served, and a JPEG.
async fn served(app: &crate::support::TestApp, url: &str) -> Vec<u8> {
    let (status, bytes, headers) = fetch(app, url).await;
    assert_eq!(status, 200, "{url}");
    assert_eq!(headers["content-type"], "image/jpeg", "{url}");
    assert!(!bytes.is_empty());
    bytes
}

#[tokio::test]
async fn shelf_item_pictures_are_urls_that_serve_the_picture() {
    let t = town().await;
    let app = &t.app;
    let picture = upload(app, &t.admin, "goods_image", &jpeg(80, 60)).await;
    assert_eq!(picture.status, 201, "{}", picture.text);
    let upload_id = picture.body["id"].as_i64().unwrap();
    let upload_url = picture.body["url"].as_str().unwrap().to_owned();
    let uploaded = served(app, &upload_url).await;

    let created = app
        .post(
            "/admin/shelf/items",
            Some(&t.admin),
            json!({ "community_id": t.community, "name": "大米 5kg", "price_points": 200, "stock": 3, "images": [upload_id, ELSEWHERE] }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["images"], json!([upload_url, ELSEWHERE]));
    assert_eq!(created.body["image_refs"], json!([upload_id, ELSEWHERE]));
    let item = created.body["id"].as_i64().unwrap();

    // The resident's shelf and the admin's list show the same URLs, and the
    // URL serves the uploaded picture.
    let shelf = app
        .get(&format!("/communities/{}/shelf", t.community), None)
        .await;
    assert_eq!(shelf.status, 200, "{}", shelf.text);
    assert_eq!(shelf.body["items"][0]["id"], item);
    assert_eq!(
        shelf.body["items"][0]["images"],
        json!([upload_url, ELSEWHERE])
    );
    let listed = app
        .get(
            &format!("/admin/shelf/items?community_id={}", t.community),
            Some(&t.admin),
        )
        .await;
    assert_eq!(
        listed.body["items"][0]["images"],
        json!([upload_url, ELSEWHERE])
    );
    let url = shelf.body["items"][0]["images"][0].as_str().unwrap();
    assert_eq!(served(app, url).await, uploaded);

    // Sending the references back keeps them; dropping one drops its URL.
    let edited = app
        .patch(
            &format!("/admin/shelf/items/{item}"),
            Some(&t.admin),
            json!({ "images": [upload_id] }),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert_eq!(edited.body["images"], json!([upload_url]));
    assert_eq!(edited.body["image_refs"], json!([upload_id]));
}

#[tokio::test]
async fn wish_photos_and_fulfilment_photos_are_urls_that_serve_the_photo() {
    let t = town().await;
    let app = &t.app;
    let photo = upload(app, &t.resident, "wish_photo", &jpeg(64, 48)).await;
    assert_eq!(photo.status, 201, "{}", photo.text);
    let photo_id = photo.body["id"].as_i64().unwrap();
    let photo_url = photo.body["url"].as_str().unwrap().to_owned();
    let uploaded = served(app, &photo_url).await;

    let posted = app
        .post(
            "/wishes",
            Some(&t.resident),
            json!({ "title": "想要一副老花镜", "content": "看报纸看不清了", "category": "goods", "photos": [photo_id] }),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.text);
    assert_eq!(posted.body["photos"], json!([photo_url]));
    assert_eq!(posted.body["photo_refs"], json!([photo_id]));
    let id = posted.body["id"].as_i64().unwrap();
    let approved = app
        .post(
            &format!("/admin/wishes/{id}/approve"),
            Some(&t.admin),
            json!({}),
        )
        .await;
    assert_eq!(
        approved.body["photos"],
        json!([photo_url]),
        "{}",
        approved.text
    );

    let wall = app
        .get(&format!("/wishes?community_id={}", t.community), None)
        .await;
    assert_eq!(
        wall.body["items"][0]["photos"],
        json!([photo_url]),
        "{}",
        wall.text
    );
    let url = wall.body["items"][0]["photos"][0].as_str().unwrap();
    assert_eq!(served(app, url).await, uploaded);

    // The claimer's fulfilment photos likewise.
    let (helper, _) = t.neighbour("wish-photo-helper").await;
    let claimed = app
        .post(&format!("/wishes/{id}/claim"), Some(&helper), json!({}))
        .await;
    assert_eq!(claimed.status, 200, "{}", claimed.text);
    let done_photo = upload(app, &helper, "wish_photo", &jpeg(32, 32)).await;
    assert_eq!(done_photo.status, 201, "{}", done_photo.text);
    let done_id = done_photo.body["id"].as_i64().unwrap();
    let done_url = done_photo.body["url"].as_str().unwrap().to_owned();
    let fulfilled = app
        .post(
            &format!("/wishes/{id}/fulfil"),
            Some(&helper),
            json!({ "note": "已送到", "photos": [done_id, ELSEWHERE] }),
        )
        .await;
    assert_eq!(fulfilled.status, 200, "{}", fulfilled.text);
    assert_eq!(
        fulfilled.body["fulfil_photos"],
        json!([done_url, ELSEWHERE])
    );
    assert_eq!(
        fulfilled.body["fulfil_photo_refs"],
        json!([done_id, ELSEWHERE])
    );
    let one = app.get(&format!("/wishes/{id}"), Some(&t.resident)).await;
    assert_eq!(one.body["photos"], json!([photo_url]), "{}", one.text);
    let shown = one.body["fulfil_photos"][0].as_str().unwrap();
    served(app, shown).await;
    let mine = app.get("/me/wishes", Some(&helper)).await;
    assert_eq!(mine.body["items"][0]["fulfil_photos"][0], done_url.as_str());
}
