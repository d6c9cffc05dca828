//! Deadlines on the working-day calendar, and the overdue sweep.

use entity::{inbox_message, request_event, request_notification};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use super::{at, desk, desk_on};
use crate::support::spawn_sibling;

#[tokio::test]
async fn the_whole_flow_runs_on_working_days_across_a_holiday_and_an_adjusted_weekend() {
    let d = desk().await;
    // Thursday 2026-09-24, 09:30 in Shanghai. Friday is 中秋, then the
    // weekend, then three working days, then 国庆 (10-01..07), then the
    // Saturday 10-10 worked in exchange.
    d.at("2026-09-24T09:30:00+08:00");
    let id = d.report(d.outage).await;
    let r = d.detail(&d.resident, id).await.body;
    assert_eq!(r["status"], "submitted");
    assert_eq!(r["level"], "community", "the community's queue");
    // 1 working day to assign: Friday is a holiday, so Monday 09:30.
    assert_eq!(
        at(r["assign_due_at"].as_str().unwrap()),
        at("2026-09-28T09:30:00+08:00")
    );
    assert_eq!(r["due_at"], r["assign_due_at"]);
    // 7 working days to resolve: 9-28, 9-29, 9-30, 10-08, 10-09, 10-10 (a
    // Saturday worked), 10-12.
    assert_eq!(
        at(r["resolve_due_at"].as_str().unwrap()),
        at("2026-10-12T09:30:00+08:00")
    );

    // Assigned on Friday (a holiday): 1 working day to accept runs from the
    // next working morning, to the end of Monday.
    d.at("2026-09-25T11:00:00+08:00");
    let r = d.ok(&d.admin, id, "assign", json!({})).await;
    assert_eq!(r["status"], "assigned");
    assert_eq!(r["level"], "department");
    assert_eq!(
        r["department_id"], d.power,
        "the category's department by default"
    );
    assert_eq!(
        at(r["accept_due_at"].as_str().unwrap()),
        at("2026-09-29T00:00:00+08:00")
    );

    d.at("2026-09-28T16:00:00+08:00");
    let r = d.ok(&d.power_staff, id, "accept", json!({})).await;
    assert_eq!(r["status"], "accepted");
    assert_eq!(r["due_at"], r["resolve_due_at"], "the resolve clock runs");
    assert_eq!(r["overdue"], false);

    // Resolved on the adjusted working Saturday, before the deadline.
    d.at("2026-10-10T15:00:00+08:00");
    assert_eq!(d.sweep().await.escalated, 0, "no clock ran out");
    let r = d
        .ok(
            &d.power_staff,
            id,
            "resolve",
            json!({ "note": "已更换线路，恢复供电", "photos": [11, 12] }),
        )
        .await;
    assert_eq!(r["status"], "resolved");
    assert_eq!(r["on_time"], true);
    assert_eq!(r["resolution_photos"], json!([11, 12]));
    assert_eq!(r["due_at"], json!(null));

    let r = d
        .ok(
            &d.resident,
            id,
            "rate",
            json!({ "rating": 5, "comment": "很及时" }),
        )
        .await;
    assert_eq!(r["status"], "closed");
    assert_eq!(r["rating"], 5);
    assert_eq!(
        d.kinds(&d.resident, id).await,
        ["submitted", "assigned", "accepted", "resolved", "rated"]
    );
}

#[tokio::test]
async fn grid_level_requests_go_to_the_grid_with_three_working_days() {
    let d = desk().await;
    // Friday 17:00: the Sunday after (09-20) is a working day.
    d.at("2026-09-18T17:00:00+08:00");
    let id = d.report(d.clutter).await;
    let r = d.detail(&d.resident, id).await.body;
    assert_eq!(r["status"], "assigned", "网格接单: no community queue");
    assert_eq!(r["level"], "grid");
    assert_eq!(
        at(r["accept_due_at"].as_str().unwrap()),
        at("2026-09-20T17:00:00+08:00")
    );
    assert_eq!(
        at(r["resolve_due_at"].as_str().unwrap()),
        at("2026-09-22T17:00:00+08:00")
    );
    assert_eq!(d.kinds(&d.resident, id).await, ["submitted", "assigned"]);
    // The grid worker works it; the departments do not.
    assert_eq!(
        d.act(&d.power_staff, id, "accept", json!({})).await.status,
        404
    );
    d.ok(&d.worker, id, "accept", json!({})).await;
    // Resolved on Wednesday: a day late.
    d.at("2026-09-23T10:00:00+08:00");
    let r = d
        .ok(&d.worker, id, "resolve", json!({ "note": "已清理" }))
        .await;
    assert_eq!(r["on_time"], false);
}

#[tokio::test]
async fn a_late_clock_marks_the_request_overdue_the_moment_it_runs_out() {
    let d = desk().await;
    d.at("2026-09-21T10:00:00+08:00");
    let id = d.report(d.outage).await;
    d.at("2026-09-22T09:59:59+08:00");
    assert_eq!(d.detail(&d.resident, id).await.body["overdue"], false);
    let board = d
        .app
        .get("/admin/requests?overdue=true", Some(&d.admin))
        .await;
    assert_eq!(super::ids(&board), Vec::<i64>::new());
    d.at("2026-09-22T10:00:00+08:00");
    assert_eq!(d.detail(&d.resident, id).await.body["overdue"], true);
    let board = d
        .app
        .get("/admin/requests?overdue=true", Some(&d.admin))
        .await;
    assert_eq!(super::ids(&board), vec![id]);
    let board = d
        .app
        .get("/admin/requests?overdue=false", Some(&d.admin))
        .await;
    assert_eq!(super::ids(&board), Vec::<i64>::new());
    assert_eq!(d.sweep().await.escalated, 1);
    let r = d.detail(&d.admin, id).await.body;
    assert_eq!(r["escalation"], "community");
}

#[tokio::test]
async fn each_late_clock_escalates_exactly_once_with_two_instances_sweeping() {
    let d = desk().await;
    let sibling = spawn_sibling(&d.app).await;
    let both = |when: &str| {
        d.app.state.clock.set(at(when));
        sibling.state.clock.set(at(when));
    };
    both("2026-09-21T10:00:00+08:00");
    let ids: Vec<i64> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(d.report(d.outage).await);
        }
        v
    };
    // The assign clock runs out for all three: both instances sweep at once, twice.
    both("2026-09-23T10:00:00+08:00");
    let sweep = |app: &crate::support::TestApp| {
        let state = app.state.clone();
        async move {
            yizhan::requests::sweep::run(&state.db, yizhan::requests::Ctx::of(&state))
                .await
                .unwrap()
                .escalated
        }
    };
    let (a, b) = tokio::join!(sweep(&d.app), sweep(&sibling));
    let (c, e) = tokio::join!(sweep(&d.app), sweep(&sibling));
    assert_eq!(a + b + c + e, 3, "one escalation per request in all");
    for &id in &ids {
        let r = d.detail(&d.admin, id).await.body;
        assert_eq!(r["escalation"], "community");
        let kinds = d.kinds(&d.resident, id).await;
        assert_eq!(kinds, ["submitted", "overdue", "escalated"], "{id}");
    }
    // The reporter is owed one message per escalation.
    let owed = request_notification::Entity::find()
        .filter(request_notification::Column::RequestId.is_in(ids.clone()))
        .count(&d.app.db)
        .await
        .unwrap();
    assert_eq!(owed, 3);
    // Whoever must act (the community's admins, supervising the community
    // queue) gets one inbox item per escalation, however many swept.
    let admin_id = d.app.get("/me", Some(&d.admin)).await.body["id"]
        .as_i64()
        .unwrap();
    let escalations = inbox_message::Entity::find()
        .filter(inbox_message::Column::UserId.eq(admin_id))
        .filter(inbox_message::Column::Title.eq("诉求已督办"))
        .all(&d.app.db)
        .await
        .unwrap();
    assert_eq!(escalations.len(), 3);
    let mut about: Vec<i64> = escalations
        .iter()
        .map(|m| m.target.as_ref().unwrap()["id"].as_i64().unwrap())
        .collect();
    about.sort_unstable();
    assert_eq!(about, ids);

    // Assigned late: the accept clock runs out too, one step up.
    both("2026-09-23T11:00:00+08:00");
    d.ok(&d.admin, ids[0], "assign", json!({})).await;
    assert_eq!(d.detail(&d.admin, ids[0]).await.body["overdue"], false);
    both("2026-09-24T11:00:00+08:00");
    let (a, b) = tokio::join!(sweep(&d.app), sweep(&sibling));
    assert_eq!(a + b, 1);
    let r = d.detail(&d.power_head, ids[0]).await.body;
    assert_eq!(r["escalation"], "department_head");
    // At the top, a third late clock is recorded but escalates no further.
    d.ok(&d.power_staff, ids[0], "accept", json!({})).await;
    both("2026-10-30T11:00:00+08:00");
    let (a, b) = tokio::join!(sweep(&d.app), sweep(&sibling));
    assert_eq!(
        a + b,
        1,
        "only the first request's resolve clock ran out anew; the others' late assign clocks were claimed already"
    );
    let events = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(ids[0]))
        .all(&d.app.db)
        .await
        .unwrap();
    let count = |k: &str| events.iter().filter(|e| e.kind == k).count();
    assert_eq!((count("overdue"), count("escalated")), (3, 2));
}

#[tokio::test]
async fn an_approved_extension_moves_the_resolve_deadline_to_fifteen_working_days() {
    let d = desk().await;
    d.at("2026-09-21T10:00:00+08:00");
    let id = d.report(d.outage).await;
    d.ok(&d.admin, id, "assign", json!({})).await;
    d.ok(&d.power_staff, id, "accept", json!({})).await;
    let r = d
        .ok(
            &d.power_staff,
            id,
            "extension",
            json!({ "reason": "需更换变压器", "working_days": 15 }),
        )
        .await;
    assert_eq!(r["extension"]["state"], "pending");
    let r = d
        .ok(&d.admin, id, "extension/decide", json!({ "approve": true }))
        .await;
    assert_eq!(r["extension"]["state"], "approved");
    // 15 working days from Monday 09-21: 09-22..24 (3), 09-28..30 (6),
    // 10-08..10 (9, the Saturday worked), 10-12..16 (14), 10-19 (15).
    assert_eq!(
        at(r["resolve_due_at"].as_str().unwrap()),
        at("2026-10-19T10:00:00+08:00")
    );
    assert_eq!(r["due_at"], r["resolve_due_at"]);
}

#[tokio::test]
async fn start_up_refuses_a_calendar_without_the_current_year() {
    let dir =
        std::env::temp_dir().join(format!("yizhan-holidays-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("2031.toml"), "year = 2031\nholidays = []\n").unwrap();
    let mut settings = crate::support::test_settings();
    settings.database.url = crate::support::fresh_database_url().await.into();
    settings.calendar.holidays_dir = Some(dir.clone());
    let err = match yizhan::startup::Application::build(settings).await {
        Ok(_) => panic!("started without this year's calendar"),
        Err(err) => err.to_string(),
    };
    assert!(err.contains("no holiday calendar for"), "{err}");
    std::fs::remove_dir_all(dir).ok();
    // The shipped calendars start (every other test runs on them).
    let app = super::quiet().await;
    desk_on(app).await;
}
