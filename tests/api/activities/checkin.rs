//! Check-in by each method (replayed and expired codes refused), no-shows,
//! reminders exactly once, attendance figures.

use chrono::{TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};

use super::{Fix, first_session, fixture};

async fn signed_up(fix: &Fix, session: i64, openid: &str) -> (String, Value) {
    let (token, _) = fix.resident(openid).await;
    let r = fix
        .app
        .post(
            &format!("/activity-sessions/{session}/signups"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    (token, r.body)
}

#[tokio::test]
async fn check_in_by_each_method_refuses_replays_and_expired_codes() {
    let fix = fixture().await;
    fix.app
        .state
        .clock
        .set(Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap());
    let activity = fix.publish(2, json!({ "capacity": 5, "points": 10 })).await;
    let session = first_session(&activity);
    let (a, sa) = signed_up(&fix, session, "ci-a").await;
    let (b, _) = signed_up(&fix, session, "ci-b").await;
    let (c, sc) = signed_up(&fix, session, "ci-c").await;
    let (d, _) = fix.resident("ci-d").await;
    assert_eq!(sa["points"], 10);

    // 1. The organiser scans A's one-time code; the same code again is refused.
    let code = fix
        .app
        .get(&format!("/me/signups/{}", sa["id"]), Some(&a))
        .await
        .body["checkin_code"]
        .as_str()
        .expect("a code while confirmed")
        .to_owned();
    let path = format!("/activity-sessions/{session}/check-ins");
    let r = fix
        .app
        .post(&path, Some(&fix.admin), json!({ "code": code }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "attended");
    assert_eq!(r.body["checkin_method"], "code");
    let replay = fix
        .app
        .post(&path, Some(&fix.admin), json!({ "code": code }))
        .await;
    assert_eq!(replay.status, 409);
    assert_eq!(replay.code(), "CHECKIN_CODE_INVALID");
    let junk = fix
        .app
        .post(&path, Some(&fix.admin), json!({ "code": "S1-00000000" }))
        .await;
    assert_eq!(junk.code(), "CHECKIN_CODE_INVALID");
    // A resident cannot scan codes for the organiser.
    assert_eq!(
        fix.app
            .post(&path, Some(&b), json!({ "code": code }))
            .await
            .status,
        403
    );

    // 2. B scans the session's rotating code within 60 s; an older one is expired.
    let shown = fix
        .app
        .get(
            &format!("/activity-sessions/{session}/checkin-code"),
            Some(&fix.admin),
        )
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    let rotating = shown.body["code"].as_str().expect("code").to_owned();
    assert_eq!(
        fix.app
            .get(
                &format!("/activity-sessions/{session}/checkin-code"),
                Some(&b)
            )
            .await
            .status,
        403
    );
    let self_path = format!("/activity-sessions/{session}/self-check-in");
    fix.app.state.clock.advance(TimeDelta::seconds(61));
    let late = fix
        .app
        .post(&self_path, Some(&b), json!({ "code": rotating }))
        .await;
    assert_eq!(late.status, 409);
    assert_eq!(late.code(), "CHECKIN_CODE_EXPIRED");
    let fresh = fix
        .app
        .get(
            &format!("/activity-sessions/{session}/checkin-code"),
            Some(&fix.admin),
        )
        .await
        .body["code"]
        .as_str()
        .expect("code")
        .to_owned();
    // The fresh code with its last character changed (never to itself).
    let last = if fresh.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &fresh[..fresh.len() - 1]);
    let r = fix
        .app
        .post(&self_path, Some(&b), json!({ "code": forged }))
        .await;
    assert_eq!(r.code(), "CHECKIN_CODE_INVALID");
    let r = fix
        .app
        .post(&self_path, Some(&b), json!({ "code": fresh }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body[0]["status"], "attended");
    assert_eq!(r.body[0]["checkin_method"], "scan");
    let again = fix
        .app
        .post(&self_path, Some(&b), json!({ "code": fresh }))
        .await;
    assert_eq!(again.code(), "ALREADY_CHECKED_IN");
    // D holds no place in the session.
    let r = fix
        .app
        .post(&self_path, Some(&d), json!({ "code": fresh }))
        .await;
    assert_eq!(r.status, 404);

    // 3. The roster: C is ticked by hand.
    let r = fix
        .app
        .post(
            &format!("/signups/{}/attend", sc["id"]),
            Some(&fix.admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["checkin_method"], "roster");
    let r = fix
        .app
        .post(
            &format!("/signups/{}/attend", sc["id"]),
            Some(&fix.admin),
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "ALREADY_CHECKED_IN");

    // Attending earned each of A, B and C the activity's 10 points, once,
    // by the community's `activity_attended` rule; D, who held no place, none.
    for (who, token) in [("A", &a), ("B", &b), ("C", &c)] {
        let p = fix.app.get("/me/points", Some(token)).await;
        assert_eq!(p.status, 200, "{}", p.text);
        assert_eq!(p.body["balances"][0]["balance"], 10, "{who}: {}", p.text);
        let ledger = fix.app.get("/me/points/ledger", Some(token)).await;
        assert_eq!(ledger.status, 200, "{}", ledger.text);
        assert_eq!(ledger.body["total"], 1, "{who}: {}", ledger.text);
        assert_eq!(
            ledger.body["items"][0]["source"], "activity",
            "{}",
            ledger.text
        );
    }
    let none = fix.app.get("/me/points", Some(&d)).await;
    assert_eq!(none.body["balances"], json!([]), "{}", none.text);
    let roster = fix
        .app
        .get(
            &format!("/activity-sessions/{session}/roster"),
            Some(&fix.admin),
        )
        .await;
    let statuses: Vec<&str> = roster
        .body
        .as_array()
        .expect("roster")
        .iter()
        .map(|s| s["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(statuses, ["attended", "attended", "attended"]);
}

#[tokio::test]
async fn reminders_go_out_once_each_and_no_shows_are_recorded() {
    let fix = fixture().await;
    let start = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
    fix.app.state.clock.set(start);
    let activity = fix.publish(30, json!({ "capacity": 2 })).await;
    let session = first_session(&activity);
    let (a, _) = signed_up(&fix, session, "rem-a").await;
    let (b, sb) = signed_up(&fix, session, "rem-b").await;
    let (w, _) = signed_up(&fix, session, "rem-w").await;
    let titles = |token: String| {
        let app = &fix.app;
        async move {
            let inbox = app.get("/me/messages", Some(&token)).await;
            inbox.body["items"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|m| m["title"].as_str().map(str::to_owned))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }
    };
    let sweep = || yizhan::activities::sweep::sweep(&fix.app.state);

    // 30 hours ahead: nothing due yet.
    sweep().await.expect("sweep");
    assert!(titles(a.clone()).await.is_empty());
    // 23 hours ahead: the day-before reminder, once however often the sweep runs.
    fix.app.state.clock.advance(TimeDelta::hours(7));
    sweep().await.expect("sweep");
    sweep().await.expect("sweep");
    assert_eq!(titles(a.clone()).await, ["活动明天开始"]);
    // 50 minutes ahead: the hour-before one.
    fix.app
        .state
        .clock
        .advance(TimeDelta::minutes(22 * 60 + 10));
    sweep().await.expect("sweep");
    sweep().await.expect("sweep");
    assert_eq!(titles(b.clone()).await, ["活动即将开始", "活动明天开始"]);
    assert!(
        titles(w.clone()).await.is_empty(),
        "the waiting list is not reminded"
    );

    // B checks in by roster; after the end A is a no-show, W's wait ends.
    let r = fix
        .app
        .post(
            &format!("/signups/{}/attend", sb["id"]),
            Some(&fix.admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    fix.app.state.clock.advance(TimeDelta::hours(3));
    sweep().await.expect("sweep");
    let mine = fix.app.get("/me/signups", Some(&a)).await;
    assert_eq!(mine.body["items"][0]["status"], "no_show");
    assert_eq!(mine.body["items"][0]["checkin_code"], Value::Null);
    let theirs = fix.app.get("/me/signups", Some(&w)).await;
    assert_eq!(theirs.body["items"][0]["status"], "cancelled");

    // Attendance: per activity, community and month.
    let r = fix
        .app
        .get(
            "/admin/activities/attendance?month=2027-03",
            Some(&fix.admin),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let expected =
        json!({ "sessions": 1, "signed_up": 2, "attended": 1, "no_show": 1, "waiting": 0 });
    assert_eq!(r.body["total"], expected);
    assert_eq!(r.body["by_activity"][0]["activity_id"], activity["id"]);
    assert_eq!(r.body["by_activity"][0]["attended"], 1);
    assert_eq!(r.body["by_community"][0]["community_id"], fix.community);
    assert_eq!(r.body["by_month"][0]["month"], "2027-03");
    let other = fix
        .app
        .get(
            "/admin/activities/attendance?month=2027-04",
            Some(&fix.admin),
        )
        .await;
    assert_eq!(other.body["total"]["sessions"], 0);
    let bad = fix
        .app
        .get(
            "/admin/activities/attendance?month=2027-13",
            Some(&fix.admin),
        )
        .await;
    assert_eq!(bad.status, 400);
    // The dashboard counts the same participation.
    let stats = fix
        .app
        .get(
            &format!("/admin/stats?community_id={}", fix.community),
            Some(&fix.admin),
        )
        .await;
    assert_eq!(stats.body["activity_signups"], 2, "{}", stats.text);
    assert_eq!(stats.body["activity_attended"], 1);
    assert_eq!(stats.body["activity_no_shows"], 1);
    // Another community's admin sees none of it.
    let (other_c, _, _) = fix.app.community_with_building(&fix.platform, "别处").await;
    let other_admin = fix.app.community_admin(&fix.platform, &[other_c]).await;
    let r = fix
        .app
        .get("/admin/activities/attendance", Some(&other_admin))
        .await;
    assert_eq!(r.body["total"]["sessions"], 0);
}
