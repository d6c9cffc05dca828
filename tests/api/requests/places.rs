//! Buildings and city components: their codes decode to the scene that
//! names them, scanning resolves the place, and a community's codes print
//! as one PDF.

use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use super::{desk, desk_on};
use crate::support::{Reply, spawn_app_with};

/// The text of the QR code in a PNG.
fn decode_png(bytes: &[u8]) -> String {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1);
    grids[0].decode().unwrap().1
}

/// The scene carried by a code's link (`...?scene=b%3D12` → `b=12`).
fn scene_of(link: &str) -> String {
    let (base, query) = link.split_once("?scene=").expect("a scene parameter");
    assert_eq!(base, "https://yizhan.example.com/qr");
    query.replace("%3D", "=")
}

async fn component(d: &super::Desk, code: &str) -> Reply {
    d.app
        .post(
            "/admin/city-components",
            Some(&d.admin),
            json!({
                "community_id": d.community, "grid_id": d.grid, "kind": "manhole_cover",
                "code": code, "name": "幸福路3号井盖", "lat": 30.51, "lng": 114.31,
                "owner_unit": "市政公司", "phone": "0710-3218888", "department_id": d.water
            }),
        )
        .await
}

#[tokio::test]
async fn codes_decode_to_the_scene_of_their_place() {
    let d = desk().await;
    let r = d
        .app
        .get(
            &format!("/admin/buildings/{}/qrcode", d.building),
            Some(&d.admin),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.headers["content-type"], "image/png");
    let raw = d
        .app
        .client
        .get(
            d.app
                .url(&format!("/admin/buildings/{}/qrcode", d.building)),
        )
        .bearer_auth(&d.admin)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let scene = scene_of(&decode_png(&raw));
    assert_eq!(scene, format!("b={}", d.building));
    let place = d.app.get(&format!("/places/{scene}"), None).await;
    assert_eq!(place.status, 200, "{}", place.text);
    assert_eq!(place.body["building_id"], d.building);
    assert_eq!(place.body["grid_id"], d.grid);
    assert_eq!(place.body["community_name"], "幸福社区");
    assert_eq!(place.body["building_name"], "1号楼");

    let c = component(&d, "JG-0001").await;
    assert_eq!(c.status, 201, "{}", c.text);
    let id = c.body["id"].as_i64().unwrap();
    assert_eq!(c.body["scene"], format!("c={id}"));
    let raw = d
        .app
        .client
        .get(d.app.url(&format!("/admin/city-components/{id}/qrcode")))
        .bearer_auth(&d.admin)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let scene = scene_of(&decode_png(&raw));
    assert_eq!(scene, format!("c={id}"));
    let place = d.app.get(&format!("/places/{scene}"), None).await;
    assert_eq!(place.body["component"]["owner_unit"], "市政公司");
    assert_eq!(place.body["component"]["phone"], "0710-3218888");
    assert_eq!(place.body["building_id"], Value::Null);
    // The scanned component fills in the report.
    d.at("2026-09-21T10:00:00+08:00");
    let r = d
        .app
        .post(
            "/requests",
            Some(&d.resident),
            json!({ "category_id": d.outage, "content": "井盖松动，有人踩空", "component_id": id }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (
            r.body["component_name"].as_str(),
            r.body["grid_id"].as_i64()
        ),
        (Some("幸福路3号井盖"), Some(d.grid))
    );

    let r = d.app.get("/places/b=1%00", None).await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "INVALID_QUERY"));
    for bad in ["x=1", "b=0", "b=abc", "b=99999", "c=99999"] {
        let r = d.app.get(&format!("/places/{bad}"), None).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (404, "PLACE_NOT_FOUND"),
            "{bad}"
        );
    }
    // Only the community's admins download its codes.
    let (other, _, _) = d.app.community_with_building(&d.platform, "和平社区").await;
    let other_admin = d.app.community_admin(&d.platform, &[other]).await;
    for path in [
        format!("/admin/buildings/{}/qrcode", d.building),
        format!("/admin/city-components/{id}/qrcode"),
        format!("/admin/communities/{}/qrcodes.pdf", d.community),
    ] {
        assert_eq!(
            d.app.get(&path, Some(&other_admin)).await.status,
            403,
            "{path}"
        );
        assert_eq!(
            d.app.get(&path, Some(&d.resident)).await.status,
            403,
            "{path}"
        );
    }
    assert_eq!(
        d.app
            .get("/admin/buildings/99999/qrcode", Some(&d.admin))
            .await
            .code(),
        "BUILDING_NOT_FOUND"
    );
    assert_eq!(
        d.app
            .get("/admin/city-components/99999/qrcode", Some(&d.admin))
            .await
            .code(),
        "COMPONENT_NOT_FOUND"
    );
}

#[tokio::test]
async fn city_components_list_every_bad_field_and_keep_codes_unique() {
    let d = desk().await;
    let r = d
        .app
        .post("/admin/city-components", Some(&d.resident), json!({}))
        .await;
    assert_eq!(r.status, 403, "authorization before validation");
    let r = d
        .app
        .post("/admin/city-components", Some(&d.admin), json!({}))
        .await;
    assert_eq!(
        r.fields(),
        [
            "community_id",
            "kind",
            "code",
            "name",
            "owner_unit",
            "phone",
            "lat",
            "lng"
        ]
    );
    let (other, other_grid, _) = d.app.community_with_building(&d.platform, "和平社区").await;
    let r = d
        .app
        .post(
            "/admin/city-components",
            Some(&d.admin),
            json!({ "community_id": other, "kind": "pole", "code": "DG-1", "name": "电杆", "lat": 30.5, "lng": 114.3, "owner_unit": "供电所", "phone": "95598" }),
        )
        .await;
    assert_eq!(r.status, 403, "another community");
    let r = d
        .app
        .post(
            "/admin/city-components",
            Some(&d.admin),
            json!({
                "community_id": d.community, "grid_id": other_grid, "kind": "ufo", "code": "中文编号",
                "name": "x", "lat": 30.5, "lng": 200.0, "owner_unit": "供电所", "phone": "12",
                "department_id": 99999
            }),
        )
        .await;
    assert_eq!(
        r.fields(),
        ["kind", "code", "phone", "lng", "grid_id", "department_id"]
    );
    assert_eq!(component(&d, "JG-1").await.status, 201);
    assert_eq!(component(&d, "JG-1").await.code(), "ALREADY_EXISTS");
    let list = d
        .app
        .get("/admin/city-components?kind=manhole_cover", Some(&d.admin))
        .await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(
        d.app
            .get("/admin/city-components?kind=ufo", Some(&d.admin))
            .await
            .code(),
        "INVALID_QUERY"
    );
}

#[tokio::test]
async fn a_community_prints_all_its_codes_as_one_pdf() {
    let d = desk().await;
    for name in ["2号楼", "3号楼"] {
        let r = d
            .app
            .post(
                &format!("/admin/grids/{}/buildings", d.grid),
                Some(&d.platform),
                json!({ "name": name, "households": 80 }),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    assert_eq!(component(&d, "JG-2").await.status, 201);
    let res = d
        .app
        .client
        .get(
            d.app
                .url(&format!("/admin/communities/{}/qrcodes.pdf", d.community)),
        )
        .bearer_auth(&d.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-1.4"));
    assert!(pdf.ends_with(b"%%EOF\n"));
    let text = String::from_utf8_lossy(&pdf);
    assert_eq!(
        text.matches("/Subtype /Image").count(),
        4,
        "three buildings and a component"
    );
    assert!(text.contains("/STSong-Light"));
    assert_eq!(text.matches("/Type /Page ").count(), 1);
}

#[tokio::test]
async fn with_wechat_configured_codes_are_mini_program_codes() {
    let app = spawn_app_with(|s| {
        s.jobs.sweep_interval_ms = 3_600_000;
        s.wechat.app_id = "wx_configured_app".into();
    })
    .await;
    let d = desk_on(app).await;
    d.app.wechat_issues_token("tok").await;
    // A baseline JPEG header of 430x430, as WeChat sends.
    let mut jpeg = vec![
        0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0xAE, 0x01, 0xAE, 0x03,
    ];
    jpeg.extend_from_slice(&[1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 0xFF, 0xD9]);
    Mock::given(method("POST"))
        .and(path("/wxa/getwxacodeunlimit"))
        .and(body_partial_json(
            json!({ "scene": format!("b={}", d.building), "page": "pages/requests/new" }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_raw(jpeg.clone(), "image/jpeg"))
        .mount(&d.app.wechat)
        .await;
    let res = d
        .app
        .client
        .get(
            d.app
                .url(&format!("/admin/buildings/{}/qrcode", d.building)),
        )
        .bearer_auth(&d.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.bytes().await.unwrap().to_vec(), jpeg);
    // The sheet embeds WeChat's JPEG as it is.
    let pdf = d
        .app
        .client
        .get(
            d.app
                .url(&format!("/admin/communities/{}/qrcodes.pdf", d.community)),
        )
        .bearer_auth(&d.admin)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(
        text.contains("/Filter /DCTDecode"),
        "{}",
        &text[..200.min(text.len())]
    );
    // WeChat's refusals are 503, not a broken image.
    let c = component(&d, "JG-9").await.body["id"].as_i64().unwrap();
    Mock::given(method("POST"))
        .and(path("/wxa/getwxacodeunlimit"))
        .and(body_partial_json(json!({ "scene": format!("c={c}") })))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "errcode": 45009, "errmsg": "reach max api daily quota limit" }),
        ))
        .mount(&d.app.wechat)
        .await;
    let r = d
        .app
        .get(
            &format!("/admin/city-components/{c}/qrcode"),
            Some(&d.admin),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (503, "WECHAT_UNAVAILABLE"));
}
