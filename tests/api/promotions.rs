//! Promotions: the owner's offers, residents' view of running ones, the
//! ownership rules, and a cache that never outlives a start or an end.

use chrono::{Duration, Utc};
use serde_json::json;

use crate::support::{Reply, SharedMarket, shared_market, spawn_app, spawn_app_with};

fn ids(r: &Reply) -> Vec<i64> {
    r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.text))
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

fn window(from_secs: i64, to_secs: i64) -> (String, String) {
    let now = Utc::now();
    (
        (now + Duration::seconds(from_secs)).to_rfc3339(),
        (now + Duration::seconds(to_secs)).to_rfc3339(),
    )
}

#[tokio::test]
async fn residents_see_running_promotions_of_merchants_serving_their_community() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (c1, _, b1) = app.community_with_building(&platform, "甲社区").await;
    let (c2, _, _) = app.community_with_building(&platform, "乙社区").await;
    let (m1, t1) = app.approved_merchant(&platform, &[c1], "p-a").await;
    let (m2, t2) = app.approved_merchant(&platform, &[c2], "p-b").await;
    let create = |token: String, mid: i64, title: &str, from: i64, to: i64| {
        let app = &app;
        let (starts_at, ends_at) = window(from, to);
        let body = json!({ "title": title, "description": "到店出示", "starts_at": starts_at, "ends_at": ends_at });
        async move {
            app.post(&format!("/merchants/{mid}/promotions"), Some(&token), body)
                .await
        }
    };
    let running = create(t1.clone(), m1, "满30减5", -3600, 86400).await;
    assert_eq!(running.status, 201, "{}", running.text);
    assert_eq!(running.body["merchant_id"], m1);
    assert_eq!(running.body["merchant_name"], "p-a的店");
    assert_eq!(running.body["title"], "满30减5");
    assert_eq!(running.body["description"], "到店出示");
    assert!(running.body["starts_at"].is_string() && running.body["ends_at"].is_string());
    let soon_ending = create(t1.clone(), m1, "今日特价", -60, 3600).await;
    let upcoming = create(t1.clone(), m1, "下周活动", 7 * 86400, 8 * 86400).await;
    assert_eq!(upcoming.status, 201);
    let elsewhere = create(t2.clone(), m2, "乙社区专享", -60, 86400).await;
    let id = |r: &Reply| r.body["id"].as_i64().unwrap();

    let list = app
        .get(&format!("/promotions?community_id={c1}"), None)
        .await;
    assert_eq!(list.status, 200);
    // Running only, ending soonest first.
    assert_eq!(ids(&list), vec![id(&soon_ending), id(&running)]);
    assert_eq!(list.body["total"], 2);
    assert_eq!(
        ids(&app
            .get(&format!("/promotions?community_id={c2}"), None)
            .await),
        vec![id(&elsewhere)]
    );
    assert_eq!(
        ids(&app
            .get(&format!("/promotions?merchant_id={m2}"), None)
            .await),
        vec![id(&elsewhere)]
    );
    assert_eq!(app.get("/promotions", None).await.body["total"], 3);
    let paged = app
        .get(
            &format!("/promotions?community_id={c1}&page=2&page_size=1"),
            None,
        )
        .await;
    assert_eq!(
        (ids(&paged), paged.body["total"].as_i64()),
        (vec![id(&running)], Some(2))
    );

    // A logged-in resident without community_id sees their own community's.
    let (resident, _, _) = app.resident("neighbour").await;
    app.patch("/me", Some(&resident), json!({ "building_id": b1 }))
        .await;
    assert_eq!(
        ids(&app.get("/promotions", Some(&resident)).await),
        vec![id(&soon_ending), id(&running)]
    );

    // The owner sees all of theirs, upcoming included; others may not.
    let own = app
        .get(&format!("/merchants/{m1}/promotions"), Some(&t1))
        .await;
    assert_eq!(own.body["total"], 3);
    assert_eq!(
        app.get(&format!("/merchants/{m1}/promotions"), Some(&t2))
            .await
            .status,
        403
    );
    assert_eq!(
        app.get(&format!("/merchants/{m1}/promotions"), None)
            .await
            .status,
        401
    );

    for bad in ["community_id=x", "page_size=0"] {
        let r = app.get(&format!("/promotions?{bad}"), None).await;
        assert_eq!((r.status.as_u16(), r.code()), (400, "INVALID_QUERY"));
    }
}

#[tokio::test]
async fn promotion_rules_and_ownership() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "甲社区").await;
    let (mid, owner) = app.approved_merchant(&platform, &[cid], "own").await;
    let (_, rival) = app.approved_merchant(&platform, &[cid], "rival").await;
    let (resident, _, _) = app.resident("r").await;
    let path = format!("/merchants/{mid}/promotions");

    let (s, e) = window(3600, 60);
    let r = app
        .post(
            &path,
            Some(&owner),
            json!({ "title": "", "description": "x".repeat(501), "starts_at": s, "ends_at": e }),
        )
        .await;
    assert_eq!(r.status, 422);
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["description", "ends_at", "title"]);
    let (s, e) = window(-7200, -3600);
    let r = app
        .post(
            &path,
            Some(&owner),
            json!({ "title": "已结束", "starts_at": s, "ends_at": e }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["ends_at".to_owned()])
    );
    let (s, e) = window(0, 367 * 86400);
    let r = app
        .post(
            &path,
            Some(&owner),
            json!({ "title": "太长", "starts_at": s, "ends_at": e }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["ends_at".to_owned()])
    );
    let r = app
        .post(
            &path,
            Some(&owner),
            json!({ "title": "t", "starts_at": "tomorrow", "ends_at": e }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["starts_at".to_owned()])
    );
    let r = app
        .post(
            &path,
            Some(&owner),
            json!({ "title": "x".repeat(61), "starts_at": s, "ends_at": s }),
        )
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["ends_at", "title"]);
    assert_eq!(app.get(&path, Some(&owner)).await.body["total"], 0);

    let (s, e) = window(-60, 86400);
    let body = json!({ "title": "第二件半价", "starts_at": s, "ends_at": e });
    for token in [&rival, &resident, &platform] {
        let r = app.post(&path, Some(token), body.clone()).await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    }
    assert_eq!(app.post(&path, None, body.clone()).await.status, 401);
    let r = app
        .post("/merchants/999999/promotions", Some(&owner), body.clone())
        .await;
    assert_eq!(r.code(), "MERCHANT_NOT_FOUND");

    let running = app.post(&path, Some(&owner), body).await;
    assert_eq!(running.status, 201);
    let running = running.body["id"].as_i64().unwrap();
    let (s, e) = window(86400, 2 * 86400);
    let upcoming = app
        .post(
            &path,
            Some(&owner),
            json!({ "title": "明日", "starts_at": s, "ends_at": e }),
        )
        .await;
    let upcoming = upcoming.body["id"].as_i64().unwrap();
    let list = format!("/promotions?community_id={cid}");
    assert_eq!(ids(&app.get(&list, None).await), vec![running]);

    // Someone else's running promotion is 403; one the public cannot see is 404.
    for token in [&rival, &resident] {
        let r = app
            .delete(&format!("/promotions/{running}"), Some(token))
            .await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
        let r = app
            .delete(&format!("/promotions/{upcoming}"), Some(token))
            .await;
        assert_eq!((r.status.as_u16(), r.code()), (404, "PROMOTION_NOT_FOUND"));
    }
    assert_eq!(
        app.delete(&format!("/promotions/{running}"), None)
            .await
            .status,
        401
    );
    assert_eq!(app.get(&list, None).await.body["total"], 1);

    let r = app
        .delete(&format!("/promotions/{running}"), Some(&owner))
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(app.get(&list, None).await.body["total"], 0);
    let again = app
        .delete(&format!("/promotions/{running}"), Some(&owner))
        .await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (404, "PROMOTION_NOT_FOUND")
    );
    assert_eq!(
        app.get(&format!("/merchants/{mid}/promotions"), Some(&owner))
            .await
            .body["total"],
        1
    );
}

/// The cached list never outlives the moment a promotion starts or ends.
#[tokio::test]
async fn a_promotion_appears_and_disappears_on_time_despite_the_cache() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "甲社区").await;
    let (mid, owner) = app.approved_merchant(&platform, &[cid], "timely").await;
    let (s, e) = window(2, 6);
    let r = app
        .post(
            &format!("/merchants/{mid}/promotions"),
            Some(&owner),
            json!({ "title": "限时秒杀", "starts_at": s, "ends_at": e }),
        )
        .await;
    assert_eq!(r.status, 201);
    let list = format!("/promotions?community_id={cid}");
    assert_eq!(app.get(&list, None).await.body["total"], 0);
    tokio::time::sleep(std::time::Duration::from_millis(3000)).await;
    assert_eq!(app.get(&list, None).await.body["total"], 1);
    tokio::time::sleep(std::time::Duration::from_millis(3600)).await;
    assert_eq!(app.get(&list, None).await.body["total"], 0);
}

#[tokio::test]
async fn promotion_writes_on_one_instance_invalidate_the_other_instances_cache() {
    let Some(SharedMarket {
        a,
        b,
        platform,
        community_id: cid,
        merchant_id: mid,
        owner,
    }) = shared_market("shared-promo").await
    else {
        return;
    };
    let list = format!("/promotions?community_id={cid}");
    assert_eq!(b.get(&list, None).await.body["total"], 0);
    let (s, e) = window(-60, 86400);
    let r = a
        .post(
            &format!("/merchants/{mid}/promotions"),
            Some(&owner),
            json!({ "title": "新店开业", "starts_at": s, "ends_at": e }),
        )
        .await;
    let pid = r.body["id"].as_i64().unwrap();
    assert_eq!(b.get(&list, None).await.body["total"], 1);
    a.post(
        &format!("/admin/merchants/{mid}/suspend"),
        Some(&platform),
        json!({}),
    )
    .await;
    assert_eq!(b.get(&list, None).await.body["total"], 0);
    a.post(
        &format!("/admin/merchants/{mid}/reinstate"),
        Some(&platform),
        json!({}),
    )
    .await;
    assert_eq!(b.get(&list, None).await.body["total"], 1);
    assert_eq!(
        a.delete(&format!("/promotions/{pid}"), Some(&owner))
            .await
            .status,
        204
    );
    assert_eq!(b.get(&list, None).await.body["total"], 0);
}

#[tokio::test]
async fn promotions_are_served_with_redis_unreachable() {
    let app = spawn_app_with(|s| {
        s.redis.url = Some("redis://127.0.0.1:1".to_owned().into());
    })
    .await;
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "无缓存社区").await;
    let (mid, owner) = app.approved_merchant(&platform, &[cid], "no-redis").await;
    let (s, e) = window(-60, 86400);
    let r = app
        .post(
            &format!("/merchants/{mid}/promotions"),
            Some(&owner),
            json!({ "title": "特惠", "starts_at": s, "ends_at": e }),
        )
        .await;
    assert_eq!(r.status, 201);
    let list = format!("/promotions?community_id={cid}");
    assert_eq!(app.get(&list, None).await.body["total"], 1);
    let pid = r.body["id"].as_i64().unwrap();
    app.delete(&format!("/promotions/{pid}"), Some(&owner))
        .await;
    assert_eq!(app.get(&list, None).await.body["total"], 0);
}
