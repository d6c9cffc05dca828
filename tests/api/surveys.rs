//! The happiness survey: building and opening a questionnaire, answering
//! once (also under a race), offline answers by grid workers, results, the
//! index against a hand-computed fixture, quarter by quarter, and the CSV.

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::support::{TestApp, spawn_app_with};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("a test time")
}

async fn app() -> TestApp {
    spawn_app_with(|s| {
        s.rate_limit.writes_per_minute_per_user = 1_000_000;
        s.rate_limit.writes_per_minute_per_ip = 1_000_000;
    })
    .await
}

/// A resident bound to `building`: (token, id).
async fn resident_of(app: &TestApp, openid: &str, building: i64) -> (String, i64) {
    let (token, id, _) = app.resident(openid).await;
    app.bind_building(&token, building).await;
    (token, id)
}

fn questionnaire(community_ids: &[i64], opens: &str, closes: &str) -> Value {
    json!({
        "title": "2026年第四季度幸福指数",
        "description": "10 项内容",
        "community_ids": community_ids,
        "opens_at": opens,
        "closes_at": closes,
        "questions": [
            { "kind": "scale", "prompt": "办事方便度", "weight": 2 },
            { "kind": "scale", "prompt": "活动参与度" },
            { "kind": "single", "prompt": "最常去的服务点", "options": ["驿站", "卫生站", "超市"] },
            { "kind": "multiple", "prompt": "希望增加的服务", "options": ["助餐", "理发", "维修"] },
            { "kind": "text", "prompt": "其他建议", "required": false }
        ]
    })
}

fn answers(qs: &[i64], scale1: i64, scale2: i64, single: i64, multiple: &[i64]) -> Value {
    json!({ "answers": [
        { "question_id": qs[0], "scale": scale1 },
        { "question_id": qs[1], "scale": scale2 },
        { "question_id": qs[2], "choices": [single] },
        { "question_id": qs[3], "choices": multiple },
    ]})
}

fn question_ids(survey: &Value) -> Vec<i64> {
    survey["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| q["id"].as_i64().expect("question id"))
        .collect()
}

#[tokio::test]
async fn the_index_matches_the_hand_computed_fixture_quarter_by_quarter() {
    let app = app().await;
    let platform = app.platform_admin().await;
    let (ca, _, ba) = app.community_with_building(&platform, "甲社区").await;
    let (cb, gb, bb) = app.community_with_building(&platform, "乙社区").await;
    let admin_a = app.community_admin(&platform, &[ca]).await;
    let (r1, _) = resident_of(&app, "s-r1", ba).await;
    let (r2, _) = resident_of(&app, "s-r2", ba).await;
    let (r3, _) = resident_of(&app, "s-r3", bb).await;
    let (_, r4_id) = resident_of(&app, "s-r4", bb).await;
    let (worker, worker_id) = resident_of(&app, "s-worker", bb).await;
    let made = app
        .post(
            "/admin/grid-workers",
            Some(&platform),
            json!({ "user_id": worker_id, "grid_id": gb }),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);

    // Q3 2026: a one-question survey; answers 5 and 4 → mean 4.5 → 87.5.
    app.state.clock.set(at("2026-08-15T02:00:00Z"));
    let q3 = app
        .post(
            "/admin/surveys",
            Some(&admin_a),
            json!({ "title": "三季度", "community_ids": [ca],
                    "opens_at": "2026-08-01T00:00:00+08:00", "closes_at": "2026-09-30T00:00:00+08:00",
                    "questions": [{ "kind": "scale", "prompt": "总体满意度" }] }),
        )
        .await;
    assert_eq!(q3.status, 201, "{}", q3.text);
    assert_eq!(q3.body["quarter"], "2026Q3");
    assert_eq!(q3.body["status"], "open");
    let q3_id = q3.body["id"].as_i64().unwrap();
    let q3_q = question_ids(&q3.body)[0];
    for (token, score) in [(&r1, 5), (&r2, 4)] {
        let r = app
            .post(
                &format!("/surveys/{q3_id}/responses"),
                Some(token),
                json!({ "answers": [{ "question_id": q3_q, "scale": score }] }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }

    // Q4 2026: the fixture, open to both communities (a platform admin's).
    app.state.clock.set(at("2026-11-15T02:00:00Z"));
    let s = app
        .post(
            "/admin/surveys",
            Some(&platform),
            questionnaire(
                &[ca, cb],
                "2026-11-01T00:00:00+08:00",
                "2026-12-31T00:00:00+08:00",
            ),
        )
        .await;
    assert_eq!(s.status, 201, "{}", s.text);
    assert_eq!(s.body["quarter"], "2026Q4");
    assert_eq!(s.body["community_ids"], json!([ca, cb]));
    let id = s.body["id"].as_i64().unwrap();
    let qs = question_ids(&s.body);

    let listed = app.get("/surveys", Some(&r1)).await;
    assert_eq!(listed.body["total"], 1, "{}", listed.text);
    assert_eq!(listed.body["items"][0]["id"], id);
    assert_eq!(listed.body["items"][0]["answered"], false);

    let mut first = answers(&qs, 5, 3, 0, &[0, 2]);
    first["answers"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "question_id": qs[4], "text": "=SUM(A1) 多办活动" }));
    for (token, body) in [
        (&r1, first),
        (&r2, answers(&qs, 3, 2, 1, &[2])),
        (&r3, answers(&qs, 4, 5, 0, &[1])),
    ] {
        let r = app
            .post(&format!("/surveys/{id}/responses"), Some(token), body)
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["offline"], false);
    }
    let mut offline = answers(&qs, 1, 1, 2, &[0]);
    offline["resident_id"] = json!(r4_id);
    let entered = app
        .post(
            &format!("/grid/surveys/{id}/responses"),
            Some(&worker),
            offline,
        )
        .await;
    assert_eq!(entered.status, 201, "{}", entered.text);
    assert_eq!(entered.body["offline"], true);
    assert_eq!(entered.body["resident_id"], r4_id);
    assert_eq!(entered.body["community_id"], cb);
    assert_eq!(
        app.get(&format!("/surveys/{id}"), Some(&r1)).await.body["answered"],
        true
    );

    // By hand: Q1 (weight 2) 5,3,4,1 → mean 3.25 → 56.25; Q2 (weight 1)
    // 3,2,5,1 → 2.75 → 43.75; (2·56.25 + 43.75) / 3 = 52.083… → 52.1.
    // 甲: Q1 4 → 75, Q2 2.5 → 37.5 → 62.5. 乙: Q1 2.5 → 37.5, Q2 3 → 50 → 41.7.
    let all = app
        .get(&format!("/admin/surveys/{id}/results"), Some(&platform))
        .await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(all.body["respondents"], 4);
    assert_eq!(all.body["offline_respondents"], 1);
    assert_eq!(all.body["index"], "52.1");
    assert_eq!(
        all.body["communities"],
        json!([
            { "community_id": ca, "respondents": 2, "offline_respondents": 0, "index": "62.5" },
            { "community_id": cb, "respondents": 2, "offline_respondents": 1, "index": "41.7" },
        ])
    );
    let q = &all.body["questions"];
    assert_eq!(q[0]["distribution"], json!([1, 0, 1, 1, 1]));
    assert_eq!(q[0]["mean"], "3.25");
    assert_eq!(q[1]["mean"], "2.75");
    let counts = |i: usize| -> Vec<i64> {
        q[i]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["count"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(counts(2), [2, 1, 1]);
    assert_eq!(counts(3), [2, 1, 2]);
    assert_eq!(q[4]["answered"], 1);

    // A community admin sees their own community only.
    let mine = app
        .get(&format!("/admin/surveys/{id}/results"), Some(&admin_a))
        .await;
    assert_eq!(mine.body["community_ids"], json!([ca]));
    assert_eq!(mine.body["respondents"], 2);
    assert_eq!(mine.body["index"], "62.5");
    let theirs = app
        .get(
            &format!("/admin/surveys/{id}/results?community_id={cb}"),
            Some(&admin_a),
        )
        .await;
    assert_eq!(theirs.status, 404, "{}", theirs.text);

    // Quarter by quarter. Everywhere: 87.5 then 52.1 (change -35.4); 甲:
    // 87.5 then 62.5 (-25.0).
    let trend = app.get("/admin/survey-index", Some(&platform)).await;
    assert_eq!(trend.status, 200, "{}", trend.text);
    assert_eq!(
        trend.body["quarters"],
        json!([
            { "quarter": "2026Q3", "surveys": 1, "respondents": 2, "index": "87.5", "change": null },
            { "quarter": "2026Q4", "surveys": 1, "respondents": 4, "index": "52.1", "change": "-35.4" },
        ])
    );
    let dashboard = app.get("/admin/stats", Some(&platform)).await;
    assert_eq!(
        dashboard.body["civic"]["survey_quarter"], "2026Q4",
        "{}",
        dashboard.text
    );
    assert_eq!(dashboard.body["civic"]["survey_index"], "52.1");
    assert_eq!(dashboard.body["civic"]["survey_index_change"], "-35.4");
    assert_eq!(dashboard.body["civic"]["survey_responses"], 6);
    let trend_a = app.get("/admin/survey-index", Some(&admin_a)).await;
    assert_eq!(
        trend_a.body["quarters"][1]["index"], "62.5",
        "{}",
        trend_a.text
    );
    assert_eq!(trend_a.body["quarters"][1]["change"], "-25.0");
    assert_eq!(trend_a.body["quarters"][1]["respondents"], 2);

    // The CSV: a line per response, labels for choices, formulas defused.
    let csv = app
        .get(&format!("/admin/surveys/{id}/export.csv"), Some(&platform))
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines.len(), 5, "{}", csv.text);
    assert!(lines[0].starts_with("response_id,community_id,offline,answered_at,1. 办事方便度,"));
    assert!(
        lines[1].ends_with(",5,3,驿站,助餐; 维修,'=SUM(A1) 多办活动"),
        "{}",
        lines[1]
    );
    assert!(lines[4].contains(",true,"), "{}", lines[4]);
    let csv_a = app
        .get(&format!("/admin/surveys/{id}/export.csv"), Some(&admin_a))
        .await;
    assert_eq!(csv_a.text.lines().count(), 3);

    // Closed early: no more answers.
    let (r5, _) = resident_of(&app, "s-r5", ba).await;
    let closed = app
        .post(
            &format!("/admin/surveys/{id}/close"),
            Some(&platform),
            json!({}),
        )
        .await;
    assert_eq!(closed.status, 200, "{}", closed.text);
    assert_eq!(closed.body["status"], "closed");
    let late = app
        .post(
            &format!("/surveys/{id}/responses"),
            Some(&r5),
            answers(&qs, 5, 5, 0, &[0]),
        )
        .await;
    assert_eq!(
        (late.status.as_u16(), late.code()),
        (409, "SURVEY_NOT_OPEN")
    );
    let again = app
        .post(
            &format!("/admin/surveys/{id}/close"),
            Some(&platform),
            json!({}),
        )
        .await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "INVALID_TRANSITION")
    );
}

#[tokio::test]
async fn a_resident_answers_once_even_when_racing() {
    let app = app().await;
    let platform = app.platform_admin().await;
    let (c, g, b) = app.community_with_building(&platform, "丙社区").await;
    let (r, r_id) = resident_of(&app, "race-r", b).await;
    let (worker, worker_id) = resident_of(&app, "race-w", b).await;
    app.post(
        "/admin/grid-workers",
        Some(&platform),
        json!({ "user_id": worker_id, "grid_id": g }),
    )
    .await;
    let now = Utc::now();
    let s = app
        .post(
            "/admin/surveys",
            Some(&platform),
            questionnaire(
                &[c],
                &(now - chrono::TimeDelta::days(1)).to_rfc3339(),
                &(now + chrono::TimeDelta::days(30)).to_rfc3339(),
            ),
        )
        .await;
    assert_eq!(s.status, 201, "{}", s.text);
    let id = s.body["id"].as_i64().unwrap();
    let qs = question_ids(&s.body);
    let path = format!("/surveys/{id}/responses");
    let replies =
        join_all((0..20).map(|i| app.post(&path, Some(&r), answers(&qs, 1 + i % 5, 3, 0, &[1]))))
            .await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let dup = replies
        .iter()
        .filter(|r| r.status == 409 && r.code() == "ALREADY_ANSWERED")
        .count();
    assert_eq!(
        (created, dup),
        (1, 19),
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    // Nor may a grid worker answer for them again.
    let mut offline = answers(&qs, 2, 2, 0, &[0]);
    offline["resident_id"] = json!(r_id);
    let twice = app
        .post(
            &format!("/grid/surveys/{id}/responses"),
            Some(&worker),
            offline,
        )
        .await;
    assert_eq!(
        (twice.status.as_u16(), twice.code()),
        (409, "ALREADY_ANSWERED")
    );
    let results = app
        .get(&format!("/admin/surveys/{id}/results"), Some(&platform))
        .await;
    assert_eq!(results.body["respondents"], 1);
    assert_eq!(results.body["questions"][0]["answered"], 1);
    assert_eq!(
        results.body["questions"][1]["distribution"],
        json!([0, 0, 1, 0, 0])
    );
}

#[tokio::test]
async fn bad_questionnaires_answers_and_strangers_are_refused() {
    let app = app().await;
    let platform = app.platform_admin().await;
    let (ca, ga, ba) = app.community_with_building(&platform, "丁社区").await;
    let (cb, _, bb) = app.community_with_building(&platform, "戊社区").await;
    let admin_a = app.community_admin(&platform, &[ca]).await;
    let (r, _) = resident_of(&app, "bad-r", ba).await;
    let (stranger, stranger_id) = resident_of(&app, "bad-s", bb).await;
    let (worker, worker_id) = resident_of(&app, "bad-w", ba).await;
    app.post(
        "/admin/grid-workers",
        Some(&platform),
        json!({ "user_id": worker_id, "grid_id": ga }),
    )
    .await;
    let now = Utc::now();
    let opens = (now - chrono::TimeDelta::days(1)).to_rfc3339();
    let closes = (now + chrono::TimeDelta::days(30)).to_rfc3339();

    // Authorization before validation.
    let resident_try = app.post("/admin/surveys", Some(&r), json!({})).await;
    assert_eq!(
        (resident_try.status.as_u16(), resident_try.code()),
        (403, "FORBIDDEN")
    );
    let anon = app.post("/admin/surveys", None, json!({})).await;
    assert_eq!(anon.status, 401);
    let other = app
        .post(
            "/admin/surveys",
            Some(&admin_a),
            questionnaire(&[ca, cb], &opens, &closes),
        )
        .await;
    assert_eq!((other.status.as_u16(), other.code()), (403, "FORBIDDEN"));

    let bad = app
        .post(
            "/admin/surveys",
            Some(&admin_a),
            json!({
                "title": "", "community_ids": [], "opens_at": closes, "closes_at": opens,
                "questions": [
                    { "kind": "single", "prompt": "", "options": ["一"] },
                    { "kind": "scale", "prompt": "好", "weight": 11 },
                    { "kind": "rating", "prompt": "好" },
                    { "kind": "text", "prompt": "好", "options": ["x", "y"] }
                ]
            }),
        )
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (422, "VALIDATION_FAILED")
    );
    assert_eq!(
        bad.fields(),
        [
            "title",
            "community_ids",
            "closes_at",
            "questions[0].prompt",
            "questions[0].options",
            "questions[1].weight",
            "questions[2].kind",
            "questions[3].options"
        ]
    );
    let out_of_range = app
        .post(
            "/admin/surveys",
            Some(&admin_a),
            json!({ "title": "x", "community_ids": [ca], "opens_at": "1999-12-31T00:00:00Z",
                    "closes_at": closes, "questions": [{ "kind": "text", "prompt": "x" }] }),
        )
        .await;
    assert_eq!(out_of_range.status, 422);
    assert_eq!(out_of_range.fields(), ["opens_at"]);
    let listed = app.get("/admin/surveys", Some(&admin_a)).await;
    assert_eq!(listed.body["total"], 0, "nothing half-written");

    let s = app
        .post(
            "/admin/surveys",
            Some(&admin_a),
            questionnaire(&[ca], &opens, &closes),
        )
        .await;
    assert_eq!(s.status, 201, "{}", s.text);
    let id = s.body["id"].as_i64().unwrap();
    let qs = question_ids(&s.body);
    let path = format!("/surveys/{id}/responses");

    let wrong = app
        .post(
            &path,
            Some(&r),
            json!({ "answers": [
                { "question_id": qs[0], "scale": 6 },
                { "question_id": qs[1], "choices": [0] },
                { "question_id": qs[2], "choices": [0, 1] },
                { "question_id": qs[3], "choices": [3] },
                { "question_id": 999_999, "scale": 3 },
                { "question_id": qs[4], "text": "  " }
            ]}),
        )
        .await;
    assert_eq!(
        (wrong.status.as_u16(), wrong.code()),
        (422, "VALIDATION_FAILED")
    );
    assert_eq!(
        wrong.fields(),
        [
            "answers",
            "answers[0].scale",
            "answers[1]",
            "answers[2].choices",
            "answers[3].choices",
            "answers[4].question_id",
            "answers[5].text"
        ]
    );
    let missing = app
        .post(
            &path,
            Some(&r),
            json!({ "answers": [{ "question_id": qs[0], "scale": 3 }] }),
        )
        .await;
    assert_eq!(missing.status, 422);
    assert_eq!(missing.fields(), ["answers", "answers", "answers"]);
    let results = app
        .get(&format!("/admin/surveys/{id}/results"), Some(&admin_a))
        .await;
    assert_eq!(results.body["respondents"], 0, "nothing half-written");

    // Another community's resident does not see it; nor its grid worker's
    // offline entry for them.
    let hidden = app
        .post(&path, Some(&stranger), answers(&qs, 3, 3, 0, &[0]))
        .await;
    assert_eq!(
        (hidden.status.as_u16(), hidden.code()),
        (404, "SURVEY_NOT_FOUND")
    );
    assert_eq!(
        app.get(&format!("/surveys/{id}"), Some(&stranger))
            .await
            .status,
        404
    );
    assert_eq!(app.get("/surveys", Some(&stranger)).await.body["total"], 0);
    let mut for_stranger = answers(&qs, 3, 3, 0, &[0]);
    for_stranger["resident_id"] = json!(stranger_id);
    let outside = app
        .post(
            &format!("/grid/surveys/{id}/responses"),
            Some(&worker),
            for_stranger,
        )
        .await;
    assert_eq!(
        (outside.status.as_u16(), outside.code()),
        (404, "USER_NOT_FOUND")
    );
    let not_worker = app
        .post(
            &format!("/grid/surveys/{id}/responses"),
            Some(&r),
            answers(&qs, 3, 3, 0, &[0]),
        )
        .await;
    assert_eq!(not_worker.status, 403);
    let other_admin = app.community_admin(&platform, &[cb]).await;
    let foreign = app
        .get(&format!("/admin/surveys/{id}/results"), Some(&other_admin))
        .await;
    assert_eq!(foreign.status, 404);
    let page = app
        .get("/admin/surveys?page_size=101", Some(&admin_a))
        .await;
    assert_eq!(page.status, 400);
}
