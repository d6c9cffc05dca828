//! Merchant applications, review, public profiles, owner edits, suspension.

use futures_util::future::join_all;
use serde_json::json;

use crate::support::{SharedMarket, TestApp, shared_market, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_resident_applies_and_an_admin_of_the_community_approves() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (c1, _, _) = app.community_with_building(&platform, "幸福社区").await;
    let (c2, _, _) = app.community_with_building(&platform, "阳光社区").await;
    let admin1 = app.community_admin(&platform, &[c1]).await;
    let admin2 = app.community_admin(&platform, &[c2]).await;
    let (token, user_id, _) = app.resident("shop1").await;

    let r = app
        .post(
            "/merchant-applications",
            Some(&token),
            TestApp::application_body("老王水果店", &[c1, c1]),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["user_id"], user_id);
    assert_eq!(r.body["community_ids"], json!([c1]));
    assert_eq!(r.body["license_no"], "91420100MA4K0001");
    assert_eq!(r.body["reject_reason"], json!(null));
    assert_eq!(r.body["merchant_id"], json!(null));

    // One pending application at a time.
    let again = app
        .post(
            "/merchant-applications",
            Some(&token),
            TestApp::application_body("另一家", &[c1]),
        )
        .await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "APPLICATION_PENDING")
    );

    // The applicant reads it back.
    let mine = app.get("/me/merchant-applications", Some(&token)).await;
    assert_eq!(mine.body["total"], 1);
    assert_eq!(mine.body["items"][0]["id"], id);

    // The admin of c1 sees it in the queue; the admin of c2 does not and may not review it.
    let queue = app
        .get("/admin/merchant-applications?status=pending", Some(&admin1))
        .await;
    assert_eq!(queue.status, 200);
    assert_eq!(queue.body["total"], 1);
    assert_eq!(queue.body["items"][0]["contact_phone"], "13800138000");
    let none = app.get("/admin/merchant-applications", Some(&admin2)).await;
    assert_eq!(none.body["total"], 0);
    let approved_only = app
        .get(
            "/admin/merchant-applications?status=approved",
            Some(&admin1),
        )
        .await;
    assert_eq!(approved_only.body["total"], 0);
    let bad = app
        .get("/admin/merchant-applications?status=maybe", Some(&admin1))
        .await;
    assert_eq!((bad.status.as_u16(), bad.code()), (400, "INVALID_QUERY"));
    let outsider = app
        .post(
            &format!("/admin/merchant-applications/{id}/approve"),
            Some(&admin2),
            json!({}),
        )
        .await;
    assert_eq!(
        (outsider.status.as_u16(), outsider.code()),
        (403, "FORBIDDEN")
    );
    let outsider = app
        .post(
            &format!("/admin/merchant-applications/{id}/reject"),
            Some(&admin2),
            json!({ "reason": "不行" }),
        )
        .await;
    assert_eq!(outsider.status, 403);
    // Residents neither see the queue nor review.
    assert_eq!(
        app.get("/admin/merchant-applications", Some(&token))
            .await
            .status,
        403
    );
    let r = app
        .post(
            &format!("/admin/merchant-applications/{id}/approve"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        app.get("/me", Some(&token)).await.body["roles"],
        json!(["resident"])
    );

    // Approval creates the merchant and grants the role.
    let ok = app
        .post(
            &format!("/admin/merchant-applications/{id}/approve"),
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["status"], "approved");
    let merchant_id = ok.body["merchant_id"].as_i64().unwrap();
    assert!(ok.body["reviewed_at"].is_string());
    let roles = app.get("/me", Some(&token)).await.body["roles"].clone();
    assert_eq!(roles, json!(["merchant", "resident"]));
    let m = app.get(&format!("/merchants/{merchant_id}"), None).await;
    assert_eq!(m.status, 200);
    assert_eq!(m.body["name"], "老王水果店");
    assert_eq!(m.body["status"], "active");
    assert_eq!(m.body["category"], "果蔬生鲜");
    assert_eq!(m.body["community_ids"], json!([c1]));
    assert_eq!(m.body["contact_phone"], "13800138000");
    assert_eq!(m.body["lat"], 30.51);
    assert!(
        m.body.get("license_no").is_none(),
        "private data is not public"
    );

    // Reviewed once only.
    for path in ["approve", "reject"] {
        let r = app
            .post(
                &format!("/admin/merchant-applications/{id}/{path}"),
                Some(&admin1),
                json!({ "reason": "x" }),
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (409, "APPLICATION_NOT_PENDING")
        );
    }
    let missing = app
        .post(
            "/admin/merchant-applications/999999/approve",
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!(
        (missing.status.as_u16(), missing.code()),
        (404, "APPLICATION_NOT_FOUND")
    );
    assert_eq!(app.get("/merchants", None).await.body["total"], 1);
}

#[tokio::test]
async fn a_rejected_applicant_reads_the_reason_and_may_apply_again() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "幸福社区").await;
    let admin = app.community_admin(&platform, &[cid]).await;
    let (token, _, _) = app.resident("shop2").await;
    let r = app
        .post(
            "/merchant-applications",
            Some(&token),
            TestApp::application_body("小店", &[cid]),
        )
        .await;
    let id = r.body["id"].as_i64().unwrap();

    for reason in [json!(""), json!("   "), json!("理".repeat(201))] {
        let r = app
            .post(
                &format!("/admin/merchant-applications/{id}/reject"),
                Some(&admin),
                json!({ "reason": reason }),
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.fields()),
            (422, vec!["reason".to_owned()])
        );
    }
    let r = app
        .post(
            &format!("/admin/merchant-applications/{id}/reject"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["reason".to_owned()])
    );

    let r = app
        .post(
            &format!("/admin/merchant-applications/{id}/reject"),
            Some(&admin),
            json!({ "reason": "营业执照照片不清晰" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "rejected");
    let mine = app.get("/me/merchant-applications", Some(&token)).await;
    assert_eq!(mine.body["items"][0]["status"], "rejected");
    assert_eq!(mine.body["items"][0]["reject_reason"], "营业执照照片不清晰");
    assert_eq!(app.get("/merchants", None).await.body["total"], 0);
    assert_eq!(
        app.get("/me", Some(&token)).await.body["roles"],
        json!(["resident"])
    );

    // Another user's applications are not listed to them.
    let (other, _, _) = app.resident("nosy").await;
    assert_eq!(
        app.get("/me/merchant-applications", Some(&other))
            .await
            .body["total"],
        0
    );
    assert_eq!(app.get("/me/merchant-applications", None).await.status, 401);

    let again = app
        .post(
            "/merchant-applications",
            Some(&token),
            TestApp::application_body("小店", &[cid]),
        )
        .await;
    assert_eq!(again.status, 201);
    let queue = app
        .get("/admin/merchant-applications?status=pending", Some(&admin))
        .await;
    assert_eq!(queue.body["total"], 1);
    assert_eq!(
        app.get("/admin/merchant-applications", Some(&admin))
            .await
            .body["total"],
        2
    );
}

#[tokio::test]
async fn invalid_applications_name_every_field_and_write_nothing() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "幸福社区").await;
    let (token, _, _) = app.resident("bad").await;
    let r = app
        .post(
            "/merchant-applications",
            Some(&token),
            json!({
                "name": "", "category": "汽车", "license_no": "执照 1",
                "contact_name": "x".repeat(33), "contact_phone": "phone",
                "address": " ", "lat": 91.0, "lng": -181.0, "community_ids": []
            }),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.code(), "VALIDATION_FAILED");
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "address",
            "category",
            "community_ids",
            "contact_name",
            "contact_phone",
            "lat",
            "license_no",
            "lng",
            "name"
        ]
    );
    let r = app
        .post(
            "/merchant-applications",
            Some(&token),
            TestApp::application_body("店", &[cid, 424242]),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["community_ids".to_owned()])
    );
    let too_many: Vec<i64> = (1..=21).collect();
    let r = app
        .post(
            "/merchant-applications",
            Some(&token),
            TestApp::application_body("店", &too_many),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["community_ids".to_owned()])
    );
    let mut wrong = TestApp::application_body("店", &[cid]);
    wrong["lat"] = json!("north");
    let r = app
        .post("/merchant-applications", Some(&token), wrong)
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["lat".to_owned()])
    );
    assert_eq!(
        app.get("/me/merchant-applications", Some(&token))
            .await
            .body["total"],
        0
    );

    // Admin accounts are not residents; anonymous callers are 401.
    let r = app
        .post(
            "/merchant-applications",
            Some(&platform),
            TestApp::application_body("店", &[cid]),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .post(
            "/merchant-applications",
            None,
            TestApp::application_body("店", &[cid]),
        )
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn concurrent_applications_leave_one_pending_and_concurrent_approvals_one_merchant() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "幸福社区").await;
    let (token, _, _) = app.resident("racer").await;
    let replies = join_all((0..8).map(|i| {
        app.post(
            "/merchant-applications",
            Some(&token),
            TestApp::application_body(&format!("店{i}"), &[cid]),
        )
    }))
    .await;
    let created: Vec<_> = replies.iter().filter(|r| r.status == 201).collect();
    assert_eq!(
        created.len(),
        1,
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    assert!(
        replies
            .iter()
            .filter(|r| r.status != 201)
            .all(|r| r.status == 409 && r.code() == "APPLICATION_PENDING")
    );
    let id = created[0].body["id"].as_i64().unwrap();

    let admin_a = app.community_admin(&platform, &[cid]).await;
    let admin_b = app.community_admin(&platform, &[cid]).await;
    let path = format!("/admin/merchant-applications/{id}/approve");
    let reviews = join_all(
        [&admin_a, &admin_b, &platform, &admin_a]
            .into_iter()
            .map(|t| app.post(&path, Some(t), json!({}))),
    )
    .await;
    let statuses: Vec<u16> = reviews.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(app.get("/merchants", None).await.body["total"], 1);
}

#[tokio::test]
async fn public_merchant_list_filters_by_community_category_and_keyword() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (c1, _, _) = app.community_with_building(&platform, "甲社区").await;
    let (c2, _, _) = app.community_with_building(&platform, "乙社区").await;
    let (m1, _) = app.approved_merchant(&platform, &[c1], "m1").await;
    let (m2, _) = app.approved_merchant(&platform, &[c1, c2], "m2").await;
    // A flower shop with wildcard characters in its name.
    let (token, _, _) = app.resident("m3").await;
    let mut body = TestApp::application_body("花_店100%", &[c2]);
    body["category"] = json!("花卉绿植");
    let r = app.post("/merchant-applications", Some(&token), body).await;
    let id = r.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/admin/merchant-applications/{id}/approve"),
            Some(&platform),
            json!({}),
        )
        .await;
    let m3 = r.body["merchant_id"].as_i64().unwrap();

    let ids = |r: &crate::support::Reply| -> Vec<i64> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect()
    };
    let all = app.get("/merchants", None).await;
    assert_eq!(all.body["total"], 3);
    assert_eq!(ids(&all), vec![m3, m2, m1]);
    assert_eq!(
        ids(&app
            .get(&format!("/merchants?community_id={c1}"), None)
            .await),
        vec![m2, m1]
    );
    assert_eq!(
        ids(&app
            .get(&format!("/merchants?community_id={c2}"), None)
            .await),
        vec![m3, m2]
    );
    let flowers = app
        .get(
            "/merchants?category=%E8%8A%B1%E5%8D%89%E7%BB%BF%E6%A4%8D",
            None,
        )
        .await;
    assert_eq!(ids(&flowers), vec![m3]);
    // Keyword: substring, with % and _ literal.
    assert_eq!(ids(&app.get("/merchants?q=m1", None).await), vec![m1]);
    assert_eq!(ids(&app.get("/merchants?q=%25", None).await), vec![m3]);
    assert_eq!(ids(&app.get("/merchants?q=_", None).await), vec![m3]);
    assert_eq!(
        ids(&app.get("/merchants?q=%E7%9A%84%E5%BA%97", None).await),
        vec![m2, m1]
    );
    let combined = app
        .get(&format!("/merchants?community_id={c2}&q=m2"), None)
        .await;
    assert_eq!(ids(&combined), vec![m2]);
    let page = app.get("/merchants?page=2&page_size=2", None).await;
    assert_eq!(
        (page.body["total"].as_i64(), ids(&page)),
        (Some(3), vec![m1])
    );
    let bad = app.get("/merchants?community_id=abc", None).await;
    assert_eq!((bad.status.as_u16(), bad.code()), (400, "INVALID_QUERY"));
    let missing = app.get("/merchants/999999", None).await;
    assert_eq!(
        (missing.status.as_u16(), missing.code()),
        (404, "MERCHANT_NOT_FOUND")
    );
}

#[tokio::test]
async fn only_the_owner_edits_the_profile_and_reads_see_it_at_once() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "甲社区").await;
    let (mid, owner) = app.approved_merchant(&platform, &[cid], "owner").await;
    let (_, other_owner) = app.approved_merchant(&platform, &[cid], "other").await;
    let (resident, _, _) = app.resident("plain").await;
    // Warm the cache.
    assert_eq!(
        app.get(&format!("/merchants/{mid}"), None).await.body["business_hours"],
        ""
    );
    assert_eq!(app.get("/merchants", None).await.body["total"], 2);

    let patch = json!({
        "business_hours": "每日 07:00-21:00", "announcement": "今日草莓特价",
        "logo_url": "https://img.example/logo.png", "contact_phone": "0710-3456789",
        "name": "老王鲜果"
    });
    for token in [&other_owner, &resident, &platform] {
        let r = app
            .patch(&format!("/merchants/{mid}"), Some(token), patch.clone())
            .await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    }
    assert_eq!(
        app.patch(&format!("/merchants/{mid}"), None, patch.clone())
            .await
            .status,
        401
    );
    let r = app
        .patch("/merchants/999999", Some(&owner), patch.clone())
        .await;
    assert_eq!(r.code(), "MERCHANT_NOT_FOUND");

    let r = app
        .patch(&format!("/merchants/{mid}"), Some(&owner), patch)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["announcement"], "今日草莓特价");
    let detail = app.get(&format!("/merchants/{mid}"), None).await;
    assert_eq!(detail.body, r.body);
    assert_eq!(detail.body["business_hours"], "每日 07:00-21:00");
    assert_eq!(detail.body["contact_phone"], "0710-3456789");
    let list = app.get("/merchants?q=%E9%B2%9C%E6%9E%9C", None).await;
    assert_eq!(list.body["items"][0]["name"], "老王鲜果");

    let bad = app
        .patch(
            &format!("/merchants/{mid}"),
            Some(&owner),
            json!({
                "name": "", "address": "", "lat": 100.0, "lng": 200.0,
                "business_hours": "x".repeat(101), "announcement": "x".repeat(501),
                "contact_phone": "12", "logo_url": "http://img.example/a.png"
            }),
        )
        .await;
    assert_eq!(bad.status, 422);
    let mut fields = bad.fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "address",
            "announcement",
            "business_hours",
            "contact_phone",
            "lat",
            "lng",
            "logo_url",
            "name"
        ]
    );
    let unknown = app
        .patch(
            &format!("/merchants/{mid}"),
            Some(&owner),
            json!({ "status": "active" }),
        )
        .await;
    assert_eq!(unknown.status, 422);
    let cleared = app
        .patch(
            &format!("/merchants/{mid}"),
            Some(&owner),
            json!({ "logo_url": null }),
        )
        .await;
    assert_eq!(cleared.body["logo_url"], json!(null));
    assert_eq!(cleared.body["name"], "老王鲜果");
    assert_eq!(
        app.get(&format!("/merchants/{mid}"), None).await.body["logo_url"],
        json!(null)
    );
}

#[tokio::test]
async fn suspension_hides_the_merchant_its_goods_and_promotions_until_reinstated() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (c1, _, _) = app.community_with_building(&platform, "甲社区").await;
    let (c2, _, _) = app.community_with_building(&platform, "乙社区").await;
    let admin1 = app.community_admin(&platform, &[c1]).await;
    let admin2 = app.community_admin(&platform, &[c2]).await;
    let (mid, owner) = app.approved_merchant(&platform, &[c1], "bad-shop").await;
    let (other, _) = app.approved_merchant(&platform, &[c1], "good-shop").await;
    let goods = app.create_goods(&owner, mid, json!({})).await;
    let gid = goods["id"].as_i64().unwrap();
    let now = chrono::Utc::now();
    let promo = app
        .post(
            &format!("/merchants/{mid}/promotions"),
            Some(&owner),
            json!({ "title": "满30减5", "starts_at": now - chrono::Duration::hours(1), "ends_at": now + chrono::Duration::days(1) }),
        )
        .await;
    assert_eq!(promo.status, 201, "{}", promo.text);
    // Warm every cache.
    let goods_list = format!("/goods?community_id={c1}");
    let promo_list = format!("/promotions?community_id={c1}");
    assert_eq!(
        app.get(&format!("/merchants/{mid}"), None).await.status,
        200
    );
    assert_eq!(app.get(&format!("/goods/{gid}"), None).await.status, 200);
    assert_eq!(app.get("/merchants", None).await.body["total"], 2);
    assert_eq!(app.get(&goods_list, None).await.body["total"], 1);
    assert_eq!(app.get(&promo_list, None).await.body["total"], 1);

    let (resident, _, _) = app.resident("watcher").await;
    for token in [&admin2, &resident, &owner] {
        let r = app
            .post(
                &format!("/admin/merchants/{mid}/suspend"),
                Some(token),
                json!({}),
            )
            .await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    }
    let r = app
        .post("/admin/merchants/999999/suspend", Some(&admin1), json!({}))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "MERCHANT_NOT_FOUND"));
    let r = app
        .post(
            &format!("/admin/merchants/{mid}/reinstate"),
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "MERCHANT_STATUS_CONFLICT")
    );

    let r = app
        .post(
            &format!("/admin/merchants/{mid}/suspend"),
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "suspended");
    let gone = app.get(&format!("/merchants/{mid}"), None).await;
    assert_eq!(
        (gone.status.as_u16(), gone.code()),
        (404, "MERCHANT_NOT_FOUND")
    );
    let list = app.get("/merchants", None).await;
    assert_eq!(
        (
            list.body["total"].as_i64(),
            list.body["items"][0]["id"].as_i64()
        ),
        (Some(1), Some(other))
    );
    assert_eq!(
        app.get(&format!("/goods/{gid}"), None).await.code(),
        "GOODS_NOT_FOUND"
    );
    assert_eq!(app.get(&goods_list, None).await.body["total"], 0);
    assert_eq!(app.get(&promo_list, None).await.body["total"], 0);
    // The owner still sees their shop and goods, marked suspended.
    let own = app.get(&format!("/merchants/{mid}"), Some(&owner)).await;
    assert_eq!(
        (own.status.as_u16(), own.body["status"].as_str()),
        (200, Some("suspended"))
    );
    assert_eq!(
        app.get(&format!("/goods/{gid}"), Some(&owner)).await.status,
        200
    );
    assert_eq!(
        app.get(&format!("/merchants/{mid}"), Some(&resident))
            .await
            .status,
        404
    );
    // Another merchant cannot touch the suspended shop's goods: 404, existence hidden.
    let (_, other_owner) = app.approved_merchant(&platform, &[c1], "third").await;
    let r = app
        .patch(
            &format!("/goods/{gid}"),
            Some(&other_owner),
            json!({ "stock": 1 }),
        )
        .await;
    assert_eq!(r.code(), "GOODS_NOT_FOUND");
    let r = app
        .patch(
            &format!("/merchants/{mid}"),
            Some(&other_owner),
            json!({ "announcement": "x" }),
        )
        .await;
    assert_eq!(r.code(), "MERCHANT_NOT_FOUND");
    let r = app
        .post(
            &format!("/admin/merchants/{mid}/suspend"),
            Some(&platform),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "MERCHANT_STATUS_CONFLICT")
    );

    let r = app
        .post(
            &format!("/admin/merchants/{mid}/reinstate"),
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["status"].as_str()),
        (200, Some("active"))
    );
    assert_eq!(
        app.get(&format!("/merchants/{mid}"), None).await.status,
        200
    );
    assert_eq!(app.get(&format!("/goods/{gid}"), None).await.status, 200);
    assert_eq!(app.get(&goods_list, None).await.body["total"], 1);
    assert_eq!(app.get(&promo_list, None).await.body["total"], 1);
    assert_eq!(app.get("/merchants", None).await.body["total"], 3);
}

/// Two API instances sharing one database and one Redis: suspension and
/// profile edits through one are seen through the other at once.
#[tokio::test]
async fn writes_on_one_instance_invalidate_the_other_instances_cache() {
    let Some(SharedMarket {
        a,
        b,
        platform,
        community_id: cid,
        merchant_id: mid,
        owner,
    }) = shared_market("shared").await
    else {
        return;
    };
    let gid = a.create_goods(&owner, mid, json!({})).await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        b.get(&format!("/merchants/{mid}"), None).await.body["announcement"],
        ""
    );
    assert_eq!(b.get(&format!("/goods/{gid}"), None).await.status, 200);
    assert_eq!(b.get("/merchants", None).await.body["total"], 1);

    let r = a
        .patch(
            &format!("/merchants/{mid}"),
            Some(&owner),
            json!({ "announcement": "新到荔枝" }),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        b.get(&format!("/merchants/{mid}"), None).await.body["announcement"],
        "新到荔枝"
    );

    let r = a
        .post(
            &format!("/admin/merchants/{mid}/suspend"),
            Some(&platform),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(b.get(&format!("/merchants/{mid}"), None).await.status, 404);
    assert_eq!(b.get(&format!("/goods/{gid}"), None).await.status, 404);
    assert_eq!(b.get("/merchants", None).await.body["total"], 0);
    a.approved_merchant(&platform, &[cid], "newcomer").await;
    assert_eq!(b.get("/merchants", None).await.body["total"], 1);
}

#[tokio::test]
async fn merchant_reads_and_writes_work_with_redis_unreachable() {
    let app = spawn_app_with(|s| {
        s.redis.url = Some("redis://127.0.0.1:1".to_owned().into());
    })
    .await;
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "无缓存社区").await;
    let (mid, owner) = app.approved_merchant(&platform, &[cid], "nocache").await;
    assert_eq!(app.get("/merchants", None).await.body["total"], 1);
    assert_eq!(
        app.get(&format!("/merchants/{mid}"), None).await.body["name"],
        "nocache的店"
    );
    let r = app
        .patch(
            &format!("/merchants/{mid}"),
            Some(&owner),
            json!({ "name": "改名了" }),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        app.get(&format!("/merchants/{mid}"), None).await.body["name"],
        "改名了"
    );
    app.post(
        &format!("/admin/merchants/{mid}/suspend"),
        Some(&platform),
        json!({}),
    )
    .await;
    assert_eq!(
        app.get(&format!("/merchants/{mid}"), None).await.status,
        404
    );
    assert_eq!(app.get("/merchants", None).await.body["total"], 0);
}
