//! The console's after-sales and activities pages (issue 19, part A) in a
//! real browser against the real server: a merchant approves a refund from
//! the after-sales desk and rejects another (its empty reason's field error
//! first), an admin decides the escalated one; an admin publishes an
//! activity from the form (the API's field errors next to the fields
//! first), ticks a participant on the session's roster, reads attendance 1,
//! publishes a weekly class (the timetable's errors under its fields first),
//! authorises an organisation that then may publish,
//! and verifies a resident's birth date from the users directory. Each step
//! is checked through the API afterwards.

use chrono::{Datelike, Duration, Local, Timelike, Utc, Weekday};
use entity::verified_birth_date;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use yizhan::admins::{AdminScope, create_admin_account};

use crate::browser::{self, Browser};
use crate::console_browser::{console_app, sign_in, town};
use crate::console_pages::merchant_signs_in;
use crate::shop::after_sales::completed_pickup;

/// The row of a list whose cell carries `data-{attr}='{id}'`, then a button in it.
fn row_button(attr: &str, id: impl std::fmt::Display, action: &str) -> String {
    format!("//tr[.//*[@data-{attr}='{id}']]//button[@data-action='{action}']")
}

/// A local time as the date pickers take it.
fn picker_time(offset: Duration) -> String {
    (Local::now() + offset).format("%Y-%m-%d %H:%M").to_string()
}

fn status_of(list: &Value, id: i64) -> Value {
    list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|a| a["id"] == id))
        .map(|a| a["status"].clone())
        .unwrap_or(Value::Null)
}

async fn logout(b: &Browser) {
    b.click("[data-account]").await;
    b.click("[data-action=logout]").await;
    b.find("[data-field=username] input").await;
}

#[tokio::test]
async fn a_merchant_answers_refunds_from_the_after_sales_desk_and_an_admin_decides_an_escalation() {
    let s = crate::shop::shop().await;
    let app = &s.app;
    let Some(b) = browser::open(&app.base).await else {
        return;
    };
    let m = s.merchant;
    // Two completed orders (2 x 12.50 each), each with a refund asked for.
    let (approved_no, _) = completed_pickup(&s, &[(s.goods, 2)]).await;
    let (rejected_no, _) = completed_pickup(&s, &[(s.goods, 2)]).await;
    let mut ids = Vec::new();
    for (no, reason) in [(&approved_no, "橙子有坏果"), (&rejected_no, "不想要了")] {
        let r = app
            .post(
                &format!("/orders/{no}/after-sales"),
                Some(&s.resident),
                json!({ "amount": "25.00", "reason": reason }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        ids.push(r.body["id"].as_i64().unwrap());
    }
    let (approved, rejected) = (ids[0], ids[1]);
    let desk = |status: &str| format!("/merchants/{m}/after-sales?status={status}");

    merchant_signs_in(&b, app, &s.owner).await;
    b.click(&format!("[data-menu='/shops/{m}/after-sales']"))
        .await;
    b.wait_text(".list-table", "橙子有坏果").await;
    // The status filter lives in the URL.
    b.choose("[data-filter=status]", "待商户处理").await;
    b.wait_path(&format!("/console/shops/{m}/after-sales?status=requested"))
        .await;
    b.find(&format!("[data-after-sale='{rejected}']")).await;

    // Approve after a confirmation: an offline order's refund is handed back at once.
    b.click_x(&row_button("after-sale", approved, "approve"))
        .await;
    b.confirm("同意退款").await;
    b.wait_text(".el-message", "已同意退款").await;
    let listed = app.get(&desk("refunded"), Some(&s.owner)).await;
    assert_eq!(listed.body["total"], 1, "{}", listed.text);
    assert_eq!(listed.body["items"][0]["id"], approved);
    assert_eq!(listed.body["items"][0]["decided_by"], "merchant");
    // The resident's order shows it refunded.
    let cards = app.get("/me/orders", Some(&s.resident)).await;
    let card = cards.body["items"]
        .as_array()
        .and_then(|c| c.iter().find(|o| o["order_no"] == approved_no.as_str()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(card["after_sale_status"], "refunded", "{}", cards.text);

    // Reject: the empty reason's field error first, nothing changed; then with a reason.
    b.click_x(&row_button("after-sale", rejected, "reject"))
        .await;
    b.click("[data-dialog=reject-after-sale] [data-action=submit]")
        .await;
    b.find("[data-dialog=reject-after-sale] [data-field=reason] .el-form-item__error")
        .await;
    let still = app.get(&desk("requested"), Some(&s.owner)).await;
    assert_eq!(
        status_of(&still.body, rejected),
        "requested",
        "nothing changed"
    );
    b.fill(
        "[data-dialog=reject-after-sale] [data-field=reason] textarea",
        "商品已开封，不影响二次销售才可退",
    )
    .await;
    b.click("[data-dialog=reject-after-sale] [data-action=submit]")
        .await;
    b.wait_text(".el-message", "已拒绝退款").await;
    b.wait_text(".list-table", "没有售后申请").await;
    b.goto(&format!("/console/shops/{m}/after-sales")).await;
    b.wait_text(".list-table", "已退款").await;
    b.wait_text(".list-table", "商户已拒绝").await;
    b.shot("after-sales").await;
    let all = app
        .get(&format!("/merchants/{m}/after-sales"), Some(&s.owner))
        .await;
    assert_eq!(status_of(&all.body, rejected), "rejected", "{}", all.text);
    assert_eq!(status_of(&all.body, approved), "refunded", "{}", all.text);

    // The resident escalates; a platform admin approves it from the arbitration queue.
    let r = app
        .post(
            &format!("/after-sales/{rejected}/escalate"),
            Some(&s.resident),
            json!({ "reason": "包装未拆，商家拒退" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    create_admin_account(
        &app.db,
        "console_arbiter",
        "arbiter-pass-1",
        AdminScope::Platform,
    )
    .await
    .unwrap();
    logout(&b).await;
    sign_in(&b, "console_arbiter", "arbiter-pass-1").await;
    b.click("[data-menu='/after-sales']").await;
    b.wait_text(".list-table", "包装未拆，商家拒退").await;
    // The queue shows escalated requests only: the refunded one is not there.
    assert!(
        b.visible_texts(&format!("[data-after-sale='{approved}']"))
            .await
            .is_empty()
    );
    b.click_x(&row_button("after-sale", rejected, "approve"))
        .await;
    b.fill(
        "[data-dialog=admin-approve] [data-field=reason] textarea",
        "包装完好，支持退款",
    )
    .await;
    b.click("[data-dialog=admin-approve] [data-action=submit]")
        .await;
    b.wait_text(".el-message", "已同意退款").await;
    b.wait_text(".list-table", "没有待仲裁的售后申请").await;
    let decided = app
        .get(
            &format!("/orders/{rejected_no}/after-sales"),
            Some(&s.resident),
        )
        .await;
    assert_eq!(decided.body[0]["status"], "refunded", "{}", decided.text);
    assert_eq!(decided.body[0]["decided_by"], "admin");
    assert_eq!(decided.body[0]["admin_reason"], "包装完好，支持退款");
    b.close().await;
}

#[tokio::test]
async fn an_admin_publishes_an_activity_ticks_the_roster_and_reads_attendance() {
    let app = console_app().await;
    let Some(b) = browser::open(&app.base).await else {
        return;
    };
    let t = town(&app, "和平社区", "heping_admin").await;
    let (resident, resident_id, _) = app.resident("paper-cut").await;
    app.bind_building(&resident, t.buildings[0]).await;
    sign_in(&b, &t.admin_user, "community-pass-1").await;

    // The form: submitted empty, the API's field errors land next to their fields.
    b.click("[data-menu='/activities']").await;
    b.wait_text(".list-table", "还没有活动").await;
    b.click("[data-action=publish]").await;
    b.wait_text(
        "[data-dialog=activity] [data-field=community_id] .el-select__selected-item",
        "和平社区",
    )
    .await;
    b.click("[data-dialog=activity] [data-action=submit]").await;
    b.find("[data-dialog=activity] [data-field=title] .el-form-item__error")
        .await;
    let errors: Vec<String> = b
        .field_errors("[data-dialog=activity]")
        .await
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    for field in ["title", "place", "schedule"] {
        assert!(errors.iter().any(|f| f == field), "{field}: {errors:?}");
    }
    let none = app.get("/admin/activities", Some(&t.platform)).await;
    assert_eq!(none.body["total"], 0, "nothing published: {}", none.text);
    // A session that ends before it starts: the error under the end time.
    b.fill(
        "[data-dialog=activity] [data-field=title] input",
        "剪纸乐园",
    )
    .await;
    b.fill(
        "[data-dialog=activity] [data-field=place] input",
        "社区活动室（二楼）",
    )
    .await;
    b.fill_date(
        "[data-dialog=activity] [data-field='schedule.starts_at'] input",
        &picker_time(Duration::days(3)),
    )
    .await;
    b.fill_date(
        "[data-dialog=activity] [data-field='schedule.ends_at'] input",
        &picker_time(Duration::days(3) - Duration::hours(1)),
    )
    .await;
    b.click("[data-dialog=activity] [data-action=submit]").await;
    b.wait_text(
        "[data-dialog=activity] [data-field='schedule.ends_at'] .el-form-item__error",
        "结束时间须晚于开始时间",
    )
    .await;
    b.fill_date(
        "[data-dialog=activity] [data-field='schedule.ends_at'] input",
        &picker_time(Duration::days(3) + Duration::hours(2)),
    )
    .await;
    b.fill("[data-dialog=activity] [data-field=capacity] input", "20")
        .await;
    b.fill("[data-dialog=activity] [data-field=points] input", "5")
        .await;
    b.click("[data-dialog=activity] [data-action=submit]").await;
    b.wait_text(".el-message", "已发布「剪纸乐园」，共 1 场")
        .await;
    b.wait_text(".list-table", "剪纸乐园").await;

    let listed = app
        .get(
            &format!("/admin/activities?community_id={}", t.community),
            Some(&t.platform),
        )
        .await;
    assert_eq!(listed.body["total"], 1, "{}", listed.text);
    let activity = &listed.body["items"][0];
    assert_eq!(activity["place"], "社区活动室（二楼）");
    assert_eq!(activity["capacity"], 20);
    assert_eq!(activity["points"], 5);
    assert_eq!(activity["session_count"], 1);
    let activity_id = activity["id"].as_i64().unwrap();
    let session = activity["sessions"][0]["id"].as_i64().unwrap();

    // A resident signs up (in the mini-program); the list shows the place taken.
    let signed = app
        .post(
            &format!("/activity-sessions/{session}/signups"),
            Some(&resident),
            json!({}),
        )
        .await;
    assert_eq!(signed.status, 201, "{}", signed.text);
    assert_eq!(signed.body["status"], "confirmed");
    let signup = signed.body["id"].as_i64().unwrap();
    b.click("[data-action=reload]").await;
    b.wait_text(".list-table", "1 / 20").await;
    b.shot("activities").await;

    // The roster: tick the participant.
    b.click_x(&row_button("activity", activity_id, "sessions"))
        .await;
    b.wait_path(&format!("/console/activities/{activity_id}"))
        .await;
    b.wait_text(&format!("[data-roster='{session}']"), "居民paper-cut")
        .await;
    b.click_x(&row_button("signup", signup, "attend")).await;
    b.wait_text(".el-message", "已签到").await;
    b.wait_text(&format!("[data-roster='{session}']"), "已签到")
        .await;
    b.wait_text(&format!("[data-roster='{session}']"), "名单勾选")
        .await;
    // The rotating code for residents to check themselves in.
    b.click_x(&row_button("session", session, "checkin-code"))
        .await;
    let code = b
        .find("[data-dialog=checkin-code] [data-code]")
        .await
        .attr("data-code")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(code.starts_with(&format!("{session}.")), "{code}");
    b.click("[data-dialog=checkin-code] .el-dialog__headerbtn")
        .await;
    b.gone("[data-dialog=checkin-code] [data-code]").await;
    b.shot("activity-roster").await;
    let roster = app
        .get(
            &format!("/activity-sessions/{session}/roster"),
            Some(&t.platform),
        )
        .await;
    assert_eq!(roster.body[0]["status"], "attended", "{}", roster.text);
    assert_eq!(roster.body[0]["checkin_method"], "roster");

    // Attendance: 1 attended, per activity and in the totals.
    b.goto("/console/activities/attendance").await;
    b.wait_text("[data-total=attended]", "1").await;
    b.wait_text(".list-table", "剪纸乐园").await;
    let row = b.wait_text(".list-table .el-table__row", "剪纸乐园").await;
    assert!(row.contains("100%"), "{row}");
    b.shot("attendance").await;
    let figures = app
        .get(
            &format!("/admin/activities/attendance?community_id={}", t.community),
            Some(&t.platform),
        )
        .await;
    assert_eq!(figures.body["total"]["attended"], 1, "{}", figures.text);
    assert_eq!(figures.body["by_activity"][0]["attended"], 1);

    // A weekly class over four weeks (China Standard Time): one session each Tuesday.
    let today = (Utc::now() + Duration::hours(8)).date_naive();
    let (first, last) = (today + Duration::days(1), today + Duration::days(28));
    let tuesdays = first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| d.weekday() == Weekday::Tue)
        .count();
    b.goto("/console/activities").await;
    b.click("[data-action=publish]").await;
    b.fill(
        "[data-dialog=activity] [data-field=title] input",
        "书法周课",
    )
    .await;
    b.fill(
        "[data-dialog=activity] [data-field=place] input",
        "老年活动中心",
    )
    .await;
    b.click("[data-dialog=activity] [data-mode=weekly]").await;
    // Nothing of the timetable given: each missing part named under its field.
    b.click("[data-dialog=activity] [data-action=submit]").await;
    b.find("[data-dialog=activity] [data-field='schedule.weekdays'] .el-form-item__error")
        .await;
    let errors: Vec<String> = b
        .field_errors("[data-dialog=activity]")
        .await
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    for field in [
        "schedule.start_time",
        "schedule.first_date",
        "schedule.last_date",
    ] {
        assert!(errors.iter().any(|f| f == field), "{field}: {errors:?}");
    }
    b.choose(
        "[data-dialog=activity] [data-field='schedule.weekdays']",
        "周二",
    )
    .await;
    b.fill(
        "[data-dialog=activity] [data-field='schedule.start_time'] input",
        "09:00",
    )
    .await;
    b.fill(
        "[data-dialog=activity] [data-field='schedule.end_time'] input",
        "10:30",
    )
    .await;
    b.fill_date(
        "[data-dialog=activity] [data-field='schedule.first_date'] input",
        &first.to_string(),
    )
    .await;
    b.fill_date(
        "[data-dialog=activity] [data-field='schedule.last_date'] input",
        &last.to_string(),
    )
    .await;
    b.click("[data-dialog=activity] [data-action=submit]").await;
    b.wait_text(
        ".el-message",
        &format!("已发布「书法周课」，共 {tuesdays} 场"),
    )
    .await;
    let listed = app.get("/admin/activities", Some(&t.platform)).await;
    let weekly = listed.body["items"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["title"] == "书法周课"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(weekly["session_count"], tuesdays, "{}", listed.text);
    let detail = app
        .get(&format!("/activities/{}", weekly["id"]), Some(&t.platform))
        .await;
    for s in detail.body["sessions"].as_array().unwrap() {
        let starts: chrono::DateTime<Utc> = s["starts_at"].as_str().unwrap().parse().unwrap();
        let cst = starts + Duration::hours(8);
        assert_eq!(
            (cst.weekday(), cst.hour(), cst.minute()),
            (Weekday::Tue, 9, 0),
            "{s}"
        );
    }

    // An organisation authorised from the list (its empty name refused first) may publish.
    let (school, school_id, _) = app.resident("school").await;
    let now = Utc::now();
    let reading = json!({
        "community_id": t.community, "title": "亲子阅读", "place": "学校图书馆", "capacity": 10,
        "schedule": { "starts_at": now + Duration::days(2), "ends_at": now + Duration::days(2) + Duration::hours(1) },
    });
    let refused = app
        .post("/activities", Some(&school), reading.clone())
        .await;
    assert_eq!(refused.status, 403, "not yet authorised: {}", refused.text);
    b.goto("/console/activities").await;
    b.click("[data-action=add-organiser]").await;
    b.fill(
        "[data-dialog=organiser] [data-field=user_id] input",
        &school_id.to_string(),
    )
    .await;
    b.click("[data-dialog=organiser] [data-action=submit]")
        .await;
    b.find("[data-dialog=organiser] [data-field=name] .el-form-item__error")
        .await;
    b.fill(
        "[data-dialog=organiser] [data-field=name] input",
        "实验小学",
    )
    .await;
    b.click("[data-dialog=organiser] [data-action=submit]")
        .await;
    b.wait_text(".el-message", "已授权「实验小学」").await;
    let by_school = app.post("/activities", Some(&school), reading).await;
    assert_eq!(by_school.status, 201, "{}", by_school.text);

    // The users directory: verify the resident's birth date (the empty date refused first).
    b.goto("/console/users?nickname=paper-cut").await;
    b.wait_text(".list-table", "居民paper-cut").await;
    b.click_x(&row_button("user", resident_id, "verify-birth-date"))
        .await;
    b.click("[data-dialog=birth-date] [data-action=submit]")
        .await;
    b.find("[data-dialog=birth-date] [data-field=birth_date] .el-form-item__error")
        .await;
    b.fill_date(
        "[data-dialog=birth-date] [data-field=birth_date] input",
        "1950-03-02",
    )
    .await;
    b.click("[data-dialog=birth-date] [data-action=submit]")
        .await;
    b.wait_text(".el-message", "已核验出生日期：1950-03-02")
        .await;
    let verified = verified_birth_date::Entity::find_by_id(resident_id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("a verified birth date");
    assert_eq!(verified.birth_date.to_string(), "1950-03-02");
    b.close().await;
}
