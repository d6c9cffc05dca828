use crate::support::spawn_app_with;

/// Timeline entries of the seeded requests (submitted, assigned, accepted,
/// resolved, rated ..., by their state).
const EVENTS: u64 = 131_288;

#[tokio::test]
async fn seeding_the_county_is_complete_deterministic_and_idempotent() {
    // The overdue sweep would add timeline entries to the seeded open
    // requests between the two runs: it waits here.
    let app = spawn_app_with(|s| s.jobs.sweep_interval_ms = 3_600_000).await;
    let started = std::time::Instant::now();
    let first = yizhan::seed::run(&app.db, 1, &app.state.calendar)
        .await
        .unwrap();
    eprintln!("{first}seeded in {:?}", started.elapsed());
    let created: Vec<(String, u64)> = first
        .lines
        .iter()
        .map(|(w, c, _)| (w.clone(), *c))
        .collect();
    assert_eq!(
        created,
        vec![
            ("communities".to_owned(), 12),
            ("grids".to_owned(), 120),
            ("buildings".to_owned(), 400),
            ("residents".to_owned(), 37_750),
            ("merchants".to_owned(), 358),
            ("goods".to_owned(), 3_000),
            ("promotions".to_owned(), 90),
            ("group_buys".to_owned(), 10),
            ("orders".to_owned(), 96),
            ("helpers".to_owned(), 60),
            ("services".to_owned(), 120),
            ("slots".to_owned(), 480),
            ("bookings".to_owned(), 360),
            ("notices".to_owned(), 175),
            ("departments".to_owned(), 6),
            ("req_categories".to_owned(), 17),
            ("city_components".to_owned(), 120),
            ("grid_workers".to_owned(), 120),
            ("requests".to_owned(), 26_000),
            ("request_events".to_owned(), EVENTS),
            // 12 communities: 4 items, 20 residents awarded 1-4 rules
            // (50 awards) plus one confirmed wish (1 award), 3 wishes.
            ("shelf_items".to_owned(), 48),
            ("point_entries".to_owned(), 612),
            ("wishes".to_owned(), 36),
            ("activities".to_owned(), 24),
            ("act_sessions".to_owned(), 96),
            ("signups".to_owned(), 1_920),
            // Two quarters' surveys, 50 residents of each community answering
            // each: 8 scale questions and a choice, and every 4th a
            // suggestion (13 of 50): (50 × 9 + 13) × 12 × 2.
            ("surveys".to_owned(), 2),
            ("responses".to_owned(), 1_200),
            ("survey_answers".to_owned(), 11_112),
            // 3 jobs a community: filled (3 applications), open (3), past
            // (1); posted by a shop serving it, or by an organisation in the
            // one community no active shop serves.
            ("job_orgs".to_owned(), 1),
            ("odd_jobs".to_owned(), 36),
            ("job_apps".to_owned(), 84),
            // A point a community with 5 tools and 8 loans.
            ("lend_points".to_owned(), 12),
            ("tools".to_owned(), 60),
            ("tool_loans".to_owned(), 96),
            // 2 canteens × 10 weekday lunches × 60 residents.
            ("canteens".to_owned(), 2),
            ("meals".to_owned(), 20),
            ("meal_bookings".to_owned(), 1_200),
        ]
    );
    let list = app.get("/communities?page_size=100", None).await;
    assert_eq!(list.body["total"], 12);
    let first_name = list.body["items"][0]["name"].clone();
    assert_eq!(first_name, "幸福社区");
    let buildings: usize = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["grids"].as_array().unwrap().iter())
        .map(|g| g["buildings"].as_array().unwrap().len())
        .sum();
    assert_eq!(buildings, 400);
    let first_id = list.body["items"][0]["id"].as_i64().unwrap();
    let acts = app
        .get(&format!("/activities?community_id={first_id}"), None)
        .await;
    assert_eq!(acts.body["total"], 2, "{}", acts.text);
    assert_eq!(acts.body["items"][0]["session_count"], 4);
    assert_eq!(acts.body["items"][0]["sessions"][0]["taken"], 20);

    let again = yizhan::seed::run(&app.db, 1, &app.state.calendar)
        .await
        .unwrap();
    assert!(
        again.lines.iter().all(|(_, created, _)| *created == 0),
        "{again}"
    );
    assert_eq!(
        again.lines.iter().map(|l| l.2).collect::<Vec<_>>(),
        vec![
            12, 120, 400, 37_750, 358, 3_000, 90, 10, 96, 60, 120, 480, 360, 175, 6, 17, 120, 120,
            26_000, EVENTS, 48, 612, 36, 24, 96, 1_920, 2, 1_200, 11_112, 1, 36, 84, 12, 60, 96, 2,
            20, 1_200
        ]
    );

    // The marketplace is browsable: active merchants, on-shelf goods, campaigns in every state.
    let goods = app.get("/goods?page_size=1", None).await;
    assert!(
        goods.body["total"].as_u64().unwrap() > 2_500,
        "{}",
        goods.text
    );
    let merchants = app.get("/merchants?page_size=1", None).await;
    assert_eq!(merchants.body["total"], 351, "7 of 358 are suspended");
    for status in ["ongoing", "upcoming", "succeeded", "failed", "cancelled"] {
        let r = app.get(&format!("/group-buys?status={status}"), None).await;
        assert!(
            r.body["total"].as_u64().unwrap() >= 1,
            "{status}: {}",
            r.text
        );
    }

    let feed = app
        .get(
            &format!("/notices?community_id={}", list.body["items"][0]["id"]),
            None,
        )
        .await;
    assert!(feed.body["total"].as_u64().unwrap() >= 10, "{}", feed.text);
    let services = app.get("/services?page_size=1", None).await;
    assert_eq!(services.body["total"], 120, "{}", services.text);

    // A year of requests at the county's proportions: 98.8 % closed, the
    // rest open in every open state, each handled by someone who can see it.
    let platform = app.platform_admin().await;
    let stats = app.get("/admin/request-stats", Some(&platform)).await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    assert_eq!(stats.body["total"]["received"], 26_000);
    assert_eq!(stats.body["total"]["closure_rate"], 98.8);
    assert!(
        stats.body["total"]["on_time_rate"].as_f64().unwrap() > 90.0,
        "{}",
        stats.text
    );
    for status in [
        "submitted",
        "assigned",
        "accepted",
        "returned",
        "resolved",
        "closed",
    ] {
        let r = app
            .get(
                &format!("/admin/requests?status={status}&page_size=1"),
                Some(&platform),
            )
            .await;
        assert!(
            r.body["total"].as_u64().unwrap() >= 1,
            "{status}: {}",
            r.text
        );
    }
    let categories = app.get("/request-categories", None).await;
    assert_eq!(
        categories.body.as_array().unwrap().len(),
        5,
        "{}",
        categories.text
    );
    let departments = app.get("/departments", None).await;
    assert_eq!(departments.body["total"], 6);

    // The dashboard's participation figures have something to show.
    let dashboard = app.get("/admin/stats", Some(&platform)).await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.text);
    let civic = &dashboard.body["civic"];
    let index: f64 = civic["survey_index"]
        .as_str()
        .and_then(|i| i.parse().ok())
        .unwrap_or_else(|| panic!("{}", dashboard.text));
    assert!((50.0..=100.0).contains(&index), "{}", dashboard.text);
    assert!(
        civic["survey_index_change"].is_string(),
        "{}",
        dashboard.text
    );
    assert_eq!(civic["survey_responses"], 1_200, "{}", dashboard.text);
    assert_eq!(civic["jobs_filled"], 12, "{}", dashboard.text);
    // Two accepted on each filled job, one on each open one.
    assert_eq!(civic["job_places_filled"], 36, "{}", dashboard.text);
    // 4 returned and 2 out per point, one of those overdue.
    assert_eq!(civic["loans"], 72, "{}", dashboard.text);
    assert_eq!(civic["loans_overdue"], 12, "{}", dashboard.text);
    // This quarter's: one answer in five entered offline by a grid worker.
    let surveys = app.get("/admin/surveys", Some(&platform)).await;
    assert_eq!(surveys.status, 200, "{}", surveys.text);
    assert_eq!(surveys.body["total"], 2, "{}", surveys.text);
    let latest = surveys.body["items"][0]["id"].as_i64().unwrap();
    let results = app
        .get(&format!("/admin/surveys/{latest}/results"), Some(&platform))
        .await;
    assert_eq!(results.status, 200, "{}", results.text);
    assert_eq!(results.body["respondents"], 600, "{}", results.text);
    assert_eq!(results.body["offline_respondents"], 120, "{}", results.text);
    assert_eq!(results.body["questions"].as_array().unwrap().len(), 10);

    // Seeded residents can log in and are bound to a building.
    let (token, _, login) = app.resident("seed-42").await;
    assert!(login["user"]["building_id"].as_i64().is_some());
    assert_eq!(app.get("/me", Some(&token)).await.status, 200);
}
