//! The desk, the counter, and the monthly subsidy statement against a
//! hand-counted fixture; another community's admin sees none of it.

use serde_json::json;

use super::fixture;
use crate::support::Reply;

#[tokio::test]
async fn the_statement_matches_the_hand_counted_month() {
    let fix = fixture().await;
    let canteen = fix.canteen(json!({})).await;
    let cid = canteen["id"].as_i64().expect("canteen id");
    let lunch8 = fix.menu(&canteen, "2026-12-08", "lunch").await;
    let dinner8 = fix.menu(&canteen, "2026-12-08", "dinner").await;
    let lunch9 = fix.menu(&canteen, "2026-12-09", "lunch").await;
    let january = fix.menu(&canteen, "2027-01-04", "lunch").await;
    let (a, a_id) = fix.elder("a", "1950-01-01").await;
    let (b, _) = fix.elder("b", "1945-06-06").await;
    let (c, _) = fix.elder("c", "1960-01-01").await;
    let (d, _) = fix.resident("d").await; // 65 by their own word: no subsidy

    let ok = |r: crate::support::Reply| {
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["id"].as_i64().expect("booking id")
    };
    // A: three December meals at 3.00, and one in January (not in December's).
    let a_lunch = ok(fix
        .book(&a, lunch8.id, &[(lunch8.pork, 1), (lunch8.rice, 1)])
        .await);
    ok(fix.book(&a, dinner8.id, &[(dinner8.greens, 2)]).await);
    ok(fix.book(&a, lunch9.id, &[(lunch9.pork, 1)]).await);
    ok(fix.book(&a, january.id, &[(january.pork, 1)]).await);
    // B: the 8th's lunch cancelled (does not count), the 9th's lunch at 3.00.
    let b_cancelled = ok(fix.book(&b, lunch8.id, &[(lunch8.pork, 1)]).await);
    let r = fix
        .app
        .post(
            &format!("/meal-bookings/{b_cancelled}/cancel"),
            Some(&b),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    ok(fix
        .book(&b, lunch9.id, &[(lunch9.greens, 1), (lunch9.rice, 1)])
        .await);
    // C: rice alone on the 8th's dinner: subsidy 1.00 (never more than the meal).
    ok(fix.book(&c, dinner8.id, &[(dinner8.rice, 1)]).await);
    // D: full price, no subsidy.
    ok(fix
        .book(&d, lunch8.id, &[(lunch8.pork, 1), (lunch8.rice, 1)])
        .await);

    // Hand count, December: A 3 × 3.00, B 1 × 3.00, C 1 × 1.00.
    let r = fix
        .app
        .get(
            &format!("/admin/canteens/{cid}/subsidy?month=2026-12"),
            Some(&fix.admin),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({
            "canteen_id": cid,
            "canteen_name": "幸福食堂",
            "month": "2026-12",
            "meals": 5,
            "persons": 3,
            "subsidy_total": "13.00",
            "days": [
                { "date": "2026-12-08", "meals": 3, "subsidy": "7.00" },
                { "date": "2026-12-09", "meals": 2, "subsidy": "6.00" },
            ],
        })
    );
    let jan = fix
        .app
        .get(
            &format!("/admin/canteens/{cid}/subsidy?month=2027-01"),
            Some(&fix.admin),
        )
        .await;
    assert_eq!(
        (
            jan.body["meals"].as_i64(),
            jan.body["subsidy_total"].as_str()
        ),
        (Some(1), Some("3.00"))
    );

    // The CSV: a line per subsidised meal (day, meal, booking order), then totals.
    let csv = fix
        .app
        .send(
            fix.app
                .client
                .get(
                    fix.app
                        .url(&format!("/admin/canteens/{cid}/subsidy?month=2026-12")),
                )
                .bearer_auth(&fix.admin)
                .header("accept", "text/csv"),
        )
        .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv"),
        "{:?}",
        csv.headers
    );
    let lines: Vec<Vec<&str>> = csv.text.lines().map(|l| l.split(',').collect()).collect();
    let cells = |i: usize, cols: &[usize]| cols.iter().map(|c| lines[i][*c]).collect::<Vec<_>>();
    assert_eq!(lines.len(), 7, "{}", csv.text);
    assert_eq!(
        lines[0],
        ["日期", "餐次", "居民ID", "姓名", "补贴(元)", "订餐编号"]
    );
    assert_eq!(
        cells(1, &[0, 1, 3, 4]),
        ["2026-12-08", "晚餐", "居民a", "3.00"]
    );
    assert_eq!(
        cells(2, &[0, 1, 3, 4]),
        ["2026-12-08", "晚餐", "居民c", "1.00"]
    );
    assert_eq!(
        cells(3, &[0, 1, 3, 4]),
        ["2026-12-08", "午餐", "居民a", "3.00"]
    );
    assert_eq!(lines[3][2], a_id.to_string());
    assert_eq!(lines[3][5], a_lunch.to_string());
    assert_eq!(
        cells(4, &[0, 1, 3, 4]),
        ["2026-12-09", "午餐", "居民a", "3.00"]
    );
    assert_eq!(
        cells(5, &[0, 1, 3, 4]),
        ["2026-12-09", "午餐", "居民b", "3.00"]
    );
    assert_eq!(
        lines[6],
        ["合计 幸福食堂 2026-12", "5 餐", "3 人", "", "13.00", ""]
    );
    let by_query = fix
        .app
        .get(
            &format!("/admin/canteens/{cid}/subsidy?month=2026-12&format=csv"),
            Some(&fix.admin),
        )
        .await;
    assert_eq!(by_query.text, csv.text);

    let bad = fix
        .app
        .get(
            &format!("/admin/canteens/{cid}/subsidy?month=2026-13"),
            Some(&fix.admin),
        )
        .await;
    assert_eq!((bad.status.as_u16(), bad.code()), (400, "INVALID_QUERY"));
}

#[tokio::test]
async fn the_desk_counts_dishes_and_the_counter_marks_paid() {
    let fix = fixture().await;
    let canteen = fix.canteen(json!({})).await;
    let lunch = fix.menu(&canteen, "2026-12-08", "lunch").await;
    let (a, _) = fix.elder("a", "1950-01-01").await;
    let (b, _) = fix.resident("b").await;
    let (c, _) = fix.resident("c").await;
    let r = fix
        .book(&a, lunch.id, &[(lunch.pork, 1), (lunch.rice, 2)])
        .await;
    let a_booking = r.body["id"].as_i64().expect("id");
    fix.book(&b, lunch.id, &[(lunch.pork, 2), (lunch.greens, 1)])
        .await;
    let r = fix.book(&c, lunch.id, &[(lunch.greens, 3)]).await;
    let c_booking = r.body["id"].as_i64().expect("id");
    fix.app
        .post(
            &format!("/meal-bookings/{c_booking}/cancel"),
            Some(&c),
            json!({}),
        )
        .await;

    let desk = fix
        .app
        .get(
            &format!("/admin/canteen-meals/{}/desk", lunch.id),
            Some(&fix.admin),
        )
        .await;
    assert_eq!(desk.status, 200, "{}", desk.text);
    assert_eq!(desk.body["booked"], 2);
    assert_eq!(
        desk.body["counts"],
        json!([
            { "dish_id": lunch.pork, "name": "红烧肉", "quantity": 3 },
            { "dish_id": lunch.greens, "name": "青菜", "quantity": 1 },
            { "dish_id": lunch.rice, "name": "米饭", "quantity": 2 },
        ])
    );
    assert_eq!(desk.body["roster"][0]["amount"], "7.00");

    let paid = format!("/admin/meal-bookings/{a_booking}/paid");
    let r = fix.app.post(&paid, Some(&fix.admin), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["paid_at"], "2026-12-07T00:00:00Z");
    let r = fix.app.post(&paid, Some(&fix.admin), json!({})).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "INVALID_TRANSITION"));
    // A booked menu cannot be replaced.
    let r = fix
        .put(
            &format!("/admin/canteens/{}/menus", canteen["id"]),
            &fix.admin,
            json!({ "date": "2026-12-08", "meal": "lunch", "dishes": [{ "name": "饺子", "price": "6.00" }] }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "MENU_LOCKED"));
}

#[tokio::test]
async fn another_communitys_admin_sees_nothing_of_the_canteen() {
    let fix = fixture().await;
    let canteen = fix.canteen(json!({})).await;
    let cid = canteen["id"].as_i64().expect("canteen id");
    let lunch = fix.menu(&canteen, "2026-12-08", "lunch").await;
    let (a, _) = fix.elder("a", "1950-01-01").await;
    let booking = fix.book(&a, lunch.id, &[(lunch.pork, 1)]).await.body["id"].clone();
    let (other, _, _) = fix
        .app
        .community_with_building(&fix.platform, "别的社区")
        .await;
    let outsider = fix.app.community_admin(&fix.platform, &[other]).await;

    let menu = json!({ "date": "2026-12-09", "meal": "lunch", "dishes": [{ "name": "饺子", "price": "6.00" }] });
    for r in [
        fix.app
            .get(
                &format!("/admin/canteens/{cid}/subsidy?month=2026-12"),
                Some(&outsider),
            )
            .await,
        fix.app
            .get(
                &format!("/admin/canteen-meals/{}/desk", lunch.id),
                Some(&outsider),
            )
            .await,
        fix.put(
            &format!("/admin/canteens/{cid}/menus"),
            &outsider,
            menu.clone(),
        )
        .await,
        fix.app
            .post(
                &format!("/admin/meal-bookings/{booking}/paid"),
                Some(&outsider),
                json!({}),
            )
            .await,
    ] {
        assert_eq!(r.status, 404, "{}", r.text);
    }
    // Opening a canteen in (or serving) a community it does not run: 403.
    let body = json!({ "community_id": fix.community, "name": "越权食堂", "place": "x",
        "weekdays": [1], "meal_times": [{ "meal": "lunch", "serves_at": "11:30" }], "capacity_per_meal": 10 });
    let r = fix
        .app
        .post("/admin/canteens", Some(&outsider), body.clone())
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let mut wider = body.clone();
    wider["community_ids"] = json!([fix.community, other]);
    let r = fix
        .app
        .post("/admin/canteens", Some(&fix.admin), wider)
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    // A resident gets 403 before any validation.
    assert_eq!(
        fix.app
            .post("/admin/canteens", Some(&a), json!({}))
            .await
            .status,
        403
    );

    // Every bad field of a canteen is named at once.
    let r = fix
        .app
        .post(
            "/admin/canteens",
            Some(&fix.admin),
            json!({ "community_id": fix.community, "name": "", "place": "x", "weekdays": [0],
                    "meal_times": [{ "meal": "lunch", "serves_at": "1130" }], "capacity_per_meal": 0 }),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.fields(),
        [
            "name",
            "weekdays",
            "meal_times[0].serves_at",
            "capacity_per_meal"
        ]
    );

    // A menu for a day the canteen is closed, or a past meal: 422; nothing published.
    let weekdays_only = fix
        .canteen(json!({ "name": "工作日食堂", "weekdays": [1, 2, 3, 4, 5] }))
        .await;
    let r = fix
        .put(
            &format!("/admin/canteens/{}/menus", weekdays_only["id"]),
            &fix.admin,
            json!({ "date": "2026-12-12", "meal": "breakfast", "dishes": [] }),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.fields(), ["date", "meal", "dishes"]);
    let menus = fix
        .app
        .get(
            &format!(
                "/canteens/{}/menus?from=2026-12-07&to=2026-12-31",
                weekdays_only["id"]
            ),
            None,
        )
        .await;
    assert_eq!(menus.body, json!([]));
    // A span longer than 31 days is cut to its first 31; `to` before `from`
    // covers no day; a date that is no date is 400.
    let dates = |r: &Reply| -> Vec<String> {
        r.body
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| m["date"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let menus_over = |q: &'static str| {
        let app = &fix.app;
        async move { app.get(&format!("/canteens/{cid}/menus?{q}"), None).await }
    };
    let r = menus_over("from=2026-12-01&to=2027-01-31").await;
    assert_eq!(
        (r.status.as_u16(), dates(&r)),
        (200, vec!["2026-12-08".to_owned()])
    );
    let r = menus_over("from=2026-11-01&to=2027-01-31").await;
    assert_eq!(
        (r.status.as_u16(), dates(&r)),
        (200, vec![]),
        "cut at 2026-12-01"
    );
    let r = menus_over("from=2026-12-09&to=2026-12-01").await;
    assert_eq!((r.status.as_u16(), dates(&r)), (200, vec![]));
    let r = menus_over("from=2026-12-01&to=2026-13-01").await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "INVALID_QUERY"));
}

#[tokio::test]
async fn the_dashboard_counts_meals_served_and_their_subsidy() {
    let fix = fixture().await;
    // A week before the fixture's Monday: the meal below is long served by
    // the dashboard's (wall-clock) time.
    fix.app
        .state
        .clock
        .set(super::monday_morning() - chrono::TimeDelta::days(7));
    let canteen = fix.canteen(json!({})).await;
    let lunch = fix.menu(&canteen, "2026-12-01", "lunch").await;
    let (a, _) = fix.elder("a", "1950-01-01").await;
    let (b, _) = fix.resident("b").await;
    let (c, _) = fix.resident("c").await;
    assert_eq!(fix.book(&a, lunch.id, &[(lunch.pork, 1)]).await.status, 201);
    assert_eq!(fix.book(&b, lunch.id, &[(lunch.rice, 1)]).await.status, 201);
    let r = fix.book(&c, lunch.id, &[(lunch.rice, 1)]).await;
    let cancelled = r.body["id"].as_i64().expect("id");
    let r = fix
        .app
        .post(
            &format!("/meal-bookings/{cancelled}/cancel"),
            Some(&c),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let stats = fix
        .app
        .get(
            &format!("/admin/stats?community_id={}", fix.community),
            Some(&fix.admin),
        )
        .await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    assert_eq!(stats.body["canteen_meals_served"], 2);
    assert_eq!(stats.body["canteen_subsidy_total"], "3.00");
}
