//! Publishing (who, and a timetable across a month boundary and a holiday),
//! the age and community rules, and guardians signing up family members.

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::{first_session, fixture};

#[tokio::test]
async fn a_weekly_timetable_crosses_the_month_and_skips_the_holiday() {
    let fix = fixture().await;
    fix.app
        .state
        .clock
        .set(Utc.with_ymd_and_hms(2026, 12, 20, 0, 0, 0).unwrap());
    let body = json!({
        "community_id": fix.community,
        "title": "四点半驿站",
        "place": "社区书屋",
        "capacity": 20,
        "schedule": {
            "weekdays": [1, 2, 3, 4, 5],
            "start_time": "16:30",
            "end_time": "18:00",
            "first_date": "2026-12-30",
            "last_date": "2027-01-05",
            "skip_dates": ["2027-01-01"],
        },
        "points": 5,
    });
    let r = fix.app.post("/activities", Some(&fix.admin), body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let starts: Vec<&str> = r.body["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        starts,
        [
            "2026-12-30T08:30:00Z",
            "2026-12-31T08:30:00Z",
            "2027-01-04T08:30:00Z",
            "2027-01-05T08:30:00Z",
        ]
    );
    assert_eq!(r.body["session_count"], 4);
    assert_eq!(r.body["points"], 5);
    assert_eq!(r.body["sessions"][0]["capacity"], 20);
    // Sign-up closes at the first session by default.
    assert_eq!(r.body["signup_closes_at"], "2026-12-30T08:30:00Z");

    let list = fix
        .app
        .get(&format!("/activities?community_id={}", fix.community), None)
        .await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(
        list.body["items"][0]["sessions"][0]["starts_at"],
        "2026-12-30T08:30:00Z"
    );
}

#[tokio::test]
async fn publishing_is_for_admins_and_authorised_organisers_and_names_bad_fields() {
    let fix = fixture().await;
    let (resident, resident_id) = fix.resident("org").await;
    // Authorization before validation: a resident is 403 whatever the body.
    let r = fix
        .app
        .post(
            "/activities",
            Some(&resident),
            json!({ "community_id": fix.community }),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);

    let bad = json!({
        "community_id": fix.community,
        "title": "",
        "place": "x",
        "capacity": 0,
        "min_age": 70,
        "max_age": 60,
        "schedule": { "weekdays": [8], "start_time": "18:00", "end_time": "17:00",
                      "first_date": "2027-01-01", "last_date": "2027-01-31" },
    });
    let r = fix.app.post("/activities", Some(&fix.admin), bad).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let fields = r.fields();
    for f in [
        "title",
        "capacity",
        "max_age",
        "schedule.weekdays",
        "schedule.end_time",
    ] {
        assert!(fields.contains(&f.to_owned()), "{f} in {fields:?}");
    }
    let list = fix.app.get("/activities", None).await;
    assert_eq!(list.body["total"], 0, "nothing half-written");

    // Another community's admin may not publish here.
    let (other, _, _) = fix
        .app
        .community_with_building(&fix.platform, "别的社区")
        .await;
    let other_admin = fix.app.community_admin(&fix.platform, &[other]).await;
    let r = fix
        .app
        .post(
            "/activities",
            Some(&other_admin),
            json!({ "community_id": fix.community, "title": "x", "place": "y", "capacity": 1,
                    "schedule": { "starts_at": "2030-01-01T08:00:00Z", "ends_at": "2030-01-01T09:00:00Z" } }),
        )
        .await;
    assert_eq!(r.status, 403);

    // Once authorised, the organisation publishes and runs the roster.
    let r = fix
        .app
        .post(
            &format!("/admin/communities/{}/activity-organisers", fix.community),
            Some(&fix.admin),
            json!({ "user_id": resident_id, "name": "实验小学" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = fix
        .app
        .post(
            "/activities",
            Some(&resident),
            json!({ "community_id": fix.community, "title": "科普课堂", "place": "学校", "capacity": 10,
                    "schedule": { "starts_at": "2030-01-01T08:00:00Z", "ends_at": "2030-01-01T09:00:00Z" } }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let session = first_session(&r.body);
    let roster = fix
        .app
        .get(
            &format!("/activity-sessions/{session}/roster"),
            Some(&resident),
        )
        .await;
    assert_eq!(roster.status, 200);
    let roster = fix
        .app
        .get(
            &format!("/activity-sessions/{session}/roster"),
            Some(&other_admin),
        )
        .await;
    assert_eq!(roster.status, 403);
}

#[tokio::test]
async fn age_and_community_rules_with_guardians_and_verified_birth_dates() {
    let fix = fixture().await;
    let kids = fix
        .publish(
            48,
            json!({ "title": "书法天地", "min_age": 6, "max_age": 12 }),
        )
        .await;
    let elders = fix
        .publish(48, json!({ "title": "健康义诊", "min_age": 60 }))
        .await;
    let (parent, _) = fix.resident("parent").await;
    let kids_path = format!("/activity-sessions/{}/signups", first_session(&kids));
    let elders_path = format!("/activity-sessions/{}/signups", first_session(&elders));

    // The parent themselves: no verified age, refused.
    let r = fix.app.post(&kids_path, Some(&parent), json!({})).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "NOT_ELIGIBLE");
    assert_eq!(r.body["error"]["details"]["reason"], "age_unverified");

    // A registered child of 8 is signed up by their guardian; a toddler is not.
    let year = fix
        .app
        .state
        .clock
        .now()
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap_or(2026);
    let child = fix
        .app
        .post(
            "/me/family-members",
            Some(&parent),
            json!({ "name": "小明", "birth_year": year - 8, "relation": "child" }),
        )
        .await;
    assert_eq!(child.status, 201, "{}", child.text);
    let toddler = fix
        .app
        .post(
            "/me/family-members",
            Some(&parent),
            json!({ "name": "小小", "birth_year": year - 2, "relation": "child" }),
        )
        .await;
    let r = fix
        .app
        .post(
            &kids_path,
            Some(&parent),
            json!({ "family_member_id": child.body["id"] }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["participant_name"], "小明");
    assert_eq!(r.body["status"], "confirmed");
    let r = fix
        .app
        .post(
            &kids_path,
            Some(&parent),
            json!({ "family_member_id": toddler.body["id"] }),
        )
        .await;
    assert_eq!(r.body["error"]["details"]["reason"], "age");
    // Someone else's family member is not theirs to sign up.
    let (stranger, _) = fix.resident("stranger").await;
    let r = fix
        .app
        .post(
            &kids_path,
            Some(&stranger),
            json!({ "family_member_id": child.body["id"] }),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "FAMILY_MEMBER_NOT_FOUND");
    let bad = fix
        .app
        .post(
            "/me/family-members",
            Some(&parent),
            json!({ "name": "", "birth_year": 1800, "relation": "child" }),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.fields(), ["name", "birth_year"]);

    // An elder's birth date verified by the admin: 60+ may join the health day.
    let (elder, elder_id) = fix.resident("elder").await;
    let r = fix
        .app
        .call(
            reqwest::Method::PUT,
            &format!("/residents/{elder_id}/birth-date"),
            Some(&stranger),
            Some(json!({ "birth_date": "1950-03-01" })),
        )
        .await;
    assert_eq!(r.status, 403, "a neighbour cannot vouch");
    let r = fix
        .app
        .call(
            reqwest::Method::PUT,
            &format!("/residents/{elder_id}/birth-date"),
            Some(&fix.admin),
            Some(json!({ "birth_date": "1950-03-01" })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        fix.app
            .post(&elders_path, Some(&elder), json!({}))
            .await
            .status,
        201
    );
    assert_eq!(
        fix.app.post(&kids_path, Some(&elder), json!({})).await.body["error"]["details"]["reason"],
        "age"
    );

    // A resident of another community is refused.
    let (_, _, far_building) = fix
        .app
        .community_with_building(&fix.platform, "远方社区")
        .await;
    let (far, _, _) = fix.app.resident("far").await;
    fix.app.bind_building(&far, far_building).await;
    let open = fix.publish(48, json!({ "title": "电影之夜" })).await;
    let r = fix
        .app
        .post(
            &format!("/activity-sessions/{}/signups", first_session(&open)),
            Some(&far),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["error"]["details"]["reason"], "community");
}
