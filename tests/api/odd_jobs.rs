//! Odd jobs (零工驿站): posting as a merchant or a registered organisation,
//! the lists (expired jobs vanish), applying once, accepting never past the
//! headcount (a race), declining, who hears of what, reports and take-downs.

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::support::{TestApp, spawn_app_with};

async fn app() -> TestApp {
    spawn_app_with(|s| {
        s.rate_limit.writes_per_minute_per_user = 1_000_000;
        s.rate_limit.writes_per_minute_per_ip = 1_000_000;
    })
    .await
}

async fn resident_of(app: &TestApp, openid: &str, building: i64) -> (String, i64) {
    let (token, id, _) = app.resident(openid).await;
    app.bind_building(&token, building).await;
    (token, id)
}

fn job(merchant_id: i64, communities: &[i64], headcount: i64, ends: DateTime<Utc>) -> Value {
    json!({
        "merchant_id": merchant_id,
        "title": "超市理货员",
        "requirements": "能搬重物",
        "pay": "25.50",
        "pay_unit": "hour",
        "place": "人民路1号",
        "starts_at": (ends - TimeDelta::hours(4)).to_rfc3339(),
        "ends_at": ends.to_rfc3339(),
        "headcount": headcount,
        "contact_name": "王店长",
        "contact_phone": "13800138000",
        "community_ids": communities
    })
}

async fn messages(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app.get("/me/messages", Some(token)).await;
    r.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m["kind"] == "odd_job")
        .collect()
}

#[tokio::test]
async fn a_job_from_posting_to_take_down() {
    let app = app().await;
    let platform = app.platform_admin().await;
    let (c, _, b) = app.community_with_building(&platform, "甲社区").await;
    let (c2, _, b2) = app.community_with_building(&platform, "乙社区").await;
    let admin = app.community_admin(&platform, &[c]).await;
    let other_admin = app.community_admin(&platform, &[c2]).await;
    let (merchant_id, owner) = app.approved_merchant(&platform, &[c], "job-m").await;
    let (r, r_id) = resident_of(&app, "job-r", b).await;
    let (r2, _) = resident_of(&app, "job-r2", b).await;
    let (stranger, _) = resident_of(&app, "job-s", b2).await;
    let ends = Utc::now() + TimeDelta::days(3);

    // Authorization before validation; then every bad field.
    let not_owner = app
        .post("/odd-jobs", Some(&r), job(merchant_id, &[c], 2, ends))
        .await;
    assert_eq!(not_owner.status, 403, "{}", not_owner.text);
    let bad = app
        .post(
            "/odd-jobs",
            Some(&owner),
            json!({ "merchant_id": merchant_id, "title": "", "pay": "0", "pay_unit": "week",
                    "place": "x", "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z",
                    "headcount": 0, "contact_name": "王", "contact_phone": "123", "community_ids": [c2] }),
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
            "pay",
            "pay_unit",
            "ends_at",
            "headcount",
            "contact_phone",
            "community_ids"
        ]
    );
    let money = app
        .post("/odd-jobs", Some(&owner), {
            let mut j = job(merchant_id, &[c], 2, ends);
            j["pay"] = json!("1.234");
            j
        })
        .await;
    assert_eq!(money.status, 422);
    assert_eq!(money.fields(), ["pay"]);
    assert_eq!(app.get("/me/odd-jobs", Some(&owner)).await.body["total"], 0);

    let posted = app
        .post("/odd-jobs", Some(&owner), job(merchant_id, &[c], 2, ends))
        .await;
    assert_eq!(posted.status, 201, "{}", posted.text);
    assert_eq!(posted.body["pay"], "25.50");
    assert_eq!(posted.body["status"], "open");
    assert_eq!(posted.body["community_ids"], json!([c]));
    let id = posted.body["id"].as_i64().unwrap();
    let listed = app.get(&format!("/odd-jobs?community_id={c}"), None).await;
    assert_eq!(listed.body["total"], 1);
    assert_eq!(
        app.get(&format!("/odd-jobs?community_id={c2}"), None)
            .await
            .body["total"],
        0
    );

    // Apply once; the employer hears of it.
    let apply = format!("/odd-jobs/{id}/applications");
    let a1 = app
        .post(&apply, Some(&r), json!({ "note": "周末有空" }))
        .await;
    assert_eq!(a1.status, 201, "{}", a1.text);
    assert_eq!(a1.body["status"], "applied");
    let again = app.post(&apply, Some(&r), json!({})).await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "ALREADY_APPLIED")
    );
    let far = app.post(&apply, Some(&stranger), json!({})).await;
    assert_eq!(
        (far.status.as_u16(), far.code()),
        (403, "NOT_FOR_YOUR_COMMUNITY")
    );
    let a2 = app.post(&apply, Some(&r2), json!({})).await;
    assert_eq!(a2.status, 201);
    assert_eq!(messages(&app, &owner).await.len(), 2);
    let seen = app
        .get(&format!("/odd-jobs/{id}/applications"), Some(&owner))
        .await;
    assert_eq!(seen.body["total"], 2);
    assert_eq!(seen.body["items"][0]["applicant_id"], r_id);
    assert_eq!(
        app.get(&format!("/odd-jobs/{id}/applications"), Some(&r))
            .await
            .status,
        404
    );

    // Accept one, decline the other; each applicant hears; no second answer.
    let a1_id = a1.body["id"].as_i64().unwrap();
    let a2_id = a2.body["id"].as_i64().unwrap();
    let by_stranger = app
        .post(
            &format!("/job-applications/{a1_id}/accept"),
            Some(&r2),
            json!({}),
        )
        .await;
    assert_eq!(by_stranger.status, 404);
    let ok = app
        .post(
            &format!("/job-applications/{a1_id}/accept"),
            Some(&owner),
            json!({}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["status"], "accepted");
    let no = app
        .post(
            &format!("/job-applications/{a2_id}/decline"),
            Some(&owner),
            json!({}),
        )
        .await;
    assert_eq!(no.body["status"], "declined");
    let twice = app
        .post(
            &format!("/job-applications/{a2_id}/accept"),
            Some(&owner),
            json!({}),
        )
        .await;
    assert_eq!(
        (twice.status.as_u16(), twice.code()),
        (409, "INVALID_TRANSITION")
    );
    assert_eq!(messages(&app, &r).await[0]["title"], "零工报名已录用");
    assert_eq!(messages(&app, &r2).await[0]["title"], "零工报名未录用");
    let mine = app.get("/me/job-applications", Some(&r)).await;
    assert_eq!(mine.body["items"][0]["status"], "accepted");
    assert_eq!(
        app.get(&format!("/odd-jobs/{id}"), None).await.body["accepted_count"],
        1
    );

    // Reports reach the admins of the job's communities, who take it down.
    let report = format!("/odd-jobs/{id}/reports");
    let rep = app
        .post(&report, Some(&r2), json!({ "reason": "虚假招聘" }))
        .await;
    assert_eq!(rep.status, 201, "{}", rep.text);
    let rep2 = app
        .post(&report, Some(&r2), json!({ "reason": "再次" }))
        .await;
    assert_eq!(
        (rep2.status.as_u16(), rep2.code()),
        (409, "ALREADY_REPORTED")
    );
    let empty = app.post(&report, Some(&r), json!({ "reason": " " })).await;
    assert_eq!(empty.fields(), ["reason"]);
    let queue = app.get("/admin/job-reports", Some(&admin)).await;
    assert_eq!(queue.body["total"], 1, "{}", queue.text);
    assert_eq!(queue.body["items"][0]["job_id"], id);
    assert_eq!(
        app.get("/admin/job-reports", Some(&other_admin)).await.body["total"],
        0
    );
    let down_path = format!("/admin/odd-jobs/{id}/take-down");
    let foreign = app
        .post(&down_path, Some(&other_admin), json!({ "reason": "x" }))
        .await;
    assert_eq!(foreign.status, 403);
    let down = app
        .post(&down_path, Some(&admin), json!({ "reason": "虚假招聘" }))
        .await;
    assert_eq!(down.status, 200, "{}", down.text);
    assert_eq!(down.body["status"], "taken_down");
    let down2 = app
        .post(&down_path, Some(&admin), json!({ "reason": "x" }))
        .await;
    assert_eq!(down2.code(), "INVALID_TRANSITION");
    assert_eq!(
        app.get(&format!("/odd-jobs?community_id={c}"), None)
            .await
            .body["total"],
        0
    );
    assert_eq!(app.get(&format!("/odd-jobs/{id}"), None).await.status, 404);
    assert_eq!(
        app.get(&format!("/odd-jobs/{id}"), Some(&owner))
            .await
            .status,
        200
    );
    assert!(
        messages(&app, &owner)
            .await
            .iter()
            .any(|m| m["title"] == "岗位已被下架")
    );
    let late = app.post(&apply, Some(&stranger), json!({})).await;
    assert_eq!(late.status, 404);

    // An organisation an admin registers posts for its community only.
    let (org_user, org_user_id) = resident_of(&app, "job-org", b).await;
    let org = app
        .post(
            "/admin/job-organisations",
            Some(&admin),
            json!({ "name": "街道保洁队", "user_id": org_user_id, "community_id": c, "contact_phone": "13900139000" }),
        )
        .await;
    assert_eq!(org.status, 201, "{}", org.text);
    let not_theirs = app
        .post(
            "/admin/job-organisations",
            Some(&other_admin),
            json!({ "name": "x", "user_id": org_user_id, "community_id": c, "contact_phone": "13900139000" }),
        )
        .await;
    assert_eq!(not_theirs.status, 403);
    let org_id = org.body["id"].as_i64().unwrap();
    let mut org_job = job(0, &[c], 1, Utc::now() + TimeDelta::hours(2));
    org_job.as_object_mut().unwrap().remove("merchant_id");
    org_job["organisation_id"] = json!(org_id);
    let wrong_place = app
        .post("/odd-jobs", Some(&org_user), {
            let mut j = org_job.clone();
            j["community_ids"] = json!([c2]);
            j
        })
        .await;
    assert_eq!(wrong_place.fields(), ["community_ids"]);
    assert_eq!(
        app.post("/odd-jobs", Some(&r), org_job.clone())
            .await
            .status,
        403
    );
    let org_posted = app.post("/odd-jobs", Some(&org_user), org_job).await;
    assert_eq!(org_posted.status, 201, "{}", org_posted.text);
    assert_eq!(
        app.get(&format!("/odd-jobs?community_id={c}"), None)
            .await
            .body["total"],
        1
    );

    // Past its end it vanishes.
    app.state.clock.set(Utc::now() + TimeDelta::hours(3));
    assert_eq!(
        app.get(&format!("/odd-jobs?community_id={c}"), None)
            .await
            .body["total"],
        0
    );
    let org_job_id = org_posted.body["id"].as_i64().unwrap();
    let expired = app
        .post(
            &format!("/odd-jobs/{org_job_id}/applications"),
            Some(&r),
            json!({}),
        )
        .await;
    assert_eq!(
        (expired.status.as_u16(), expired.code()),
        (404, "JOB_NOT_FOUND")
    );
}

#[tokio::test]
async fn accepting_never_passes_the_headcount() {
    let app = app().await;
    let platform = app.platform_admin().await;
    let (c, _, b) = app.community_with_building(&platform, "丙社区").await;
    let (merchant_id, owner) = app.approved_merchant(&platform, &[c], "race-m").await;
    let posted = app
        .post(
            "/odd-jobs",
            Some(&owner),
            job(merchant_id, &[c], 3, Utc::now() + TimeDelta::days(1)),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.text);
    let id = posted.body["id"].as_i64().unwrap();
    let mut applications = Vec::new();
    for i in 0..12 {
        let (token, _) = resident_of(&app, &format!("race-{i}"), b).await;
        let a = app
            .post(
                &format!("/odd-jobs/{id}/applications"),
                Some(&token),
                json!({}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
        applications.push(a.body["id"].as_i64().unwrap());
    }
    let paths: Vec<String> = applications
        .iter()
        .map(|a| format!("/job-applications/{a}/accept"))
        .collect();
    let replies = join_all(paths.iter().map(|p| app.post(p, Some(&owner), json!({})))).await;
    let accepted = replies.iter().filter(|r| r.status == 200).count();
    let filled = replies
        .iter()
        .filter(|r| r.status == 409 && r.code() == "JOB_FILLED")
        .count();
    assert_eq!(
        (accepted, filled),
        (3, 9),
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    let j = app.get(&format!("/odd-jobs/{id}"), Some(&owner)).await;
    assert_eq!(j.body["accepted_count"], 3);
    assert_eq!(j.body["status"], "filled");
    let list = app
        .get(&format!("/odd-jobs/{id}/applications"), Some(&owner))
        .await;
    let statuses: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == "accepted").count(), 3);
    assert_eq!(statuses.iter().filter(|s| **s == "applied").count(), 9);
    assert_eq!(
        app.get(&format!("/odd-jobs?community_id={c}"), None)
            .await
            .body["total"],
        0
    );
    let dashboard = app.get("/admin/stats", Some(&platform)).await;
    assert_eq!(
        dashboard.body["civic"]["jobs_filled"], 1,
        "{}",
        dashboard.text
    );
    assert_eq!(dashboard.body["civic"]["job_places_filled"], 3);
}
