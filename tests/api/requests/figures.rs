//! The request figures, checked against a hand-counted set of requests.

use serde_json::{Value, json};

use super::desk;

/// Community A: four requests counted and one withdrawn; community B: one.
///
/// | request | category | submitted | accepted after | resolved after | on time | rating |
/// |---|---|---|---|---|---|---|
/// | r1 | 停电 (供电) | 09-21 10:00 | 2 h | 24 h | yes | 5 |
/// | r2 | 停电 (供水) | 09-21 11:00 | 4 h | 432 h (10-09, due 10-08) | no | 2 |
/// | r3 | 楼道杂物 (grid) | 09-21 09:00 | 0.5 h | 8 h | yes | 5, automatic |
/// | r4 | 邻里纠纷 (community) | 10-12 09:00 | 1 h | open | | |
/// | r5 | 停电 | 10-12 10:00 | withdrawn: not counted | | | |
#[tokio::test]
async fn figures_match_the_hand_counted_requests() {
    let d = desk().await;
    d.at("2026-09-21T09:00:00+08:00");
    let r3 = d.report(d.clutter).await;
    d.at("2026-09-21T09:30:00+08:00");
    d.ok(&d.worker, r3, "accept", json!({})).await;
    d.at("2026-09-21T10:00:00+08:00");
    let r1 = d.report(d.outage).await;
    d.at("2026-09-21T10:30:00+08:00");
    d.ok(&d.admin, r1, "assign", json!({})).await;
    d.at("2026-09-21T11:00:00+08:00");
    let r2 = d.report(d.outage).await;
    d.at("2026-09-21T11:30:00+08:00");
    d.ok(&d.admin, r2, "assign", json!({ "department_id": d.water }))
        .await;
    d.at("2026-09-21T12:00:00+08:00");
    d.ok(&d.power_staff, r1, "accept", json!({})).await;
    d.at("2026-09-21T15:00:00+08:00");
    d.ok(&d.water_staff, r2, "accept", json!({})).await;
    d.at("2026-09-21T17:00:00+08:00");
    d.ok(&d.worker, r3, "resolve", json!({ "note": "已清理" }))
        .await;
    d.at("2026-09-22T10:00:00+08:00");
    d.ok(&d.power_staff, r1, "resolve", json!({ "note": "已恢复" }))
        .await;
    d.ok(&d.resident, r1, "rate", json!({ "rating": 5 })).await;
    d.at("2026-09-23T17:00:00+08:00");
    assert_eq!(d.sweep().await.auto_rated, 1, "r3");
    d.at("2026-10-09T11:00:00+08:00");
    d.ok(&d.water_staff, r2, "resolve", json!({ "note": "已修复" }))
        .await;
    d.ok(
        &d.resident,
        r2,
        "rate",
        json!({ "rating": 2, "comment": "太慢" }),
    )
    .await;
    d.at("2026-10-12T09:00:00+08:00");
    let r4 = d.report(d.dispute).await;
    d.ok(&d.admin, r4, "assign", json!({ "level": "community" }))
        .await;
    d.at("2026-10-12T10:00:00+08:00");
    d.ok(&d.admin, r4, "accept", json!({})).await;
    let r5 = d.report(d.outage).await;
    d.ok(&d.resident, r5, "withdraw", json!({})).await;
    // Community B: one request, resolved.
    let (b, _, b_building) = d.app.community_with_building(&d.platform, "和平社区").await;
    let b_admin = d.app.community_admin(&d.platform, &[b]).await;
    let (b_resident, _, _) = d.app.resident("b-resident").await;
    d.app.bind_building(&b_resident, b_building).await;
    let r6 = d
        .report_as(&b_resident, d.outage, json!({ "building_id": b_building }))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    d.ok(&b_admin, r6, "assign", json!({})).await;
    d.ok(&d.power_staff, r6, "accept", json!({})).await;
    d.ok(&d.power_staff, r6, "resolve", json!({ "note": "已恢复" }))
        .await;

    let stats = |q: &str| {
        let path = format!("/admin/request-stats?{q}");
        let d = &d;
        async move {
            let r = d.app.get(&path, Some(&d.admin)).await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.body
        }
    };
    let all = stats("").await;
    assert_eq!(
        all["total"],
        json!({
            "received": 4, "closed": 3, "closure_rate": 75.0,
            "closed_on_time": 2, "on_time_rate": 66.7,
            "avg_hours_to_accept": 1.9, "avg_hours_to_resolve": 154.7,
            "rated": 3, "satisfied": 2, "satisfaction_rate": 66.7, "average_rating": 4.0
        })
    );
    assert_eq!(all["groups"], json!([]));

    let by_month = stats("by=month").await;
    let months: Vec<(Value, Value, Value, Value)> = by_month["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].clone(),
                g["figures"]["received"].clone(),
                g["figures"]["closure_rate"].clone(),
                g["figures"]["on_time_rate"].clone(),
            )
        })
        .collect();
    assert_eq!(
        months,
        vec![
            (json!("2026-09"), json!(3), json!(100.0), json!(66.7)),
            (json!("2026-10"), json!(1), json!(0.0), json!(null)),
        ]
    );

    let by_department = stats("by=department").await;
    let departments: Vec<(Value, Value, Value)> = by_department["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].clone(),
                g["figures"]["received"].clone(),
                g["figures"]["average_rating"].clone(),
            )
        })
        .collect();
    assert_eq!(
        departments,
        vec![
            (json!("未派至部门"), json!(2), json!(5.0)),
            (json!("供电所"), json!(1), json!(5.0)),
            (json!("自来水公司"), json!(1), json!(2.0)),
        ]
    );
    let by_category = stats("by=category").await;
    let categories: Vec<(Value, Value)> = by_category["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["name"].clone(), g["figures"]["received"].clone()))
        .collect();
    assert_eq!(
        categories,
        vec![
            (json!("停电"), json!(2)),
            (json!("楼道杂物"), json!(1)),
            (json!("邻里纠纷"), json!(1))
        ]
    );
    let october = stats("from=2026-10-01&to=2026-10-31").await;
    assert_eq!(october["total"]["received"], 1);
    assert_eq!(october["total"]["avg_hours_to_accept"], 1.0);
    let by_day = stats("by=day&to=2026-09-30").await;
    assert_eq!(by_day["groups"][0]["key"], "2026-09-21");
    assert_eq!(by_day["groups"][0]["figures"]["received"], 3);
    let water = stats(&format!("department_id={}", d.water)).await;
    assert_eq!(water["total"]["closed_on_time"], 0);

    // A reversed range is a range of no day: nothing counted.
    let reversed = stats("from=2026-10-02&to=2026-10-01&by=day").await;
    assert_eq!(reversed["total"]["received"], 0, "{reversed}");
    assert_eq!(reversed["groups"], serde_json::json!([]), "{reversed}");

    // Bad queries are 400.
    for q in ["from=2026-13-01", "from=1999-12-31", "by=year"] {
        let r = d
            .app
            .get(&format!("/admin/request-stats?{q}"), Some(&d.admin))
            .await;
        assert_eq!((r.status.as_u16(), r.code()), (400, "INVALID_QUERY"), "{q}");
    }

    // The platform sees both communities.
    let r = d
        .app
        .get("/admin/request-stats?by=community", Some(&d.platform))
        .await;
    let communities: Vec<(Value, Value)> = r.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["name"].clone(), g["figures"]["received"].clone()))
        .collect();
    assert_eq!(
        communities,
        vec![(json!("幸福社区"), json!(4)), (json!("和平社区"), json!(1))]
    );
    assert_eq!(r.body["total"]["closed"], 4);

    // The dashboard carries the same figures.
    let dash = d
        .app
        .get(
            &format!("/admin/stats?community_id={}", d.community),
            Some(&d.admin),
        )
        .await;
    assert_eq!(dash.status, 200, "{}", dash.text);
    assert_eq!(dash.body["requests"], all["total"]);
    let _ = (r5, r6);
}
