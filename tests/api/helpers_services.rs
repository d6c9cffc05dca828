//! Helper applications and their review, the service catalog and slots.

use futures_util::future::join_all;
use serde_json::json;

use crate::support::{TestApp, slot_times, spawn_app};

async fn apply(app: &TestApp, token: &str, community_ids: &[i64]) -> crate::support::Reply {
    app.post(
        "/helper-applications",
        Some(token),
        json!({ "display_name": "王阿姨家政", "skills": ["家政保洁", "助浴陪护"],
                "community_ids": community_ids, "phone": "13800138000" }),
    )
    .await
}

#[tokio::test]
async fn a_resident_applies_and_an_admin_of_the_community_approves() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (c1, _, _) = app.community_with_building(&platform, "甲").await;
    let (c2, _, _) = app.community_with_building(&platform, "乙").await;
    let admin1 = app.community_admin(&platform, &[c1]).await;
    let admin2 = app.community_admin(&platform, &[c2]).await;
    let (resident, uid, _) = app.resident("wang").await;

    let r = apply(&app, &resident, &[c1]).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["user_id"], uid);
    assert_eq!(r.body["skills"], json!(["助浴陪护", "家政保洁"]));
    assert_eq!(r.body["community_ids"], json!([c1]));
    assert_eq!(r.body["phone"], "138****8000");
    let id = r.body["id"].as_i64().unwrap();

    let again = apply(&app, &resident, &[c1]).await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "HELPER_APPLICATION_PENDING")
    );
    let mine = app.get("/me/helper-applications", Some(&resident)).await;
    assert_eq!(mine.body["total"], 1);
    assert_eq!(mine.body["items"][0]["id"], id);

    // The queue of each admin holds only applications naming their communities.
    let q1 = app
        .get("/admin/helper-applications?status=pending", Some(&admin1))
        .await;
    assert_eq!(q1.status, 200, "{}", q1.text);
    assert_eq!(q1.body["total"], 1);
    let q2 = app.get("/admin/helper-applications", Some(&admin2)).await;
    assert_eq!(q2.body["total"], 0);
    let bad = app
        .get("/admin/helper-applications?status=done", Some(&admin1))
        .await;
    assert_eq!((bad.status.as_u16(), bad.code()), (400, "INVALID_QUERY"));
    let r = app.get("/admin/helper-applications", Some(&resident)).await;
    assert_eq!(r.status, 403);

    for token in [&admin2, &resident] {
        let r = app
            .post(
                &format!("/admin/helper-applications/{id}/approve"),
                Some(token),
                json!({}),
            )
            .await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    }
    let r = app
        .post(
            "/admin/helper-applications/99999/approve",
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (404, "HELPER_APPLICATION_NOT_FOUND")
    );
    let me = app.get("/me", Some(&resident)).await;
    assert_eq!(me.body["roles"], json!(["resident"]));
    let r = app.get("/helpers/me", Some(&resident)).await;
    assert_eq!(r.status, 403);

    let ok = app
        .post(
            &format!("/admin/helper-applications/{id}/approve"),
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["status"], "approved");
    let helper_id = ok.body["helper_id"].as_i64().expect("helper id");
    let me = app.get("/me", Some(&resident)).await;
    assert_eq!(me.body["roles"], json!(["helper", "resident"]));
    let profile = app.get("/helpers/me", Some(&resident)).await;
    assert_eq!(profile.status, 200, "{}", profile.text);
    assert_eq!(profile.body["id"], helper_id);
    assert_eq!(profile.body["phone"], "13800138000");
    assert_eq!(profile.body["community_ids"], json!([c1]));
    assert_eq!(profile.body["status"], "active");
    assert_eq!(profile.body["rating_count"], 0);

    let twice = app
        .post(
            &format!("/admin/helper-applications/{id}/approve"),
            Some(&admin1),
            json!({}),
        )
        .await;
    assert_eq!(
        (twice.status.as_u16(), twice.code()),
        (409, "APPLICATION_ALREADY_REVIEWED")
    );
    let reject = app
        .post(
            &format!("/admin/helper-applications/{id}/reject"),
            Some(&admin1),
            json!({ "reason": "迟到" }),
        )
        .await;
    assert_eq!(reject.code(), "APPLICATION_ALREADY_REVIEWED");
    let r = apply(&app, &resident, &[c1]).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "ALREADY_HELPER"));
}

#[tokio::test]
async fn applications_are_validated_and_rejected_ones_may_apply_again() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (c1, _, _) = app.community_with_building(&platform, "甲").await;
    let admin = app.community_admin(&platform, &[c1]).await;
    let (resident, _, _) = app.resident("li").await;

    let r = app
        .post(
            "/helper-applications",
            Some(&resident),
            json!({ "display_name": " ", "skills": [], "community_ids": [], "phone": "12345" }),
        )
        .await;
    assert_eq!(r.status, 422);
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(
        fields,
        vec!["community_ids", "display_name", "phone", "skills"]
    );
    let r = app
        .post(
            "/helper-applications",
            Some(&resident),
            json!({ "display_name": "李师傅", "skills": ["炒股"], "community_ids": [c1, 9999], "phone": "010-12345678" }),
        )
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, vec!["community_ids", "skills"]);
    let r = app
        .post("/helper-applications", Some(&admin), json!({ "display_name": "管理员", "skills": ["家电维修"], "community_ids": [c1], "phone": "13800138000" }))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    let count: u64 = sea_orm::PaginatorTrait::count(
        <entity::helper_application::Entity as sea_orm::EntityTrait>::find(),
        &app.db,
    )
    .await
    .unwrap();
    assert_eq!(count, 0, "nothing was written");

    let first = apply(&app, &resident, &[c1]).await;
    let id = first.body["id"].as_i64().unwrap();
    let empty = app
        .post(
            &format!("/admin/helper-applications/{id}/reject"),
            Some(&admin),
            json!({ "reason": "" }),
        )
        .await;
    assert_eq!(empty.fields(), vec!["reason"]);
    let r = app
        .post(
            &format!("/admin/helper-applications/{id}/reject"),
            Some(&admin),
            json!({ "reason": "资质证明不清晰" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "rejected");
    assert_eq!(r.body["reject_reason"], "资质证明不清晰");
    let me = app.get("/me", Some(&resident)).await;
    assert_eq!(me.body["roles"], json!(["resident"]));
    let mine = app
        .get("/me/helper-applications?status=rejected", Some(&resident))
        .await;
    assert_eq!(mine.body["items"][0]["reject_reason"], "资质证明不清晰");

    let again = apply(&app, &resident, &[c1]).await;
    assert_eq!(again.status, 201, "{}", again.text);
    let q = app
        .get("/admin/helper-applications?status=pending", Some(&admin))
        .await;
    assert_eq!(q.body["total"], 1);
    assert_eq!(q.body["items"][0]["id"], again.body["id"]);
}

#[tokio::test]
async fn helpers_offer_services_within_their_skills_and_communities() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (c1, _, _) = app.community_with_building(&platform, "甲").await;
    let (c2, _, _) = app.community_with_building(&platform, "乙").await;
    let (helper, _, helper_id) = app
        .approved_helper(&platform, "h1", &[c1], &["家电维修", "上门理发"])
        .await;
    let (other, _, _) = app
        .approved_helper(&platform, "h2", &[c1, c2], &["家电维修"])
        .await;
    let (resident, _, _) = app.resident("r").await;

    let body = json!({ "category": "上门理发", "title": "老人上门理发", "description": "行动不便的老人优先",
                       "price": "0.00", "duration_minutes": 30, "community_ids": [c1] });
    let r = app
        .post("/helpers/me/services", Some(&resident), body.clone())
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    let r = app
        .post(
            "/helpers/me/services",
            Some(&helper),
            json!({ "category": "法律咨询", "title": "", "description": "x".repeat(2001),
                    "price": "1.001", "duration_minutes": 10, "community_ids": [c2] }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.fields(), vec!["price"], "a type error is reported first");
    let r = app
        .post(
            "/helpers/me/services",
            Some(&helper),
            json!({ "category": "法律咨询", "title": "", "description": "x".repeat(2001),
                    "price": "10.00", "duration_minutes": 10, "community_ids": [c2] }),
        )
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "category",
            "community_ids",
            "description",
            "duration_minutes",
            "title"
        ]
    );

    let r = app.post("/helpers/me/services", Some(&helper), body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["price"], "0.00");
    assert_eq!(r.body["helper_id"], helper_id);
    assert_eq!(
        r.body["helper"]["phone"], "139****9000",
        "masked in the catalog"
    );
    assert_eq!(r.body["rating_avg"], serde_json::Value::Null);
    assert_eq!(r.body["rating_count"], 0);
    let haircut = r.body["id"].as_i64().unwrap();
    let repair = app
        .offer_service(
            &other,
            json!({ "category": "家电维修", "title": "空调清洗", "price": "80.50",
                    "duration_minutes": 90, "community_ids": [c1, c2] }),
        )
        .await;

    let list = app.get(&format!("/services?community_id={c1}"), None).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.body["total"], 2);
    let list = app.get(&format!("/services?community_id={c2}"), None).await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0]["id"], repair);
    assert_eq!(list.body["items"][0]["price"], "80.50");
    let list = app
        .get(
            &format!("/services?community_id={c1}&category=上门理发"),
            None,
        )
        .await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0]["title"], "老人上门理发");
    let detail = app.get(&format!("/services/{haircut}"), None).await;
    assert_eq!(detail.body["duration_minutes"], 30);
    assert_eq!(detail.body["community_ids"], json!([c1]));
    let cats = app.get("/service-categories", None).await;
    assert!(cats.body.as_array().unwrap().contains(&json!("助浴陪护")));

    // Only the owner edits; another helper's service is 404.
    let r = app
        .patch(
            &format!("/services/{haircut}"),
            Some(&other),
            json!({ "title": "抢" }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "SERVICE_NOT_FOUND"));
    let r = app
        .patch(
            &format!("/services/{haircut}"),
            Some(&helper),
            json!({ "community_ids": [c2] }),
        )
        .await;
    assert_eq!(r.fields(), vec!["community_ids"]);
    let r = app
        .patch(
            &format!("/services/{haircut}"),
            Some(&helper),
            json!({ "title": "上门理发（老人）", "price": "5.00", "duration_minutes": 45 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let detail = app.get(&format!("/services/{haircut}"), None).await;
    assert_eq!(
        detail.body["title"], "上门理发（老人）",
        "cache was invalidated"
    );
    assert_eq!(detail.body["price"], "5.00");

    let r = app
        .patch(
            &format!("/services/{haircut}"),
            Some(&helper),
            json!({ "active": false }),
        )
        .await;
    assert_eq!(r.body["active"], false);
    let gone = app.get(&format!("/services/{haircut}"), None).await;
    assert_eq!(
        (gone.status.as_u16(), gone.code()),
        (404, "SERVICE_NOT_FOUND")
    );
    let list = app.get(&format!("/services?community_id={c1}"), None).await;
    assert_eq!(list.body["total"], 1);
    let own = app.get("/helpers/me/services", Some(&helper)).await;
    assert_eq!(
        own.body.as_array().unwrap().len(),
        1,
        "the owner still sees it"
    );
}

#[tokio::test]
async fn slots_are_validated_never_overlap_and_the_public_sees_free_future_ones() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (c1, _, b1) = app.community_with_building(&platform, "甲").await;
    let (helper, _, helper_id) = app
        .approved_helper(&platform, "h", &[c1], &["家政保洁"])
        .await;
    let service = app
        .offer_service(
            &helper,
            json!({ "category": "家政保洁", "title": "日常保洁", "price": "60.00",
                    "duration_minutes": 60, "community_ids": [c1] }),
        )
        .await;

    let post_slot = |starts: String, ends: String| {
        let app = &app;
        let helper = &helper;
        async move {
            app.post(
                "/helpers/me/slots",
                Some(helper),
                json!({ "starts_at": starts, "ends_at": ends }),
            )
            .await
        }
    };
    let (past_start, past_end) = slot_times(-2, 60);
    let r = post_slot(past_start, past_end).await;
    assert_eq!(r.fields(), vec!["starts_at"]);
    let (s, e) = slot_times(3, 14);
    assert_eq!(post_slot(s, e).await.fields(), vec!["ends_at"]);
    let (s, e) = slot_times(61 * 24, 60);
    assert_eq!(post_slot(s, e).await.fields(), vec!["ends_at"]);
    let (s, e) = slot_times(3, 60);
    let r = post_slot(e.clone(), s.clone()).await;
    assert_eq!(r.fields(), vec!["ends_at"], "ends before it starts");
    let (resident, _, _) = app.resident("r").await;
    let r = post_slot(s.clone(), e.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["booked"], false);
    assert_eq!(r.body["helper_id"], helper_id);
    let r = app
        .post(
            "/helpers/me/slots",
            Some(&resident),
            json!({ "starts_at": s, "ends_at": e }),
        )
        .await;
    assert_eq!(r.status, 403);

    // Overlaps: identical, inside, straddling; adjacent is fine.
    for (h, m) in [(3, 60), (3, 15)] {
        let (s, e) = slot_times(h, m);
        let r = post_slot(s, e).await;
        assert_eq!((r.status.as_u16(), r.code()), (409, "SLOT_OVERLAP"));
    }
    let (s2, _) = slot_times(2, 0);
    let (_, e2) = slot_times(3, 30);
    assert_eq!(post_slot(s2, e2).await.code(), "SLOT_OVERLAP");
    let adjacent = app.publish_slot(&helper, 4, 60).await;
    let short = app.publish_slot(&helper, 6, 30).await;

    let free = app.get(&format!("/services/{service}/slots"), None).await;
    assert_eq!(free.status, 200, "{}", free.text);
    let ids: Vec<i64> = free
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        2,
        "the 30-minute slot is too short for a 60-minute service"
    );
    assert!(ids.contains(&adjacent) && !ids.contains(&short));

    // A booked slot is no longer shown to the public, but the helper sees it.
    app.bind_building(&resident, b1).await;
    let r = app
        .post(
            "/bookings",
            Some(&resident),
            json!({ "service_id": service, "slot_id": adjacent, "address": "1号楼101", "contact_phone": "13700137000" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let free = app.get(&format!("/services/{service}/slots"), None).await;
    assert_eq!(free.body.as_array().unwrap().len(), 1);
    let mine = app.get("/helpers/me/slots", Some(&helper)).await;
    let booked: Vec<bool> = mine
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["booked"].as_bool().unwrap())
        .collect();
    assert_eq!(booked, vec![false, true, false]);

    // A window: slots starting in [from, to).
    let (from, _) = slot_times(4, 0);
    let (to, _) = slot_times(5, 0);
    let r = app
        .get(
            &format!("/helpers/me/slots?from={}&to={}", enc(&from), enc(&to)),
            Some(&helper),
        )
        .await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    let r = app
        .get(
            &format!(
                "/services/{service}/slots?from={}&to={}",
                enc(&to),
                enc(&from)
            ),
            None,
        )
        .await;
    // A reversed window is empty; a window wider than 60 days is cut to 60.
    assert_eq!((r.status.as_u16(), r.text.as_str()), (200, "[]"));
    // From 60 days ago less 5 hours to 90 days ahead: cut to the 60 days
    // after `from`, so it ends 5 hours from now (the slots at 3 and 4 hours).
    let (long_ago, _) = slot_times(-60 * 24 + 5, 0);
    let (far, _) = slot_times(90 * 24, 0);
    let r = app
        .get(
            &format!("/helpers/me/slots?from={}&to={}", enc(&long_ago), enc(&far)),
            Some(&helper),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body.as_array().unwrap().len(), 2, "{}", r.text);
    let r = app.get("/services/9999/slots", None).await;
    assert_eq!(r.code(), "SERVICE_NOT_FOUND");
}

fn enc(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn concurrent_overlapping_slot_publishes_create_exactly_one() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (c1, _, _) = app.community_with_building(&platform, "甲").await;
    let (helper, _, _) = app
        .approved_helper(&platform, "h", &[c1], &["家政保洁"])
        .await;
    let replies = join_all((0..10).map(|i| {
        let (s, e) = slot_times(5, 60 + i);
        let app = &app;
        let helper = &helper;
        async move {
            app.post(
                "/helpers/me/slots",
                Some(helper),
                json!({ "starts_at": s, "ends_at": e }),
            )
            .await
        }
    }))
    .await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let overlaps = replies
        .iter()
        .filter(|r| r.code() == "SLOT_OVERLAP")
        .count();
    assert_eq!(
        (created, overlaps),
        (1, 9),
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
}
