//! Transfer, return, extension, urge, rating and reopen rules.

use futures_util::future::join_all;
use serde_json::json;

use super::{desk, ids};

#[tokio::test]
async fn handlers_transfer_with_a_reason_to_another_department_or_back_to_the_queue() {
    let d = desk().await;
    d.at("2026-09-21T10:00:00+08:00");
    let id = d.report(d.outage).await;
    d.ok(&d.admin, id, "assign", json!({})).await;
    let r = d
        .act(
            &d.power_staff,
            id,
            "transfer",
            json!({ "department_id": d.water }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["reason".to_owned()])
    );
    let r = d
        .act(
            &d.power_staff,
            id,
            "transfer",
            json!({ "reason": "x", "department_id": 99_999 }),
        )
        .await;
    assert_eq!(r.fields(), ["reason", "department_id"]);
    let r = d
        .act(
            &d.power_staff,
            id,
            "transfer",
            json!({ "reason": "不是停电，是水管", "department_id": d.power }),
        )
        .await;
    assert_eq!(r.fields(), ["department_id"], "to itself");
    // Another department's staff may not move it.
    let r = d
        .act(
            &d.water_staff,
            id,
            "transfer",
            json!({ "reason": "抢单", "department_id": d.water }),
        )
        .await;
    assert_eq!(r.status, 404);

    d.at("2026-09-21T15:00:00+08:00");
    let r = d
        .ok(
            &d.power_staff,
            id,
            "transfer",
            json!({ "reason": "是水管爆裂，不是停电", "department_id": d.water }),
        )
        .await;
    assert_eq!(
        (r["status"].as_str(), r["department_id"].as_i64()),
        (Some("assigned"), Some(d.water))
    );
    // The accept clock starts again for the new department: Tuesday 15:00.
    assert_eq!(
        super::at(r["accept_due_at"].as_str().unwrap()),
        super::at("2026-09-22T15:00:00+08:00")
    );
    // The old department sees nothing of it any more; the new one has it queued.
    assert_eq!(d.detail(&d.power_staff, id).await.status, 404);
    assert_eq!(
        ids(&d.app.get("/me/request-queue", Some(&d.power_staff)).await),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&d.app.get("/me/request-queue", Some(&d.water_staff)).await),
        vec![id]
    );

    // Back to the community's queue, with a new assign clock.
    let r = d
        .ok(
            &d.water_staff,
            id,
            "transfer",
            json!({ "reason": "需社区先核实位置" }),
        )
        .await;
    assert_eq!(r["status"], "submitted");
    assert_eq!(r["department_id"], json!(null));
    assert_eq!(
        ids(&d
            .app
            .get("/admin/requests?status=submitted", Some(&d.admin))
            .await),
        vec![id]
    );
    assert_eq!(d.detail(&d.water_staff, id).await.status, 404);
    let kinds = d.kinds(&d.resident, id).await;
    assert_eq!(
        kinds,
        ["submitted", "assigned", "transferred", "transferred"]
    );
    let timeline = d.detail(&d.admin, id).await.body["timeline"].clone();
    assert_eq!(timeline[2]["note"], "是水管爆裂，不是停电");
    assert_eq!(timeline[2]["data"]["to_department_id"], d.water);
    assert_eq!(timeline[2]["actor_role"], "department");
}

#[tokio::test]
async fn an_unclear_request_is_returned_to_its_reporter_and_comes_back_supplemented() {
    let d = desk().await;
    d.at("2026-09-21T10:00:00+08:00");
    let id = d.report(d.outage).await;
    d.ok(&d.admin, id, "assign", json!({})).await;
    let r = d
        .ok(
            &d.power_staff,
            id,
            "return",
            json!({ "reason": "请补充具体哪个单元、几楼" }),
        )
        .await;
    assert_eq!(r["status"], "returned");
    assert_eq!(r["due_at"], json!(null), "no clock runs while returned");
    // No sweep marks a returned request late.
    d.at("2026-10-30T10:00:00+08:00");
    assert_eq!(d.sweep().await.escalated, 0);
    // Only the reporter supplements.
    let r = d
        .act(
            &d.power_staff,
            id,
            "supplement",
            json!({ "note": "3单元5楼" }),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = d
        .act(
            &d.resident,
            id,
            "supplement",
            json!({ "note": "3单元5楼", "photos": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }),
        )
        .await;
    assert_eq!(r.fields(), ["photos"]);
    let r = d
        .ok(
            &d.resident,
            id,
            "supplement",
            json!({ "note": "3单元5楼电梯口", "photos": [31] }),
        )
        .await;
    assert_eq!(r["status"], "assigned");
    assert!(
        r["content"].as_str().unwrap().ends_with("3单元5楼电梯口"),
        "{}",
        r["content"]
    );
    assert_eq!(r["photos"], json!([31]));
    // Both clocks start again from the supplement (Friday 10-30 10:00).
    assert_eq!(
        super::at(r["accept_due_at"].as_str().unwrap()),
        super::at("2026-11-02T10:00:00+08:00")
    );
    assert_eq!(
        super::at(r["resolve_due_at"].as_str().unwrap()),
        super::at("2026-11-10T10:00:00+08:00")
    );
    d.ok(&d.power_staff, id, "accept", json!({})).await;
}

#[tokio::test]
async fn extensions_are_asked_once_at_a_time_and_decided_by_a_community_admin() {
    let d = desk().await;
    d.at("2026-09-21T10:00:00+08:00");
    let id = d.report(d.outage).await;
    d.ok(&d.admin, id, "assign", json!({})).await;
    // Only once accepted.
    let r = d
        .act(
            &d.power_staff,
            id,
            "extension",
            json!({ "reason": "需更换设备", "working_days": 15 }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "INVALID_TRANSITION"));
    d.ok(&d.power_staff, id, "accept", json!({})).await;
    for bad in [
        json!({ "reason": "需更换设备", "working_days": 16 }),
        json!({ "reason": "需更换设备", "working_days": 7 }),
    ] {
        let r = d.act(&d.power_staff, id, "extension", bad).await;
        assert_eq!(r.fields(), ["working_days"]);
    }
    let r = d.act(&d.power_staff, id, "extension", json!({})).await;
    assert_eq!(r.fields(), ["reason", "working_days"]);
    // The reporter and other departments may not ask.
    assert_eq!(
        d.act(
            &d.resident,
            id,
            "extension",
            json!({ "reason": "x", "working_days": 10 })
        )
        .await
        .status,
        403
    );
    d.ok(
        &d.power_staff,
        id,
        "extension",
        json!({ "reason": "需更换设备", "working_days": 10 }),
    )
    .await;
    let r = d
        .act(
            &d.power_staff,
            id,
            "extension",
            json!({ "reason": "再延", "working_days": 12 }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "EXTENSION_NOT_ALLOWED")
    );
    // Staff do not decide; the admin does.
    assert_eq!(
        d.act(
            &d.power_head,
            id,
            "extension/decide",
            json!({ "approve": true })
        )
        .await
        .status,
        403
    );
    let r = d.act(&d.admin, id, "extension/decide", json!({})).await;
    assert_eq!(r.fields(), ["approve"]);
    let r = d
        .ok(
            &d.admin,
            id,
            "extension/decide",
            json!({ "approve": false, "note": "七天内可完成" }),
        )
        .await;
    assert_eq!(r["extension"]["state"], "rejected");
    // Still 7 working days: 09-22..24, 09-28..30, 10-08 (after 中秋 and 国庆).
    assert_eq!(
        super::at(r["resolve_due_at"].as_str().unwrap()),
        super::at("2026-10-08T10:00:00+08:00")
    );
    // Rejected: may ask once more; approved: never again.
    d.ok(
        &d.power_staff,
        id,
        "extension",
        json!({ "reason": "设备到货延迟", "working_days": 15 }),
    )
    .await;
    let r = d
        .ok(&d.admin, id, "extension/decide", json!({ "approve": true }))
        .await;
    assert_eq!(r["extension"]["state"], "approved");
    assert_eq!(
        super::at(r["resolve_due_at"].as_str().unwrap()),
        super::at("2026-10-19T10:00:00+08:00")
    );
    let r = d
        .act(&d.admin, id, "extension/decide", json!({ "approve": true }))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "INVALID_TRANSITION"));
    let r = d
        .act(
            &d.power_staff,
            id,
            "extension",
            json!({ "reason": "还要延", "working_days": 15 }),
        )
        .await;
    assert_eq!(r.code(), "EXTENSION_NOT_ALLOWED");
    let kinds = d.kinds(&d.resident, id).await;
    assert_eq!(
        kinds,
        [
            "submitted",
            "assigned",
            "accepted",
            "extension_requested",
            "extension_rejected",
            "extension_requested",
            "extension_approved"
        ]
    );
}

#[tokio::test]
async fn reporters_urge_at_most_once_a_day_even_all_at_once() {
    let d = desk().await;
    d.at("2026-09-21T10:00:00+08:00");
    let id = d.report(d.outage).await;
    assert_eq!(d.act(&d.admin, id, "urge", json!({})).await.status, 403);
    // Ten urges at once: one goes through.
    let replies = join_all((0..10).map(|_| d.act(&d.resident, id, "urge", json!({})))).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    let refused = replies.iter().find(|r| r.status == 429).unwrap();
    assert_eq!(refused.code(), "URGED_TODAY");
    // Until local midnight: 14 hours.
    assert_eq!(refused.headers["retry-after"], "50400");
    d.at("2026-09-21T23:59:59+08:00");
    assert_eq!(d.act(&d.resident, id, "urge", json!({})).await.status, 429);
    d.at("2026-09-22T00:00:00+08:00");
    let r = d.ok(&d.resident, id, "urge", json!({})).await;
    assert_eq!(r["urge_count"], 2);
    // The handler's supervisor sees the urges on the board.
    assert_eq!(
        ids(&d
            .app
            .get("/admin/requests?urged=true", Some(&d.admin))
            .await),
        vec![id]
    );
    let timeline = d.detail(&d.admin, id).await.body["timeline"].clone();
    assert_eq!(
        timeline
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "urged")
            .count(),
        2
    );
    // Once with the department, its head sees the urges too.
    d.ok(&d.admin, id, "assign", json!({})).await;
    assert_eq!(
        ids(&d
            .app
            .get("/me/request-queue?urged=true", Some(&d.power_head))
            .await),
        vec![id]
    );
    // Nothing left to urge once resolved.
    d.ok(&d.power_staff, id, "accept", json!({})).await;
    d.ok(&d.power_staff, id, "resolve", json!({ "note": "已恢复" }))
        .await;
    d.at("2026-09-23T09:00:00+08:00");
    let r = d.act(&d.resident, id, "urge", json!({})).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "INVALID_TRANSITION"));
}

#[tokio::test]
async fn a_resolved_request_is_reopened_once_within_seven_days_and_rated_once() {
    let d = desk().await;
    d.at("2026-09-21T10:00:00+08:00");
    let id = d.report(d.outage).await;
    d.ok(&d.admin, id, "assign", json!({})).await;
    d.ok(&d.power_staff, id, "accept", json!({})).await;
    let r = d.act(&d.resident, id, "rate", json!({ "rating": 5 })).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "INVALID_TRANSITION"),
        "not resolved yet"
    );
    d.ok(&d.power_staff, id, "resolve", json!({ "note": "已恢复" }))
        .await;
    let r = d
        .act(
            &d.resident,
            id,
            "rate",
            json!({ "rating": 6, "comment": "好" }),
        )
        .await;
    assert_eq!(r.fields(), ["rating"]);
    d.ok(
        &d.resident,
        id,
        "rate",
        json!({ "rating": 2, "comment": "第二天又停了" }),
    )
    .await;
    let r = d.act(&d.resident, id, "rate", json!({ "rating": 1 })).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "ALREADY_RATED"));

    // Within 7 days: back to the same handler, rating cleared.
    d.at("2026-09-27T10:00:00+08:00");
    assert_eq!(
        d.act(
            &d.power_staff,
            id,
            "reopen",
            json!({ "reason": "又停电了" })
        )
        .await
        .status,
        403
    );
    let r = d
        .ok(&d.resident, id, "reopen", json!({ "reason": "又停电了" }))
        .await;
    assert_eq!(r["status"], "accepted");
    assert_eq!(r["department_id"], d.power);
    assert_eq!(
        (r["rating"].clone(), r["resolved_at"].clone()),
        (json!(null), json!(null))
    );
    assert_eq!(r["reopen_count"], 1);
    d.ok(
        &d.power_staff,
        id,
        "resolve",
        json!({ "note": "更换了电缆" }),
    )
    .await;
    let r = d
        .act(&d.resident, id, "reopen", json!({ "reason": "还是不行" }))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "REOPEN_NOT_ALLOWED"),
        "once only"
    );

    // Another request, resolved, and reopened 8 days later: too late.
    let late = d.report(d.outage).await;
    d.ok(&d.admin, late, "assign", json!({})).await;
    d.ok(&d.power_staff, late, "accept", json!({})).await;
    d.ok(&d.power_staff, late, "resolve", json!({ "note": "已恢复" }))
        .await;
    d.at("2026-10-05T10:00:01+08:00");
    let r = d
        .act(&d.resident, late, "reopen", json!({ "reason": "又坏了" }))
        .await;
    assert_eq!(r.code(), "REOPEN_NOT_ALLOWED");
}

#[tokio::test]
async fn an_unrated_resolution_counts_as_satisfied_after_48_hours() {
    let d = desk().await;
    d.at("2026-09-21T10:00:00+08:00");
    let id = d.report(d.outage).await;
    d.ok(&d.admin, id, "assign", json!({})).await;
    d.ok(&d.power_staff, id, "accept", json!({})).await;
    d.ok(&d.power_staff, id, "resolve", json!({ "note": "已恢复" }))
        .await;
    d.at("2026-09-23T09:59:59+08:00");
    assert_eq!(d.sweep().await.auto_rated, 0);
    d.at("2026-09-23T10:00:00+08:00");
    assert_eq!(d.sweep().await.auto_rated, 1);
    assert_eq!(d.sweep().await.auto_rated, 0, "once");
    let r = d.detail(&d.resident, id).await.body;
    assert_eq!(
        (
            r["status"].as_str(),
            r["rating"].as_i64(),
            r["rating_auto"].as_bool()
        ),
        (Some("closed"), Some(5), Some(true))
    );
    assert_eq!(
        d.act(&d.resident, id, "rate", json!({ "rating": 3 }))
            .await
            .code(),
        "ALREADY_RATED"
    );
    // The reporter may still reopen it within the week.
    d.ok(&d.resident, id, "reopen", json!({ "reason": "又停了" }))
        .await;
}

#[tokio::test]
async fn only_one_of_two_racing_handlers_accepts() {
    let d = desk().await;
    d.at("2026-09-21T10:00:00+08:00");
    let id = d.report(d.outage).await;
    d.ok(&d.admin, id, "assign", json!({})).await;
    let (a, b) = tokio::join!(
        d.act(&d.power_staff, id, "accept", json!({})),
        d.act(&d.power_head, id, "accept", json!({})),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    let kinds = d.kinds(&d.resident, id).await;
    assert_eq!(kinds.iter().filter(|k| *k == "accepted").count(), 1);
}

#[tokio::test]
async fn a_reporter_withdraws_until_it_is_resolved() {
    let d = desk().await;
    d.at("2026-09-21T10:00:00+08:00");
    let id = d.report(d.outage).await;
    assert_eq!(d.act(&d.admin, id, "withdraw", json!({})).await.status, 403);
    let r = d.ok(&d.resident, id, "withdraw", json!({})).await;
    assert_eq!(
        (r["status"].as_str(), r["due_at"].clone()),
        (Some("withdrawn"), json!(null))
    );
    assert_eq!(
        d.act(&d.admin, id, "assign", json!({})).await.code(),
        "INVALID_TRANSITION"
    );
    assert_eq!(
        d.act(&d.resident, id, "withdraw", json!({})).await.code(),
        "INVALID_TRANSITION"
    );
}
