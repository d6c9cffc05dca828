//! The wish wall: posting, approval, one claimer, confirmation awarding once,
//! lapsed claims returning to the wall.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use super::{Town, town};

async fn approved_wish(t: &Town, token: &str, body: Value) -> i64 {
    let posted = t.app.post("/wishes", Some(token), body).await;
    assert_eq!(posted.status, 201, "{}", posted.text);
    assert_eq!(posted.body["status"], "pending");
    let id = posted.body["id"].as_i64().expect("wish id");
    let ok = t
        .app
        .post(
            &format!("/admin/wishes/{id}/approve"),
            Some(&t.admin),
            json!({}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    id
}

fn wish_body() -> Value {
    json!({ "title": "想要一副老花镜", "content": "看报纸看不清了", "category": "goods" })
}

#[tokio::test]
async fn one_claimer_and_one_award_when_the_wisher_confirms() {
    let t = town().await;
    let app = &t.app;
    let posted = app.post("/wishes", Some(&t.resident), wish_body()).await;
    assert_eq!(posted.status, 201, "{}", posted.text);
    let id = posted.body["id"].as_i64().unwrap();
    let wall = app
        .get(&format!("/wishes?community_id={}", t.community), None)
        .await;
    assert_eq!(wall.body["total"], 0, "pending wishes are not on the wall");
    let (oc, _, _) = app.community_with_building(&t.platform, "外区").await;
    let stranger = app.community_admin(&t.platform, &[oc]).await;
    let denied = app
        .post(
            &format!("/admin/wishes/{id}/approve"),
            Some(&stranger),
            json!({}),
        )
        .await;
    assert_eq!(denied.code(), "WISH_NOT_FOUND");
    let ok = app
        .post(
            &format!("/admin/wishes/{id}/approve"),
            Some(&t.admin),
            json!({}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let twice = app
        .post(
            &format!("/admin/wishes/{id}/approve"),
            Some(&t.admin),
            json!({}),
        )
        .await;
    assert_eq!(twice.code(), "INVALID_TRANSITION");
    let wall = app
        .get(&format!("/wishes?community_id={}", t.community), None)
        .await;
    assert_eq!(wall.body["items"][0]["id"], json!(id));

    let own = app
        .post(&format!("/wishes/{id}/claim"), Some(&t.resident), json!({}))
        .await;
    assert_eq!(own.status, 403);
    let mut volunteers = Vec::new();
    for i in 0..16 {
        volunteers.push(t.neighbour(&format!("volunteer-{i}")).await);
    }
    let claim_path = format!("/wishes/{id}/claim");
    let replies = futures_util::future::join_all(
        volunteers
            .iter()
            .map(|(token, _)| app.post(&claim_path, Some(token), json!({}))),
    )
    .await;
    let winners: Vec<usize> = (0..16).filter(|i| replies[*i].status == 200).collect();
    assert_eq!(winners.len(), 1);
    for r in &replies {
        if r.status != 200 {
            assert_eq!((r.status.as_u16(), r.code()), (409, "WISH_TAKEN"));
        }
    }
    let (claimer, claimer_id) = &volunteers[winners[0]];
    let (loser, _) = &volunteers[(winners[0] + 1) % 16];
    assert_eq!(replies[winners[0]].body["claimer_id"], json!(claimer_id));

    let not_claimer = app
        .post(
            &format!("/wishes/{id}/fulfil"),
            Some(loser),
            json!({ "note": "送到了" }),
        )
        .await;
    assert_eq!(not_claimer.code(), "WISH_NOT_FOUND");
    let early = app
        .post(
            &format!("/wishes/{id}/confirm"),
            Some(&t.resident),
            json!({}),
        )
        .await;
    assert_eq!(early.code(), "INVALID_TRANSITION");
    let empty = app
        .post(
            &format!("/wishes/{id}/fulfil"),
            Some(claimer),
            json!({ "note": "" }),
        )
        .await;
    assert_eq!(empty.fields(), ["note"]);
    let done = app
        .post(
            &format!("/wishes/{id}/fulfil"),
            Some(claimer),
            json!({ "note": "已送到老人家中" }),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.body["status"], "fulfilled");
    let by_claimer = app
        .post(&format!("/wishes/{id}/confirm"), Some(claimer), json!({}))
        .await;
    assert_eq!(by_claimer.code(), "WISH_NOT_FOUND");

    let confirm_path = format!("/wishes/{id}/confirm");
    let confirms = futures_util::future::join_all(
        (0..5).map(|_| app.post(&confirm_path, Some(&t.resident), json!({}))),
    )
    .await;
    assert_eq!(confirms.iter().filter(|r| r.status == 200).count(), 1);
    assert!(
        confirms
            .iter()
            .filter(|r| r.status != 200)
            .all(|r| r.code() == "INVALID_TRANSITION")
    );
    // The wish_fulfilled rule of the default book: 20 points, once.
    assert_eq!(t.balance(claimer).await, 20);
    let ledger = t.ledger(claimer).await;
    assert_eq!(ledger.len(), 1);
    assert_eq!(
        (ledger[0]["source"].clone(), ledger[0]["source_ref"].clone()),
        (json!("wish"), json!(format!("wish:{id}")))
    );
    assert_eq!(ledger[0]["granted_by"], json!(t.resident_id));
    let shown = app.get(&format!("/wishes/{id}"), None).await;
    assert_eq!(shown.body["status"], "confirmed");
    assert_eq!(shown.body["award_entry_id"], ledger[0]["id"]);
    let inbox = app.get("/me/messages", Some(&t.resident)).await;
    assert!(inbox.text.contains("心愿已完成"), "{}", inbox.text);
    let stats = app
        .get(
            &format!("/admin/stats?community_id={}", t.community),
            Some(&t.admin),
        )
        .await;
    assert_eq!(
        stats.body["points"],
        json!({ "issued": 20, "spent": 0, "wishes_fulfilled": 1 })
    );
}

#[tokio::test]
async fn a_grid_worker_posts_for_a_resident_and_lapsed_claims_return_to_the_wall() {
    let t = town().await;
    let app = &t.app;
    let mut body = wish_body();
    body["on_behalf_of_user_id"] = json!(t.resident_id);
    body["public"] = json!(false);
    let id = approved_wish(&t, &t.worker, body.clone()).await;
    let hidden = app.get(&format!("/wishes/{id}"), None).await;
    assert_eq!(hidden.code(), "WISH_NOT_FOUND");
    let wisher_sees = app.get(&format!("/wishes/{id}"), Some(&t.resident)).await;
    assert_eq!(wisher_sees.body["wisher_id"], json!(t.resident_id));
    assert_eq!(wisher_sees.body["posted_by"], json!(t.worker_id));
    let (n, _) = t.neighbour("not-a-worker").await;
    let for_other = app.post("/wishes", Some(&n), body).await;
    assert_eq!(for_other.status, 403);

    let public = approved_wish(&t, &t.resident, wish_body()).await;
    let (v, _) = t.neighbour("slow-volunteer").await;
    let claimed = app
        .post(&format!("/wishes/{public}/claim"), Some(&v), json!({}))
        .await;
    assert_eq!(claimed.status, 200, "{}", claimed.text);
    assert!(claimed.body["claim_deadline"].is_string());
    // Nothing has lapsed yet; then the deadline passes.
    assert_eq!(
        yizhan::wishes::flow::return_lapsed_claims(&app.db)
            .await
            .unwrap(),
        0
    );
    let backend = app.db.get_database_backend();
    let past = chrono::Utc::now() - chrono::TimeDelta::hours(1);
    app.db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => {
                    "UPDATE wishes SET claim_deadline = $1 WHERE id = $2"
                }
                _ => "UPDATE wishes SET claim_deadline = ? WHERE id = ?",
            },
            [past.into(), public.into()],
        ))
        .await
        .unwrap();
    assert_eq!(
        yizhan::wishes::flow::return_lapsed_claims(&app.db)
            .await
            .unwrap(),
        1
    );
    let back = app.get(&format!("/wishes/{public}"), None).await;
    assert_eq!(
        (back.body["status"].clone(), back.body["claimer_id"].clone()),
        (json!("open"), json!(null))
    );
    let late = app
        .post(
            &format!("/wishes/{public}/fulfil"),
            Some(&v),
            json!({ "note": "晚了" }),
        )
        .await;
    assert_eq!(late.code(), "WISH_NOT_FOUND");
    let inbox = app.get("/me/messages", Some(&v)).await;
    assert!(inbox.text.contains("已超时"), "{}", inbox.text);
}

#[tokio::test]
async fn bad_wishes_name_every_field_and_rejections_carry_a_reason() {
    let t = town().await;
    let app = &t.app;
    let bad = app
        .post("/wishes", Some(&t.resident), json!({ "title": "", "content": "x".repeat(1001), "category": "money", "photos": ["ftp://x"] }))
        .await;
    assert_eq!(bad.status, 422);
    let mut fields = bad.fields();
    fields.sort();
    assert_eq!(fields, ["category", "content", "photos[0]", "title"]);
    let (homeless, _, _) = app.resident("no-building").await;
    let nowhere = app.post("/wishes", Some(&homeless), wish_body()).await;
    assert_eq!(nowhere.code(), "ADDRESS_REQUIRED");
    let posted = app.post("/wishes", Some(&t.resident), wish_body()).await;
    let id = posted.body["id"].as_i64().unwrap();
    let queue = app
        .get("/admin/wishes?status=pending", Some(&t.admin))
        .await;
    assert_eq!(queue.body["total"], 1);
    let no_reason = app
        .post(
            &format!("/admin/wishes/{id}/reject"),
            Some(&t.admin),
            json!({ "reason": "" }),
        )
        .await;
    assert_eq!(no_reason.fields(), ["reason"]);
    let rejected = app
        .post(
            &format!("/admin/wishes/{id}/reject"),
            Some(&t.admin),
            json!({ "reason": "请补充说明" }),
        )
        .await;
    assert_eq!(rejected.body["status"], "rejected");
    let claim = app
        .post(&format!("/wishes/{id}/claim"), Some(&t.worker), json!({}))
        .await;
    assert_eq!(claim.code(), "WISH_NOT_FOUND");
    let bad_status = app.get("/wishes?status=nope", None).await;
    assert_eq!(bad_status.code(), "INVALID_QUERY");
}
