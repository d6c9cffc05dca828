//! Issue 14 part A: `POST /uploads`, `GET /media/{key}`, signed URLs of
//! private uploads, references and the orphan sweep, storage on a real
//! S3-protocol server.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use entity::upload;
use image::{DynamicImage, ImageDecoder, ImageFormat, Rgb, RgbImage};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use yizhan::media::MediaStore;
use yizhan::uploads::Purpose;

use crate::support::{Reply, TestApp, spawn_app, spawn_app_with};

// ---- pictures made here ----

/// A two-colour picture: left half red, right half blue.
fn halves(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    })
}

fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encode(
        DynamicImage::ImageRgb8(halves(width, height)),
        ImageFormat::Jpeg,
    )
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    encode(
        DynamicImage::ImageRgb8(halves(width, height)),
        ImageFormat::Png,
    )
}

fn webp(width: u32, height: u32) -> Vec<u8> {
    encode(
        DynamicImage::ImageRgb8(halves(width, height)),
        ImageFormat::WebP,
    )
}

/// A 1 × 1 GIF.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// A JPEG carrying an EXIF block: orientation 6 (turn 90° clockwise to
/// show) and a GPS block with a recognisable datum string.
fn jpeg_with_exif_gps(width: u32, height: u32) -> Vec<u8> {
    fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&value);
    }
    let datum = b"YIZHAN-GPS-MARK\0";
    let mut tiff = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    // IFD0 at 8: orientation and the GPS IFD pointer (2 entries: 30 bytes).
    let gps_at: u32 = 8 + 30;
    tiff.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut tiff, 0x0112, 3, 1, [6, 0, 0, 0]);
    entry(&mut tiff, 0x8825, 4, 1, gps_at.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD: latitude ref "N" and a map datum stored after the IFD.
    let datum_at: u32 = gps_at + 30;
    tiff.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut tiff, 0x0001, 2, 2, [b'N', 0, 0, 0]);
    entry(
        &mut tiff,
        0x0012,
        2,
        datum.len() as u32,
        datum_at.to_le_bytes(),
    );
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(datum);

    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let plain = jpeg(width, height);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A valid PNG of 16,000 × 16,000 one-bit pixels (256 megapixels) in a few
/// tens of kilobytes: a decompression bomb.
fn png_bomb() -> Vec<u8> {
    let side = 16_000u32;
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().unwrap();
        let mut stream = writer.stream_writer().unwrap();
        let row = vec![0u8; (side / 8) as usize];
        for _ in 0..side {
            std::io::Write::write_all(&mut stream, &row).unwrap();
        }
        stream.finish().unwrap();
    }
    out
}

/// `width` and `height` of an answer.
fn dims(v: &serde_json::Value) -> (i64, i64) {
    (
        v["width"].as_i64().unwrap_or(-1),
        v["height"].as_i64().unwrap_or(-1),
    )
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---- the form ----

const BOUNDARY: &str = "----yizhan-test-boundary-7MA4YWxkTrZu0gW";

/// One part of a multipart form.
pub struct Part<'a> {
    pub name: &'a str,
    pub filename: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub data: &'a [u8],
}

pub fn form(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", p.name);
        if let Some(f) = p.filename {
            disposition.push_str(&format!("; filename=\"{f}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(ct) = p.content_type {
            body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(p.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub async fn send_form(app: &TestApp, token: Option<&str>, body: Vec<u8>) -> Reply {
    let mut req = app
        .client
        .post(app.url("/uploads"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    app.send(req).await
}

/// Uploads `data` as `file` named `filename` with the part type `content_type`.
pub async fn upload_as(
    app: &TestApp,
    token: &str,
    purpose: &str,
    filename: &str,
    content_type: &str,
    data: &[u8],
) -> Reply {
    let body = form(&[
        Part {
            name: "purpose",
            filename: None,
            content_type: None,
            data: purpose.as_bytes(),
        },
        Part {
            name: "file",
            filename: Some(filename),
            content_type: Some(content_type),
            data,
        },
    ]);
    send_form(app, Some(token), body).await
}

pub async fn upload(app: &TestApp, token: &str, purpose: &str, data: &[u8]) -> Reply {
    upload_as(app, token, purpose, "photo.jpg", "image/jpeg", data).await
}

/// The stored bytes behind a URL the API gave (public or signed).
pub(crate) async fn fetch(app: &TestApp, url: &str) -> (u16, Vec<u8>, reqwest::header::HeaderMap) {
    let res = app.client.get(app.url(url)).send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, res.bytes().await.unwrap().to_vec(), headers)
}

fn key_of(url: &str) -> String {
    url.rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

/// Every file under `dir` (the stored objects of the fs backend).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn media_root(app: &TestApp) -> PathBuf {
    PathBuf::from(&app.settings.media.fs_root)
}

// ---- types ----

#[tokio::test]
async fn jpeg_png_and_webp_are_accepted_and_re_encoded() {
    let app = spawn_app().await;
    let (token, _, _) = app.resident("up-types").await;
    for (name, bytes, stored_type) in [
        ("jpeg", jpeg(300, 200), "image/jpeg"),
        ("png", png(300, 200), "image/png"),
        ("webp", webp(300, 200), "image/jpeg"),
    ] {
        let r = upload(&app, &token, "goods_image", &bytes).await;
        assert_eq!(r.status, 201, "{name}: {}", r.text);
        assert_eq!(r.body["content_type"], stored_type, "{name}");
        assert_eq!(dims(&r.body), (300, 200));
        assert_eq!(r.body["purpose"], "goods_image");
        assert_eq!(r.body["moderation"], "unchecked");
        assert!(r.body["id"].as_i64().is_some());
        let url = r.body["url"].as_str().unwrap();
        assert!(url.starts_with("/media/"), "{url}");
        let (status, stored, headers) = fetch(&app, url).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], stored_type);
        assert_eq!(r.body["bytes"].as_u64().unwrap(), stored.len() as u64);
        assert_ne!(stored, bytes, "{name} is stored re-encoded, not as sent");
        let decoded = image::load_from_memory(&stored).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (300, 200));
        // The name is the sha256 of the stored bytes.
        let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&stored));
        assert!(key_of(url).starts_with(&hash), "{name}");
    }
}

#[tokio::test]
async fn big_pictures_are_bounded_to_2048_px_with_a_400_px_thumbnail() {
    let app = spawn_app().await;
    let (token, _, _) = app.resident("up-big").await;
    let r = upload(&app, &token, "goods_image", &jpeg(3000, 1200)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(dims(&r.body), (2048, 819));
    let (_, stored, _) = fetch(&app, r.body["url"].as_str().unwrap()).await;
    let picture = image::load_from_memory(&stored).unwrap();
    assert_eq!((picture.width(), picture.height()), (2048, 819));
    let (status, thumb, _) = fetch(&app, r.body["thumb_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let thumb = image::load_from_memory(&thumb).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (400, 160));
}

#[tokio::test]
async fn the_type_comes_from_the_bytes_never_the_name_or_content_type() {
    let app = spawn_app().await;
    let (token, _, _) = app.resident("up-sniff").await;

    // A PNG named .jpg and sent as image/jpeg is a PNG.
    let r = upload_as(
        &app,
        &token,
        "goods_image",
        "x.jpg",
        "image/jpeg",
        &png(40, 30),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["content_type"], "image/png");
    assert!(r.body["url"].as_str().unwrap().ends_with(".png"));

    // Refused by their bytes, whatever their names and types say: a text
    // file, a real GIF, and HTML behind JPEG magic that does not decode.
    let mut polyglot = vec![0xFF, 0xD8, 0xFF, 0xE0];
    polyglot.extend_from_slice(b"<html><script>alert(document.cookie)</script></html>");
    for (name, content_type, bytes) in [
        ("x.png", "image/png", &b"hello, I am text"[..]),
        ("x.gif", "image/gif", GIF),
        ("x.jpg", "image/jpeg", &polyglot),
    ] {
        let r = upload_as(&app, &token, "goods_image", name, content_type, bytes).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (415, "UNSUPPORTED_MEDIA"),
            "{name}"
        );
    }

    // A real JPEG with HTML appended decodes; what is stored is pixels only.
    let mut trailing = jpeg(64, 64);
    trailing.extend_from_slice(b"<html><script>alert(1)</script></html>");
    let r = upload(&app, &token, "goods_image", &trailing).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (_, stored, headers) = fetch(&app, r.body["url"].as_str().unwrap()).await;
    assert!(!contains(&stored, b"<script"));
    assert_eq!(headers["x-content-type-options"], "nosniff");

    // Nothing refused left a row behind: the PNG and the JPEG only.
    let rows = upload::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 2);
}

#[tokio::test]
async fn exif_and_gps_are_stripped_and_the_orientation_applied() {
    let app = spawn_app().await;
    let (token, _, _) = app.resident("up-exif").await;
    let sent = jpeg_with_exif_gps(40, 20);
    assert!(contains(&sent, b"YIZHAN-GPS-MARK"));
    // The picture as sent does carry the orientation.
    let mut decoder =
        image::codecs::jpeg::JpegDecoder::new(Cursor::new(&sent)).expect("test JPEG decodes");
    assert_eq!(
        decoder.orientation().unwrap(),
        image::metadata::Orientation::Rotate90
    );

    let r = upload(&app, &token, "review_photo", &sent).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Turned upright: 40 × 20 shown turned a quarter is 20 × 40.
    assert_eq!(dims(&r.body), (20, 40));

    let key = key_of(r.body["url"].as_str().unwrap());
    // The stored bytes, read back from the store itself.
    let stored = std::fs::read(media_root(&app).join("public").join(&key)).unwrap();
    let (_, served, _) = fetch(&app, r.body["url"].as_str().unwrap()).await;
    assert_eq!(served, stored);
    assert!(!contains(&stored, b"Exif"));
    assert!(!contains(&stored, b"YIZHAN-GPS-MARK"));
    let mut decoder = image::codecs::jpeg::JpegDecoder::new(Cursor::new(&stored)).unwrap();
    assert_eq!(decoder.exif_metadata().unwrap(), None);
    let upright = image::load_from_memory(&stored).unwrap().to_rgb8();
    assert_eq!(upright.dimensions(), (20, 40));
    // The left (red) half of the sent picture is now on top.
    let top = upright.get_pixel(10, 5);
    let bottom = upright.get_pixel(10, 35);
    assert!(top[0] > 150 && top[2] < 100, "top {top:?}");
    assert!(bottom[2] > 150 && bottom[0] < 100, "bottom {bottom:?}");
}

// ---- limits ----

#[tokio::test]
async fn each_purpose_has_its_size_limit() {
    let app = spawn_app().await;
    let (token, _, _) = app.resident("up-size").await;
    assert_eq!(
        app.settings.media.limits.get(&Purpose::Avatar),
        Some(&(2 * 1024 * 1024))
    );
    // A valid JPEG padded past 2 MB (trailing bytes decode away).
    let mut big = jpeg(64, 64);
    big.resize(2 * 1024 * 1024 + 100, 0);

    let r = upload(&app, &token, "avatar", &big).await;
    assert_eq!((r.status.as_u16(), r.code()), (413, "PAYLOAD_TOO_LARGE"));
    assert_eq!(r.body["error"]["details"]["limit_bytes"], 2 * 1024 * 1024);
    // The same file is within a goods image's 5 MB.
    let r = upload(&app, &token, "goods_image", &big).await;
    assert_eq!(r.status, 201, "{}", r.text);

    // Over the largest limit: refused from Content-Length, before reading.
    let mut huge = jpeg(64, 64);
    huge.resize(6 * 1024 * 1024, 0);
    let r = upload(&app, &token, "goods_image", &huge).await;
    assert_eq!((r.status.as_u16(), r.code()), (413, "PAYLOAD_TOO_LARGE"));
    assert_eq!(r.body["error"]["details"]["limit_bytes"], 5 * 1024 * 1024);
    assert_eq!(upload::Entity::find().all(&app.db).await.unwrap().len(), 1);
}

#[tokio::test]
async fn too_many_pixels_are_refused_from_the_header() {
    let app = spawn_app_with(|s| s.media.max_pixels = 10_000).await;
    let (token, _, _) = app.resident("up-pixels").await;
    let r = upload(&app, &token, "goods_image", &png(200, 100)).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "IMAGE_TOO_LARGE"));
    let details = &r.body["error"]["details"];
    assert_eq!(dims(details), (200, 100));
    assert_eq!(details["max_pixels"], 10_000);
    let r = upload(&app, &token, "goods_image", &png(100, 100)).await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_fast_without_decoding() {
    let app = spawn_app().await;
    let (token, _, _) = app.resident("up-bomb").await;
    let bomb = png_bomb();
    assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
    let started = Instant::now();
    let r = upload_as(&app, &token, "goods_image", "bomb.png", "image/png", &bomb).await;
    let took = started.elapsed();
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "IMAGE_TOO_LARGE"),
        "{}",
        r.text
    );
    let details = &r.body["error"]["details"];
    assert_eq!(dims(details), (16_000, 16_000));
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    assert!(
        upload::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(files_under(&media_root(&app)).is_empty());
}

// ---- the form itself ----

#[tokio::test]
async fn the_form_is_checked_after_the_caller() {
    let app = spawn_app().await;
    // No token: 401 whatever the body.
    let r = send_form(&app, None, form(&[])).await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "UNAUTHORIZED"));

    let (token, _, _) = app.resident("up-form").await;
    // Neither field: both listed.
    let r = send_form(&app, Some(&token), form(&[])).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.fields(), vec!["purpose", "file"]);
    // An unknown purpose (with a NUL byte) and an empty file.
    let body = form(&[
        Part {
            name: "purpose",
            filename: None,
            content_type: None,
            data: b"goods\0image",
        },
        Part {
            name: "file",
            filename: Some("a.jpg"),
            content_type: None,
            data: b"",
        },
    ]);
    let r = send_form(&app, Some(&token), body).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.fields(), vec!["purpose", "file"]);
    // Not multipart at all.
    let r = app
        .post("/uploads", Some(&token), json!({"purpose": "avatar"}))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "MALFORMED_MULTIPART"));
    assert!(
        upload::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

// ---- deduplication ----

#[tokio::test]
async fn the_same_picture_is_stored_once() {
    let app = spawn_app().await;
    let (alice, alice_id, _) = app.resident("up-dedup-a").await;
    let (bob, _, _) = app.resident("up-dedup-b").await;
    let picture = jpeg(500, 500);

    let first = upload(&app, &alice, "goods_image", &picture).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = upload(&app, &alice, "goods_image", &picture).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.body["url"], first.body["url"]);

    // Another user: an upload of their own, the same stored object.
    let theirs = upload(&app, &bob, "goods_image", &picture).await;
    assert_eq!(theirs.status, 201, "{}", theirs.text);
    assert_ne!(theirs.body["id"], first.body["id"]);
    assert_eq!(theirs.body["url"], first.body["url"]);
    // The same user for another purpose: another upload, same object.
    let logo = upload(&app, &alice, "merchant_logo", &picture).await;
    assert_eq!(logo.status, 201, "{}", logo.text);
    assert_eq!(logo.body["url"], first.body["url"]);

    // One picture and one thumbnail on disk.
    let files = files_under(&media_root(&app));
    assert_eq!(files.len(), 2, "{files:?}");

    // Eight identical uploads at once: one row, one answer.
    let picture = png(120, 80);
    let sends = (0..8).map(|_| upload(&app, &alice, "avatar", &picture));
    let replies = futures_util::future::join_all(sends).await;
    let ids: Vec<i64> = replies
        .iter()
        .map(|r| {
            assert!(r.status == 201 || r.status == 200, "{}", r.text);
            r.body["id"].as_i64().unwrap()
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 1);
    let avatars = upload::Entity::find()
        .filter(upload::Column::OwnerId.eq(alice_id))
        .filter(upload::Column::Purpose.eq("avatar"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(avatars.len(), 1);
}

// ---- serving ----

#[tokio::test]
async fn public_media_is_cached_for_a_year_and_answers_304() {
    let app = spawn_app().await;
    let (token, _, _) = app.resident("up-cache").await;
    let r = upload(&app, &token, "goods_image", &jpeg(120, 90)).await;
    let url = r.body["url"].as_str().unwrap().to_owned();
    let key = key_of(&url);
    let hash = key.split('.').next().unwrap().to_owned();

    // Anyone, no token.
    let (status, bytes, headers) = fetch(&app, &url).await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(headers["etag"], format!("\"{hash}\"").as_str());
    assert_eq!(headers["content-type"], "image/jpeg");
    assert!(!bytes.is_empty());

    let res = app
        .client
        .get(app.url(&url))
        .header("if-none-match", format!("\"{hash}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert_eq!(res.headers()["etag"], format!("\"{hash}\"").as_str());
    assert!(res.bytes().await.unwrap().is_empty());
    // Another tag: the picture again.
    let res = app
        .client
        .get(app.url(&url))
        .header("if-none-match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    for missing in [
        format!("/media/{}.jpg", "0".repeat(64)),
        "/media/not-a-key.jpg".to_owned(),
        format!("/media/{hash}.gif"),
        "/media/..%2F..%2Fetc%2Fpasswd".to_owned(),
    ] {
        let (status, _, _) = fetch(&app, &missing).await;
        assert_eq!(status, 404, "{missing}");
    }
}

// ---- private uploads ----

#[tokio::test]
async fn private_uploads_only_through_signed_urls_to_owner_and_reviewing_admin() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (community, _, _) = app.community_with_building(&platform, "阳光社区").await;
    let (elsewhere, _, _) = app.community_with_building(&platform, "别处社区").await;
    let reviewer = app.community_admin(&platform, &[community]).await;
    let stranger_admin = app.community_admin(&platform, &[elsewhere]).await;
    let (owner, _, _) = app.resident("up-licence-owner").await;
    let (neighbour, _, _) = app.resident("up-licence-neighbour").await;
    let applied = app
        .post(
            "/merchant-applications",
            Some(&owner),
            TestApp::application_body("阳光果蔬", &[community]),
        )
        .await;
    assert_eq!(applied.status, 201, "{}", applied.text);

    let r = upload(&app, &owner, "merchant_license", &jpeg(200, 300)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    let url = r.body["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/media/private/"), "{url}");
    assert!(url.contains("expires=") && url.contains("sig="), "{url}");
    assert!(r.body["url_expires_at"].is_string());
    let key = key_of(&url);

    // Never at the public path, nor on the public shelf.
    let (status, _, _) = fetch(&app, &format!("/media/{key}")).await;
    assert_eq!(status, 404);
    assert!(!media_root(&app).join("public").join(&key).exists());

    // The owner's signed URL works, for no one's token.
    let (status, bytes, headers) = fetch(&app, &url).await;
    assert_eq!(status, 200);
    assert!(image::load_from_memory(&bytes).is_ok());
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("private, max-age=")
    );
    let (status, _, _) = fetch(&app, r.body["thumb_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);

    // The owner, the reviewing admin and a platform admin read it.
    for who in [&owner, &reviewer, &platform] {
        let r = app.get(&format!("/uploads/{id}"), Some(who)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let (status, _, _) = fetch(&app, r.body["url"].as_str().unwrap()).await;
        assert_eq!(status, 200);
    }
    // Another resident and an admin of another community: 404.
    for who in [&neighbour, &stranger_admin] {
        let r = app.get(&format!("/uploads/{id}"), Some(who)).await;
        assert_eq!((r.status.as_u16(), r.code()), (404, "UPLOAD_NOT_FOUND"));
    }
    let r = app.get(&format!("/uploads/{id}"), None).await;
    assert_eq!(r.status, 401);
    let r = app.get("/uploads/999999", Some(&owner)).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "UPLOAD_NOT_FOUND"));

    // Tampered: another signature, a longer expiry, another key, none.
    let (path, query) = url.split_once('?').unwrap();
    let expires: i64 = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("expires="))
        .unwrap()
        .parse()
        .unwrap();
    let sig = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("sig="))
        .unwrap();
    let mut flipped = sig.to_owned();
    let last = if flipped.ends_with('0') { "1" } else { "0" };
    flipped.replace_range(flipped.len() - 1.., last);
    for tampered in [
        format!("{path}?expires={expires}&sig={flipped}"),
        format!("{path}?expires={}&sig={sig}", expires + 3600),
        format!(
            "/media/private/{}.jpg?expires={expires}&sig={sig}",
            "1".repeat(64)
        ),
        path.to_owned(),
    ] {
        let res = app.client.get(app.url(&tampered)).send().await.unwrap();
        assert_eq!(res.status(), 403, "{tampered}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "SIGNATURE_INVALID", "{tampered}");
    }

    // Expired: correctly signed, but past.
    let signer =
        yizhan::media::signing::UrlSigner::new(b"dev-only-media-signing-key-change-me").unwrap();
    let past = Utc::now().timestamp() - 5;
    let expired = format!("{path}?expires={past}&sig={}", signer.sign(&key, past));
    let res = app.client.get(app.url(&expired)).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "MEDIA_URL_EXPIRED");
}

// ---- references and the orphan sweep ----

async fn backdate(app: &TestApp, id: i64, hours: i64) {
    upload::Entity::update_many()
        .col_expr(
            upload::Column::CreatedAt,
            Expr::value(yizhan::time::now() - chrono::Duration::hours(hours)),
        )
        .filter(upload::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
}

async fn row(app: &TestApp, id: i64) -> Option<upload::Model> {
    upload::Entity::find_by_id(id).one(&app.db).await.unwrap()
}

#[tokio::test]
async fn claims_check_owner_and_purpose_and_count_references() {
    let app = spawn_app().await;
    let (alice, alice_id, _) = app.resident("up-claim-a").await;
    let (bob, _, _) = app.resident("up-claim-b").await;
    let mine = upload(&app, &alice, "goods_image", &jpeg(50, 50))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let logo = upload(&app, &alice, "merchant_logo", &jpeg(60, 60))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let theirs = upload(&app, &bob, "goods_image", &jpeg(70, 70)).await.body["id"]
        .as_i64()
        .unwrap();

    let err = yizhan::uploads::claim(
        &app.db,
        alice_id,
        Purpose::GoodsImage,
        "images",
        &[mine, logo, theirs, 987_654],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, yizhan::error::ErrorCode::ValidationFailed);
    let fields: Vec<String> = err.details.unwrap()["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, vec!["images[1]", "images[2]", "images[3]"]);
    assert_eq!(row(&app, mine).await.unwrap().ref_count, 0, "nothing taken");

    let claimed = yizhan::uploads::claim(
        &app.db,
        alice_id,
        Purpose::GoodsImage,
        "images",
        &[mine, mine],
    )
    .await
    .unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(row(&app, mine).await.unwrap().ref_count, 1);
    yizhan::uploads::service::claim_one(&app.db, alice_id, Purpose::MerchantLogo, "logo", logo)
        .await
        .unwrap();
    let err =
        yizhan::uploads::service::claim_one(&app.db, alice_id, Purpose::Avatar, "avatar", logo)
            .await
            .unwrap_err();
    assert!(err.details.unwrap().to_string().contains("\"avatar\""));

    yizhan::uploads::release(&app.db, &[mine, mine])
        .await
        .unwrap();
    let released = row(&app, mine).await.unwrap();
    assert_eq!(released.ref_count, 0);
    assert!(released.released_at.is_some());
    yizhan::uploads::release(&app.db, &[mine]).await.unwrap();
    assert_eq!(row(&app, mine).await.unwrap().ref_count, 0, "never below 0");
}

#[tokio::test]
async fn the_sweep_deletes_orphans_after_a_day_and_keeps_shared_objects() {
    let app = spawn_app().await;
    let store = MediaStore::new(&app.settings.media).unwrap();
    let (alice, alice_id, _) = app.resident("up-sweep-a").await;
    let (bob, _, _) = app.resident("up-sweep-b").await;
    let shared_picture = jpeg(90, 90);
    let orphan = upload(&app, &alice, "goods_image", &shared_picture).await;
    let kept = upload(&app, &alice, "goods_image", &jpeg(500, 450)).await;
    let fresh = upload(&app, &bob, "goods_image", &shared_picture).await;
    let private = upload(&app, &alice, "merchant_license", &jpeg(92, 92)).await;
    let [orphan, kept, fresh, private] =
        [&orphan, &kept, &fresh, &private].map(|r| r.body["id"].as_i64().unwrap());
    let shared_key = row(&app, orphan).await.unwrap().storage_key;
    let kept_key = row(&app, kept).await.unwrap().storage_key;
    let private_key = row(&app, private).await.unwrap().storage_key;
    yizhan::uploads::claim(&app.db, alice_id, Purpose::GoodsImage, "images", &[kept])
        .await
        .unwrap();
    for id in [orphan, kept, private] {
        backdate(&app, id, 25).await;
    }
    backdate(&app, fresh, 23).await;

    let swept = yizhan::uploads::service::sweep_orphans(&app.db, &store, yizhan::time::now())
        .await
        .unwrap();
    assert_eq!(swept, 2);
    assert!(row(&app, orphan).await.is_none());
    assert!(row(&app, private).await.is_none());
    assert!(row(&app, kept).await.is_some(), "referenced: never swept");
    assert!(row(&app, fresh).await.is_some(), "under a day old");
    let public = media_root(&app).join("public");
    assert!(
        public.join(&shared_key).exists(),
        "still used by bob's upload"
    );
    assert!(public.join(&kept_key).exists());
    assert!(!media_root(&app).join("private").join(&private_key).exists());

    // Bob's goes a day later, and the shared object with it.
    backdate(&app, fresh, 25).await;
    let swept = yizhan::uploads::service::sweep_orphans(&app.db, &store, yizhan::time::now())
        .await
        .unwrap();
    assert_eq!(swept, 1);
    assert!(!public.join(&shared_key).exists());
    // Left: the referenced upload's picture and thumbnail.
    assert_eq!(files_under(&media_root(&app)).len(), 2);

    // Released an hour ago: it waits a day from its release.
    yizhan::uploads::release(&app.db, &[kept]).await.unwrap();
    let swept = yizhan::uploads::service::sweep_orphans(&app.db, &store, yizhan::time::now())
        .await
        .unwrap();
    assert_eq!(swept, 0);
    let tomorrow = yizhan::time::now() + chrono::Duration::hours(25);
    let swept = yizhan::uploads::service::sweep_orphans(&app.db, &store, tomorrow)
        .await
        .unwrap();
    assert_eq!(swept, 1);
    assert!(files_under(&media_root(&app)).is_empty());
}

// ---- S3 ----

/// An S3-protocol server (s3s-fs) on a loopback port, serving `root`, with
/// one bucket.
async fn s3_server(root: &Path, bucket: &str) -> String {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use s3s::auth::SimpleAuth;
    use s3s::service::S3ServiceBuilder;

    std::fs::create_dir_all(root.join(bucket)).unwrap();
    let fs = s3s_fs::FileSystem::new(root).unwrap();
    let mut builder = S3ServiceBuilder::new(fs);
    builder.set_auth(SimpleAuth::from_single(
        "test-access-key",
        "test-secret-key",
    ));
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let service = service.clone();
            tokio::spawn(async move {
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn uploads_work_on_an_s3_server_by_config_alone() {
    let root = std::env::temp_dir()
        .join("yizhan-tests")
        .join(format!("s3_{}", uuid::Uuid::new_v4().simple()));
    let endpoint = s3_server(&root, "yizhan-media").await;
    let app = spawn_app_with(|s| {
        s.media.backend = yizhan::settings::MediaBackend::S3;
        s.media.endpoint = endpoint.clone();
        s.media.bucket = "yizhan-media".into();
        s.media.region = "cn-north-1".into();
        s.media.access_key_id = "test-access-key".into();
        s.media.secret_access_key = "test-secret-key".to_owned().into();
    })
    .await;
    let (token, _, _) = app.resident("up-s3").await;
    let picture = jpeg(800, 600);
    let r = upload(&app, &token, "goods_image", &picture).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let url = r.body["url"].as_str().unwrap();
    let key = key_of(url);

    // Stored in the bucket, not on the local disk.
    let in_bucket = root.join("yizhan-media").join("public").join(&key);
    let stored = std::fs::read(&in_bucket).expect("object in the S3 bucket");
    assert!(files_under(&media_root(&app)).is_empty());
    // Read back through the API.
    let (status, served, headers) = fetch(&app, url).await;
    assert_eq!(status, 200);
    assert_eq!(served, stored);
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let (status, _, _) = fetch(&app, r.body["thumb_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);

    // A private one, through its signed URL.
    let r = upload(&app, &token, "request_photo", &jpeg(300, 300)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (status, served, _) = fetch(&app, r.body["url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let private_key = key_of(r.body["url"].as_str().unwrap());
    assert_eq!(
        served,
        std::fs::read(root.join("yizhan-media").join("private").join(&private_key)).unwrap()
    );

    // The sweep deletes from the bucket too.
    let store = MediaStore::new(&app.settings.media).unwrap();
    let later = yizhan::time::now() + chrono::Duration::hours(25);
    let swept = yizhan::uploads::service::sweep_orphans(&app.db, &store, later)
        .await
        .unwrap();
    assert_eq!(swept, 2);
    assert!(!in_bucket.exists());
}

#[tokio::test]
async fn a_claim_racing_the_sweep_either_keeps_its_upload_or_fails_cleanly() {
    let app = spawn_app().await;
    let store = MediaStore::new(&app.settings.media).unwrap();
    let (alice, alice_id, _) = app.resident("up-race").await;
    let mut ids = Vec::new();
    for i in 0..24 {
        let r = upload(&app, &alice, "review_photo", &jpeg(40 + i, 40)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["id"].as_i64().unwrap();
        backdate(&app, id, 30).await;
        ids.push(id);
    }
    let sweep = async {
        yizhan::uploads::service::sweep_orphans(&app.db, &store, yizhan::time::now())
            .await
            .unwrap()
    };
    let claims = futures_util::future::join_all(ids.iter().map(|id| {
        let db = app.db.clone();
        let id = *id;
        async move {
            yizhan::uploads::claim(&db, alice_id, Purpose::ReviewPhoto, "photos", &[id])
                .await
                .is_ok()
        }
    }));
    let (swept, claimed) = tokio::join!(sweep, claims);
    let mut kept = 0;
    for (id, ok) in ids.iter().zip(claimed) {
        let found = row(&app, *id).await;
        if ok {
            let found = found.expect("a successful claim keeps its upload");
            assert_eq!(found.ref_count, 1);
            assert!(
                media_root(&app)
                    .join("public")
                    .join(&found.storage_key)
                    .exists()
            );
            kept += 1;
        } else {
            assert!(found.is_none(), "a failed claim means the sweep took it");
        }
    }
    assert_eq!(kept + swept, ids.len(), "every upload claimed or swept");
}
