//! Booking: the subsidy rules, races for one elder and for the places, the
//! cut-off, 代办 by grid workers, delivery.

use chrono::TimeDelta;
use reqwest::StatusCode;
use serde_json::json;

use super::{Fix, fixture};

#[tokio::test]
async fn only_a_verified_sixty_plus_elder_gets_the_subsidy() {
    let fix = fixture().await;
    let canteen = fix.canteen(json!({})).await;
    let lunch = fix.menu(&canteen, "2026-12-08", "lunch").await;

    // Verified 76: 8.00 + 1.00 less the default 3.00.
    let (elder, elder_id) = fix.elder("elder76", "1950-03-01").await;
    let r = fix
        .book(&elder, lunch.id, &[(lunch.pork, 1), (lunch.rice, 1)])
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["user_id"], elder_id);
    assert_eq!(r.body["dishes_total"], "9.00");
    assert_eq!(r.body["subsidy"], "3.00");
    assert_eq!(r.body["amount"], "6.00");
    assert_eq!(r.body["status"], "booked");
    assert_eq!(r.body["pay_method"], "counter");
    assert_eq!(r.body["paid_at"], serde_json::Value::Null);

    // 65 by their own word only (no verified birth date): full price.
    let (unverified, _) = fix.resident("says65").await;
    let r = fix
        .book(&unverified, lunch.id, &[(lunch.pork, 1), (lunch.rice, 1)])
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.body["subsidy"].as_str(), r.body["amount"].as_str()),
        (Some("0.00"), Some("9.00"))
    );

    // Verified, turning 60 the day after the meal: full price.
    let (young, _) = fix.elder("almost60", "1966-12-09").await;
    let r = fix
        .book(&young, lunch.id, &[(lunch.pork, 1), (lunch.rice, 1)])
        .await;
    assert_eq!(r.body["subsidy"], "0.00", "{}", r.text);

    // The community's own rate, and never below 0: rice alone (1.00) costs nothing.
    let r = fix
        .put(
            &format!("/admin/communities/{}/canteen-subsidy", fix.community),
            &fix.admin,
            json!({ "subsidy_per_meal": "4.50" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (second, _) = fix.elder("elder80", "1946-01-01").await;
    let r = fix.book(&second, lunch.id, &[(lunch.pork, 2)]).await;
    assert_eq!(
        (r.body["subsidy"].as_str(), r.body["amount"].as_str()),
        (Some("4.50"), Some("11.50"))
    );
    let (third, _) = fix.elder("elder70", "1956-05-05").await;
    let r = fix.book(&third, lunch.id, &[(lunch.rice, 1)]).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.body["subsidy"].as_str(), r.body["amount"].as_str()),
        (Some("1.00"), Some("0.00"))
    );

    // Bad choices are all named; nothing is booked.
    let (other, _) = fix.elder("elder90", "1936-01-01").await;
    let r = fix
        .book(
            &other,
            lunch.id,
            &[(lunch.pork, 0), (999_999, 1), (lunch.pork, 1)],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.fields(),
        [
            "dishes[0].quantity",
            "dishes[1].dish_id",
            "dishes[2].dish_id"
        ]
    );
    let menus = fix
        .app
        .get(
            &format!(
                "/canteens/{}/menus?from=2026-12-08&to=2026-12-08",
                canteen["id"]
            ),
            None,
        )
        .await;
    assert_eq!(menus.status, 200, "{}", menus.text);
    assert_eq!(menus.body[0]["taken"], 5);
    // Online payment where WeChat Pay is not enabled: an honest 503, nothing taken.
    let r = fix
        .book_with(
            &other,
            lunch.id,
            &[(lunch.rice, 1)],
            json!({ "pay_method": "online" }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (503, "PAYMENT_PROVIDER_UNAVAILABLE")
    );
}

#[tokio::test]
async fn one_subsidised_meal_per_meal_time_under_concurrency() {
    let fix = fixture().await;
    let canteen = fix.canteen(json!({})).await;
    let lunch = fix.menu(&canteen, "2026-12-08", "lunch").await;
    let (elder, _) = fix.elder("racer", "1950-03-01").await;

    // Ten bookings of one elder for the same lunch at once: one booking.
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (fix, elder) = (fix.clone(), elder.clone());
        tasks.push(tokio::spawn(async move {
            fix.book(&elder, lunch.id, &[(lunch.pork, 1)]).await
        }));
    }
    let (mut created, mut refused) = (0, 0);
    for t in tasks {
        let r = t.await.expect("task");
        match r.status {
            StatusCode::CREATED => {
                created += 1;
                assert_eq!(r.body["subsidy"], "3.00");
            }
            StatusCode::CONFLICT => {
                assert_eq!(r.code(), "MEAL_ALREADY_BOOKED", "{}", r.text);
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!((created, refused), (1, 9));

    // The same lunch at four canteens at once: four meals, one subsidised.
    let mut meals = Vec::new();
    for i in 0..4 {
        let c = fix.canteen(json!({ "name": format!("第{i}食堂") })).await;
        meals.push(fix.menu(&c, "2026-12-09", "lunch").await);
    }
    let mut tasks = Vec::new();
    for m in meals.clone() {
        let (fix, elder) = (fix.clone(), elder.clone());
        tasks.push(tokio::spawn(async move {
            fix.book(&elder, m.id, &[(m.pork, 1)]).await
        }));
    }
    let mut subsidies = Vec::new();
    for t in tasks {
        let r = t.await.expect("task");
        assert_eq!(r.status, 201, "{}", r.text);
        subsidies.push(r.body["subsidy"].as_str().unwrap_or("").to_owned());
    }
    subsidies.sort();
    assert_eq!(subsidies, ["0.00", "0.00", "0.00", "3.00"]);

    // Dinner the same day is another meal time: subsidised again.
    let dinner = fix.menu(&canteen, "2026-12-09", "dinner").await;
    let r = fix.book(&elder, dinner.id, &[(dinner.greens, 1)]).await;
    assert_eq!(
        (r.status.as_u16(), r.body["subsidy"].as_str()),
        (201, Some("2.50"))
    );
}

#[tokio::test]
async fn places_never_run_over_and_a_cancellation_frees_one() {
    let fix = fixture().await;
    let canteen = fix.canteen(json!({ "capacity_per_meal": 5 })).await;
    let lunch = fix.menu(&canteen, "2026-12-08", "lunch").await;
    let mut residents = Vec::new();
    for i in 0..20 {
        residents.push(fix.resident(&format!("diner{i}")).await);
    }
    let mut tasks = Vec::new();
    for (token, _) in residents.clone() {
        let fix = fix.clone();
        tasks.push(tokio::spawn(async move {
            fix.book(&token, lunch.id, &[(lunch.rice, 1)]).await
        }));
    }
    let mut booked = Vec::new();
    let mut full = 0;
    for t in tasks {
        let r = t.await.expect("task");
        match r.status {
            StatusCode::CREATED => booked.push(r.body["id"].as_i64().expect("id")),
            StatusCode::CONFLICT => {
                assert_eq!(r.code(), "SESSION_FULL", "{}", r.text);
                full += 1;
            }
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!((booked.len(), full), (5, 15));
    let desk = fix
        .app
        .get(
            &format!("/admin/canteen-meals/{}/desk", lunch.id),
            Some(&fix.admin),
        )
        .await;
    assert_eq!(desk.status, 200, "{}", desk.text);
    assert_eq!(desk.body["booked"], 5);
    assert_eq!(desk.body["roster"].as_array().map(Vec::len), Some(5));

    // Whoever booked cancels: the place is free for the next one.
    let mine = fix
        .app
        .get("/me/meal-bookings", Some(&residents[0].0))
        .await;
    let (token, id) = match mine.body["items"][0]["id"].as_i64() {
        Some(id) => (residents[0].0.clone(), id),
        None => {
            // residents[0] lost the race: find a winner through the roster.
            let uid = desk.body["roster"][0]["user_id"].as_i64().expect("uid");
            let token = residents
                .iter()
                .find(|(_, u)| *u == uid)
                .map(|(t, _)| t.clone())
                .expect("winner");
            (token, desk.body["roster"][0]["id"].as_i64().expect("id"))
        }
    };
    let r = fix
        .app
        .post(
            &format!("/meal-bookings/{id}/cancel"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "cancelled");
    let again = fix
        .app
        .post(
            &format!("/meal-bookings/{id}/cancel"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "INVALID_TRANSITION")
    );
    let (late, _) = fix.resident("late").await;
    let r = fix.book(&late, lunch.id, &[(lunch.rice, 1)]).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = fix
        .book(&fix.resident("later").await.0, lunch.id, &[(lunch.rice, 1)])
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "SESSION_FULL"));
}

#[tokio::test]
async fn booking_and_cancelling_close_at_the_cut_off() {
    let fix = fixture().await;
    let canteen = fix.canteen(json!({ "cutoff_minutes": 90 })).await;
    let lunch = fix.menu(&canteen, "2026-12-08", "lunch").await;
    let (early, _) = fix.elder("early", "1950-03-01").await;
    let r = fix.book(&early, lunch.id, &[(lunch.pork, 1)]).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_i64().expect("id");

    // Lunch is served 2026-12-08 11:30 CST = 03:30 UTC; bookings close at 02:00 UTC.
    let closes = super::monday_morning() + TimeDelta::hours(26);
    fix.app.state.clock.set(closes - TimeDelta::seconds(1));
    let (last, _) = fix.resident("last").await;
    assert_eq!(
        fix.book(&last, lunch.id, &[(lunch.rice, 1)]).await.status,
        201
    );
    fix.app.state.clock.set(closes);
    let (late, _) = fix.resident("late").await;
    let r = fix.book(&late, lunch.id, &[(lunch.rice, 1)]).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "MEAL_BOOKING_CLOSED"));
    assert_eq!(
        r.body["error"]["details"]["books_until"],
        "2026-12-08T02:00:00Z"
    );
    let r = fix
        .app
        .post(
            &format!("/meal-bookings/{id}/cancel"),
            Some(&early),
            json!({}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "CANCEL_CUTOFF_PASSED"));
    let desk = fix
        .app
        .get(
            &format!("/admin/canteen-meals/{}/desk", lunch.id),
            Some(&fix.admin),
        )
        .await;
    assert_eq!(desk.body["booked"], 2);
}

/// A grid worker of the fixture's grid: (token, user id).
async fn grid_worker(fix: &Fix, openid: &str) -> (String, i64) {
    let (token, id) = fix.resident(openid).await;
    let r = fix
        .app
        .post(
            "/admin/grid-workers",
            Some(&fix.admin),
            json!({ "user_id": id, "grid_id": fix.grid }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    (token, id)
}

#[tokio::test]
async fn a_grid_worker_books_for_an_elder_of_their_grid_only() {
    let fix = fixture().await;
    let canteen = fix.canteen(json!({})).await;
    let lunch = fix.menu(&canteen, "2026-12-08", "lunch").await;
    let (elder, elder_id) = fix.elder("grandma", "1940-02-02").await;
    let (worker, worker_id) = grid_worker(&fix, "worker").await;

    let r = fix
        .book_with(
            &worker,
            lunch.id,
            &[(lunch.pork, 1), (lunch.greens, 1)],
            json!({ "on_behalf_of_user_id": elder_id }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.body["user_id"].as_i64(), r.body["booked_by"].as_i64()),
        (Some(elder_id), Some(worker_id))
    );
    assert_eq!(
        (r.body["subsidy"].as_str(), r.body["amount"].as_str()),
        (Some("3.00"), Some("7.50"))
    );
    assert_eq!(r.body["participant_name"], "居民grandma");
    // The elder sees it among theirs, and cannot book the same lunch twice.
    let mine = fix.app.get("/me/meal-bookings", Some(&elder)).await;
    assert_eq!(mine.body["total"], 1);
    let r = fix.book(&elder, lunch.id, &[(lunch.rice, 1)]).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "MEAL_ALREADY_BOOKED"));

    // An elder of another grid of the community: refused, nothing booked.
    let g2 = fix
        .app
        .post(
            &format!("/admin/communities/{}/grids", fix.community),
            Some(&fix.platform),
            json!({ "name": "第二网格" }),
        )
        .await;
    let b2 = fix
        .app
        .post(
            &format!("/admin/grids/{}/buildings", g2.body["id"]),
            Some(&fix.platform),
            json!({ "name": "9号楼", "households": 10 }),
        )
        .await;
    let (outsider, outsider_id, _) = fix.app.resident("outsider").await;
    fix.app
        .bind_building(&outsider, b2.body["id"].as_i64().expect("building"))
        .await;
    let r = fix
        .book_with(
            &worker,
            lunch.id,
            &[(lunch.rice, 1)],
            json!({ "on_behalf_of_user_id": outsider_id }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    // A plain resident cannot book for a neighbour either.
    let (neighbour, _) = fix.resident("neighbour").await;
    let r = fix
        .book_with(
            &neighbour,
            lunch.id,
            &[(lunch.rice, 1)],
            json!({ "on_behalf_of_user_id": elder_id }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    let desk = fix
        .app
        .get(
            &format!("/admin/canteen-meals/{}/desk", lunch.id),
            Some(&fix.admin),
        )
        .await;
    assert_eq!(desk.body["booked"], 1);
}

#[tokio::test]
async fn delivery_is_for_verified_disabled_elders_and_recorded_by_the_volunteer() {
    let fix = fixture().await;
    let canteen = fix.canteen(json!({})).await;
    let lunch = fix.menu(&canteen, "2026-12-08", "lunch").await;
    let (elder, elder_id) = fix.elder("bedridden", "1938-08-08").await;
    let deliver = json!({ "delivery": true });

    let r = fix
        .book_with(&elder, lunch.id, &[(lunch.pork, 1)], deliver.clone())
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "NOT_ELIGIBLE"));
    assert_eq!(r.body["error"]["details"]["reason"], "not_disabled");

    // Another community's admin cannot set the flag; this one's can.
    let (other_community, _, _) = fix
        .app
        .community_with_building(&fix.platform, "别的社区")
        .await;
    let other_admin = fix
        .app
        .community_admin(&fix.platform, &[other_community])
        .await;
    let flag = json!({ "disabled": true });
    let path = format!("/admin/residents/{elder_id}/disability");
    assert_eq!(fix.put(&path, &other_admin, flag.clone()).await.status, 404);
    assert_eq!(fix.put(&path, &elder, flag.clone()).await.status, 403);
    let r = fix.put(&path, &fix.admin, flag).await;
    assert_eq!(
        (r.status.as_u16(), r.body["disabled"].as_bool()),
        (200, Some(true))
    );

    let r = fix
        .book_with(&elder, lunch.id, &[(lunch.pork, 1)], deliver.clone())
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["delivery"], true);
    let id = r.body["id"].as_i64().expect("id");

    // The volunteer (a grid worker of the elder's grid) records the delivery, once.
    let (stranger, _) = fix.resident("stranger").await;
    let done = format!("/meal-bookings/{id}/delivered");
    assert_eq!(
        fix.app.post(&done, Some(&stranger), json!({})).await.status,
        404
    );
    let (volunteer, volunteer_id) = grid_worker(&fix, "volunteer").await;
    fix.app.state.clock.advance(TimeDelta::hours(27));
    let r = fix.app.post(&done, Some(&volunteer), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["delivered_by"], volunteer_id);
    assert_eq!(r.body["delivered_at"], "2026-12-08T03:00:00Z");
    let r = fix.app.post(&done, Some(&volunteer), json!({})).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "INVALID_TRANSITION"));

    // A canteen that does not deliver refuses even a disabled elder.
    let plain = fix
        .canteen(json!({ "name": "简餐食堂", "delivery": false }))
        .await;
    let dinner = fix.menu(&plain, "2026-12-09", "dinner").await;
    let r = fix
        .book_with(&elder, dinner.id, &[(dinner.rice, 1)], deliver)
        .await;
    assert_eq!(
        r.body["error"]["details"]["reason"], "delivery_off",
        "{}",
        r.text
    );
}
