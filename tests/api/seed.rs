use crate::support::spawn_app;

#[tokio::test]
async fn seeding_the_county_is_complete_deterministic_and_idempotent() {
    let app = spawn_app().await;
    let first = yizhan::seed::run(&app.db, 1).await.unwrap();
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

    let again = yizhan::seed::run(&app.db, 1).await.unwrap();
    assert!(
        again.lines.iter().all(|(_, created, _)| *created == 0),
        "{again}"
    );
    assert_eq!(
        again.lines.iter().map(|l| l.2).collect::<Vec<_>>(),
        vec![
            12, 120, 400, 37_750, 358, 3_000, 90, 10, 96, 60, 120, 480, 360, 175
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

    // Seeded residents can log in and are bound to a building.
    let (token, _, login) = app.resident("seed-42").await;
    assert!(login["user"]["building_id"].as_i64().is_some());
    assert_eq!(app.get("/me", Some(&token)).await.status, 200);
}
