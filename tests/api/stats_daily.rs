//! The dashboard's figures over time (`GET /admin/stats/daily`): each day
//! counts exactly the rows this test made on it, in scope only.

use chrono::{Duration, FixedOffset, Utc};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::json;

use crate::group_buys::{market, neighbour, open_campaign, quiet_app};

fn china_today() -> chrono::NaiveDate {
    Utc::now()
        .with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive()
}

async fn registered_days_ago(app: &crate::support::TestApp, token: &str, days: i64) {
    let me = app.get("/me", Some(token)).await;
    let id = me.body["id"].as_i64().unwrap();
    entity::user::ActiveModel {
        id: Set(id),
        created_at: Set(Utc::now() - Duration::days(days)),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn daily_figures_count_each_day_in_scope() {
    let app = quiet_app().await;
    let m = market(&app, 100).await;
    let a = m.community_id;
    let r1 = neighbour(&app, &m, "d1").await;
    let r2 = neighbour(&app, &m, "d2").await;
    let r3 = neighbour(&app, &m, "d3").await;
    registered_days_ago(&app, &r2, 2).await;
    registered_days_ago(&app, &r3, 100).await;
    // Another community's resident counts only there.
    let (b, _, building_b) = app.community_with_building(&m.platform, "乙社区").await;
    let (rb, _, _) = app.resident("db").await;
    app.bind_building(&rb, building_b).await;
    let g = open_campaign(&app, &m, 50, 1, 5).await;
    for token in [&r1, &r1] {
        let r = app
            .post(
                &format!("/group-buys/{g}/orders"),
                Some(token),
                json!({ "quantity": 1 }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let admin_a = app.community_admin(&m.platform, &[a]).await;
    let starts = (Utc::now() + Duration::hours(3)).to_rfc3339();
    let ends = (Utc::now() + Duration::hours(6)).to_rfc3339();
    for publish in [true, false] {
        let n = app
            .post(
                "/admin/notices",
                Some(&admin_a),
                json!({ "community_id": a, "kind": "water_outage", "title": "停水", "content": "检修",
                        "building_ids": [], "starts_at": starts, "ends_at": ends }),
            )
            .await;
        assert_eq!(n.status, 201, "{}", n.text);
        if publish {
            let p = app
                .call(
                    Method::POST,
                    &format!("/admin/notices/{}/publish", n.body["id"]),
                    Some(&admin_a),
                    None,
                )
                .await;
            assert_eq!(p.status, 200, "{}", p.text);
        }
    }

    let today = china_today();
    let from = today - Duration::days(2);
    let r = app
        .get(
            &format!("/admin/stats/daily?community_id={a}&from={from}&to={today}"),
            Some(&admin_a),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let days = r.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 3);
    let row = |d: &serde_json::Value| {
        (
            d["new_residents"].as_i64().unwrap(),
            d["orders"].as_i64().unwrap(),
            d["notices_published"].as_i64().unwrap(),
            d["requests_received"].as_i64().unwrap(),
        )
    };
    assert_eq!(days[0]["date"], from.to_string());
    assert_eq!(row(&days[0]), (1, 0, 0, 0), "r2 registered two days ago");
    assert_eq!(row(&days[1]), (0, 0, 0, 0));
    assert_eq!(days[2]["date"], today.to_string());
    assert_eq!(
        row(&days[2]),
        (1, 2, 1, 0),
        "r1, its two orders, the published notice"
    );

    // The platform admin's total covers both communities; the default range is 30 days.
    let all = app.get("/admin/stats/daily", Some(&m.platform)).await;
    assert_eq!(all.status, 200, "{}", all.text);
    let days = all.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let last = days.last().unwrap();
    assert!(last["new_residents"].as_i64().unwrap() >= 2);
    assert!(last["orders"].as_i64().unwrap() >= 2);
    let only_b = app
        .get(
            &format!("/admin/stats/daily?community_id={b}&from={today}&to={today}"),
            Some(&m.platform),
        )
        .await;
    assert_eq!(row(&only_b.body["days"][0]), (1, 0, 0, 0));

    // Scope: another community is refused, an unknown one is 404, a resident 403.
    let other = app
        .get(
            &format!("/admin/stats/daily?community_id={b}"),
            Some(&admin_a),
        )
        .await;
    assert_eq!(other.status, 403, "{}", other.text);
    assert_eq!(other.body["error"]["code"], "FORBIDDEN");
    let missing = app
        .get("/admin/stats/daily?community_id=999999", Some(&admin_a))
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(app.get("/admin/stats/daily", Some(&r1)).await.status, 403);
    let anonymous = app.get("/admin/stats/daily", None).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.text);
}

#[tokio::test]
async fn daily_figures_refuse_bad_ranges_naming_the_field() {
    let app = quiet_app().await;
    let platform = app.platform_admin().await;
    for (query, field) in [
        ("from=1999-12-31&to=2000-01-02", "from"),
        ("from=2099-12-30&to=2100-01-01", "to"),
    ] {
        let r = app
            .get(&format!("/admin/stats/daily?{query}"), Some(&platform))
            .await;
        assert_eq!(r.status, 400, "{query}: {}", r.text);
        assert_eq!(r.body["error"]["code"], "INVALID_QUERY", "{query}");
        assert_eq!(
            r.body["error"]["details"]["fields"][0]["field"], field,
            "{query}"
        );
    }
    let r = app
        .get("/admin/stats/daily?from=yesterday", Some(&platform))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "INVALID_QUERY");
    let ok = app
        .get(
            "/admin/stats/daily?from=2026-01-01&to=2026-04-02",
            Some(&platform),
        )
        .await;
    assert_eq!(ok.status, 200, "92 days are fine: {}", ok.text);
    assert_eq!(ok.body["days"].as_array().unwrap().len(), 92);
}

/// Every pair of dates the document allows is a range: a longer one is cut to
/// its first 92 days, a reversed one covers no day, and the default start is
/// never before 2000.
#[tokio::test]
async fn daily_figures_cut_long_ranges_and_answer_reversed_ones_empty() {
    let app = quiet_app().await;
    let platform = app.platform_admin().await;
    let long = app
        .get(
            "/admin/stats/daily?from=2026-01-01&to=2026-04-30",
            Some(&platform),
        )
        .await;
    assert_eq!(long.status, 200, "{}", long.text);
    assert_eq!(long.body["from"], "2026-01-01");
    assert_eq!(long.body["to"], "2026-04-02");
    assert_eq!(long.body["days"].as_array().unwrap().len(), 92);
    assert_eq!(long.body["days"][91]["date"], "2026-04-02");

    let reversed = app
        .get(
            "/admin/stats/daily?from=2026-03-02&to=2026-03-01",
            Some(&platform),
        )
        .await;
    assert_eq!(reversed.status, 200, "{}", reversed.text);
    assert_eq!(reversed.body["days"], serde_json::json!([]));

    let early = app
        .get("/admin/stats/daily?to=2000-01-05", Some(&platform))
        .await;
    assert_eq!(early.status, 200, "{}", early.text);
    assert_eq!(early.body["from"], "2000-01-01");
    assert_eq!(early.body["days"].as_array().unwrap().len(), 5);
}
