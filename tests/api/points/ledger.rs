//! Rule books, awards, caps, reversals, expiry, rank and totals.

use serde_json::json;

use super::town;

#[tokio::test]
async fn each_community_gets_the_default_rule_book_and_only_its_admins_edit_it() {
    let t = town().await;
    let app = &t.app;
    let r = app
        .get(
            &format!("/admin/points/rules?community_id={}", t.community),
            Some(&t.admin),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rules = r.body.as_array().expect("rules");
    // 32 default items and the town's own 1-point rule.
    assert_eq!(rules.len(), 33);
    let mut classes: Vec<&str> = rules.iter().filter_map(|r| r["class"].as_str()).collect();
    classes.sort_unstable();
    classes.dedup();
    assert_eq!(classes.len(), 9, "{classes:?}");
    assert!(rules.iter().any(|r| r["code"] == json!("wish_fulfilled")));

    let (other_c, _, _) = app.community_with_building(&t.platform, "别的社区").await;
    let other_admin = app.community_admin(&t.platform, &[other_c]).await;
    let denied = app
        .get(
            &format!("/admin/points/rules?community_id={}", t.community),
            Some(&other_admin),
        )
        .await;
    assert_eq!((denied.status.as_u16(), denied.code()), (403, "FORBIDDEN"));
    let patched = app
        .patch(
            &format!("/admin/points/rules/{}", t.unit_rule),
            Some(&other_admin),
            json!({ "points": 5 }),
        )
        .await;
    assert_eq!(
        (patched.status.as_u16(), patched.code()),
        (404, "POINT_RULE_NOT_FOUND")
    );
    let resident = app
        .post("/admin/points/rules", Some(&t.resident), json!({}))
        .await;
    assert_eq!(
        (resident.status.as_u16(), resident.code()),
        (403, "FORBIDDEN")
    );

    let bad = app
        .post(
            "/admin/points/rules",
            Some(&t.admin),
            json!({ "community_id": t.community, "class": "", "name": "x", "points": 0, "daily_cap": -1, "monthly_cap": null }),
        )
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (422, "VALIDATION_FAILED")
    );
    let mut fields = bad.fields();
    fields.sort();
    assert_eq!(fields, ["class", "daily_cap", "points"]);

    let ok = app
        .patch(
            &format!("/admin/points/rules/{}", t.unit_rule),
            Some(&t.admin),
            json!({ "points": 3, "daily_cap": 9, "active": false }),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(
        (
            ok.body["points"].clone(),
            ok.body["daily_cap"].clone(),
            ok.body["active"].clone()
        ),
        (json!(3), json!(9), json!(false))
    );
    let retired = app
        .post(
            "/points/awards",
            Some(&t.admin),
            json!({ "user_id": t.resident_id, "rule_id": t.unit_rule }),
        )
        .await;
    assert_eq!(
        (retired.status.as_u16(), retired.code()),
        (404, "POINT_RULE_NOT_FOUND")
    );
}

#[tokio::test]
async fn awards_name_their_rule_and_granter_and_reach_only_ones_own_residents() {
    let t = town().await;
    let app = &t.app;
    let by_worker = app
        .post(
            "/points/awards",
            Some(&t.worker),
            json!({ "user_id": t.resident_id, "rule_id": t.unit_rule, "hours": 1.5, "note": "楼道清扫" }),
        )
        .await;
    assert_eq!(by_worker.status, 201, "{}", by_worker.text);
    assert_eq!(by_worker.body["kind"], "earn");
    assert_eq!(by_worker.body["source"], "service");
    assert_eq!(by_worker.body["rule_id"], json!(t.unit_rule));
    assert_eq!(by_worker.body["rule_name"], "测试 · 每次一分");
    assert_eq!(by_worker.body["granted_by"], json!(t.worker_id));
    assert_eq!(by_worker.body["minutes"], 90);
    assert_eq!(t.balance(&t.resident).await, 1);

    // A resident elsewhere is beyond the worker's grid and this admin.
    let (oc, _, ob) = app.community_with_building(&t.platform, "远处").await;
    let (far, far_id, _) = app.resident("far-away").await;
    app.bind_building(&far, ob).await;
    for token in [&t.worker, &t.admin] {
        let r = app
            .post(
                "/points/awards",
                Some(token),
                json!({ "user_id": far_id, "rule_id": t.unit_rule }),
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (404, "USER_NOT_FOUND"),
            "{}",
            r.text
        );
    }
    // The town's rule is not the far community's.
    let far_admin = app.community_admin(&t.platform, &[oc]).await;
    let r = app
        .post(
            "/points/awards",
            Some(&far_admin),
            json!({ "user_id": far_id, "rule_id": t.unit_rule }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "POINT_RULE_NOT_FOUND"));
    let plain = app
        .post(
            "/points/awards",
            Some(&t.resident),
            json!({ "user_id": t.resident_id, "rule_id": t.unit_rule }),
        )
        .await;
    assert_eq!((plain.status.as_u16(), plain.code()), (403, "FORBIDDEN"));
    let bad = app
        .post("/points/awards", Some(&t.admin), json!({ "user_id": t.resident_id, "rule_id": t.unit_rule, "hours": 25, "note": "x".repeat(201) }))
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (422, "VALIDATION_FAILED")
    );
    let mut fields = bad.fields();
    fields.sort();
    assert_eq!(fields, ["hours", "note"]);
    assert_eq!(t.balance(&t.resident).await, 1);
    let inbox = app.get("/me/messages", Some(&t.resident)).await;
    assert!(inbox.text.contains("获得 1 积分"), "{}", inbox.text);
}

#[tokio::test]
async fn caps_per_day_and_month_hold() {
    let t = town().await;
    let app = &t.app;
    let rule = |day: i64, month: i64| json!({ "community_id": t.community, "class": "上限", "name": format!("{day}-{month}"), "points": 10, "daily_cap": day, "monthly_cap": month });
    let daily = app
        .post("/admin/points/rules", Some(&t.admin), rule(20, 1000))
        .await;
    let monthly = app
        .post("/admin/points/rules", Some(&t.admin), rule(1000, 30))
        .await;
    for (r, allowed) in [(daily, 2), (monthly, 3)] {
        assert_eq!(r.status, 201, "{}", r.text);
        for i in 0..=allowed {
            let a = app
                .post(
                    "/points/awards",
                    Some(&t.admin),
                    json!({ "user_id": t.resident_id, "rule_id": r.body["id"] }),
                )
                .await;
            if i < allowed {
                assert_eq!(a.status, 201, "{}", a.text);
            } else {
                assert_eq!((a.status.as_u16(), a.code()), (409, "POINTS_CAP_REACHED"));
            }
        }
    }
    assert_eq!(t.balance(&t.resident).await, 50);
    assert_eq!(t.ledger(&t.resident).await.len(), 5);
}

#[tokio::test]
async fn a_reversal_references_what_it_undoes_and_happens_once() {
    let t = town().await;
    let app = &t.app;
    t.give(t.resident_id, 30).await;
    let earn = t.ledger(&t.resident).await[0].clone();
    let path = format!("/admin/points/entries/{}/reverse", earn["id"]);
    let empty = app
        .post(&path, Some(&t.admin), json!({ "reason": "" }))
        .await;
    assert_eq!(
        (empty.status.as_u16(), empty.fields()),
        (422, vec!["reason".to_owned()])
    );
    let (oc, _, _) = app.community_with_building(&t.platform, "旁边").await;
    let stranger = app.community_admin(&t.platform, &[oc]).await;
    let r = app
        .post(&path, Some(&stranger), json!({ "reason": "误发" }))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "NOT_FOUND"));

    let rev = app
        .post(&path, Some(&t.admin), json!({ "reason": "误发" }))
        .await;
    assert_eq!(rev.status, 201, "{}", rev.text);
    assert_eq!(rev.body["kind"], "reverse");
    assert_eq!(rev.body["points"], -30);
    assert_eq!(rev.body["undoes_id"], earn["id"]);
    assert_eq!(t.balance(&t.resident).await, 0);
    let again = app
        .post(&path, Some(&t.admin), json!({ "reason": "误发" }))
        .await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "ALREADY_REVERSED")
    );
    let of_rev = app
        .post(
            &format!("/admin/points/entries/{}/reverse", rev.body["id"]),
            Some(&t.admin),
            json!({ "reason": "x" }),
        )
        .await;
    assert_eq!(
        (of_rev.status.as_u16(), of_rev.code()),
        (409, "INVALID_TRANSITION")
    );

    // Points already spent cannot be taken back: the balance never goes negative.
    t.give(t.resident_id, 10).await;
    let item = t.item(10, 5).await;
    let red = app
        .post(
            &format!("/shelf/items/{item}/redeem"),
            Some(&t.resident),
            json!({}),
        )
        .await;
    assert_eq!(red.status, 201, "{}", red.text);
    let earn2 = t
        .ledger(&t.resident)
        .await
        .into_iter()
        .find(|e| e["kind"] == "earn" && e["points"] == 10)
        .expect("earn");
    let short = app
        .post(
            &format!("/admin/points/entries/{}/reverse", earn2["id"]),
            Some(&t.admin),
            json!({ "reason": "误发" }),
        )
        .await;
    assert_eq!(
        (short.status.as_u16(), short.code()),
        (409, "INSUFFICIENT_POINTS")
    );
    assert_eq!(t.balance(&t.resident).await, 0);
    let sum: i64 = t
        .ledger(&t.resident)
        .await
        .iter()
        .map(|e| e["points"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 0);
}

#[tokio::test]
async fn old_points_expire_once_by_what_is_left_of_them() {
    let t = town().await;
    let app = &t.app;
    t.give(t.resident_id, 30).await;
    t.give(t.resident_id, 20).await;
    let item = t.item(40, 5).await;
    let red = app
        .post(
            &format!("/shelf/items/{item}/redeem"),
            Some(&t.resident),
            json!({}),
        )
        .await;
    assert_eq!(red.status, 201, "{}", red.text);
    // 10 left: the older earn (30) lapses by 10, the newer by nothing.
    let lapsed = yizhan::points::service::expire_due(&app.db, chrono::TimeDelta::zero())
        .await
        .expect("sweep");
    assert_eq!(lapsed, 2);
    assert_eq!(t.balance(&t.resident).await, 0);
    let ledger = t.ledger(&t.resident).await;
    let expiries: Vec<_> = ledger.iter().filter(|e| e["kind"] == "expire").collect();
    assert_eq!(expiries.len(), 2);
    assert_eq!(
        expiries
            .iter()
            .map(|e| e["points"].as_i64().unwrap())
            .sum::<i64>(),
        -10
    );
    assert!(expiries.iter().all(|e| e["undoes_id"].is_i64()));
    let again = yizhan::points::service::expire_due(&app.db, chrono::TimeDelta::zero())
        .await
        .expect("sweep");
    assert_eq!(again, 0);
}

#[tokio::test]
async fn ranks_and_totals_count_points_and_hours() {
    let t = town().await;
    let app = &t.app;
    let (n, n_id) = t.neighbour("rank-neighbour").await;
    t.give(t.resident_id, 30).await;
    t.give(n_id, 50).await;
    let r = app
        .get(
            &format!("/communities/{}/points/rank", t.community),
            Some(&t.resident),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["points_month"], json!({ "value": 30, "rank": 2 }));
    assert_eq!(r.body["points_all_time"], json!({ "value": 30, "rank": 2 }));
    assert_eq!(
        r.body["minutes_all_time"],
        json!({ "value": 60, "rank": 1 })
    );
    assert_eq!(r.body["top_month"][0]["user_id"], json!(n_id));
    let mine = app
        .get(
            &format!("/communities/{}/points/rank", t.community),
            Some(&n),
        )
        .await;
    assert_eq!(mine.body["points_month"], json!({ "value": 50, "rank": 1 }));
    let nobody = app
        .get(
            &format!("/communities/{}/points/rank", t.community),
            Some(&t.worker),
        )
        .await;
    assert_eq!(
        nobody.body["points_all_time"],
        json!({ "value": 0, "rank": null })
    );
    let missing = app
        .get("/communities/999999/points/rank", Some(&t.worker))
        .await;
    assert_eq!(missing.code(), "COMMUNITY_NOT_FOUND");

    let item = t.item(20, 5).await;
    let red = app
        .post(&format!("/shelf/items/{item}/redeem"), Some(&n), json!({}))
        .await;
    assert_eq!(red.status, 201, "{}", red.text);
    let totals = app.get("/admin/points/totals", Some(&t.admin)).await;
    assert_eq!(totals.status, 200, "{}", totals.text);
    assert_eq!(
        totals.body,
        json!([{ "community_id": t.community, "issued": 80, "spent": 20, "reversed": 0, "expired": 0, "outstanding": 60, "holders": 2 }])
    );
    let denied = app.get("/admin/points/totals", Some(&t.resident)).await;
    assert_eq!(denied.status, 403);
}
