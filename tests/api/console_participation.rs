//! The 居民参与 pages of the console in a real browser against the real
//! server: a community admin edits an item of the points rule book and awards
//! a resident (who then holds the points), approves a wish, builds and opens
//! a survey (its field errors shown first, nothing created), reads its
//! results, takes down a reported odd job, registers an employer
//! organisation, adds a lending point and a tool, hands over and takes back
//! a tool loan (the return's missing condition refused first), and runs the
//! 爱心超市 counter. Every step is checked through the API afterwards.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::browser::{self, Browser};
use crate::console_browser::{Town, console_app, sign_in, town};
use crate::support::TestApp;

/// The row of a list whose cell carries `data-{attr}='{id}'`, then a button in it.
fn row_button(attr: &str, id: impl std::fmt::Display, action: &str) -> String {
    format!("//tr[.//*[@data-{attr}='{id}']]//button[@data-action='{action}']")
}

/// A resident of the town's first building: (token, id).
async fn resident_of(app: &TestApp, t: &Town, openid: &str) -> (String, i64) {
    let (token, id, _) = app.resident(openid).await;
    app.bind_building(&token, t.buildings[0]).await;
    (token, id)
}

async fn admin_session(app: &TestApp, t: &Town) -> Option<Browser> {
    let b = browser::open(&app.base).await?;
    sign_in(&b, &t.admin_user, "community-pass-1").await;
    Some(b)
}

fn balance(me_points: &Value, community: i64) -> Option<i64> {
    me_points["balances"]
        .as_array()?
        .iter()
        .find(|b| b["community_id"] == community)
        .and_then(|b| b["balance"].as_i64())
}

#[tokio::test]
async fn an_admin_edits_the_rule_book_awards_points_and_approves_a_wish() {
    let app = console_app().await;
    let t = town(&app, "积分社区", "points_admin").await;
    let c = t.community;
    let (resident, resident_id) = resident_of(&app, &t, "volunteer-wang").await;
    let Some(b) = admin_session(&app, &t).await else {
        return;
    };

    // The rule book: the default items, one edited.
    b.click("[data-menu='/points']").await;
    let book = app
        .get(
            &format!("/admin/points/rules?community_id={c}"),
            Some(&t.platform),
        )
        .await;
    assert_eq!(book.status, 200, "{}", book.text);
    let rule = book.body[0].clone();
    let rule_id = rule["id"].as_i64().unwrap();
    let rule_name = rule["name"].as_str().unwrap().to_owned();
    b.wait_text(".list-table", &rule_name).await;
    b.click_x(&row_button("rule", rule_id, "edit")).await;
    b.fill("[data-dialog=rule] [data-field=points] input", "7")
        .await;
    b.fill("[data-dialog=rule] [data-field=monthly_cap] input", "30")
        .await;
    b.click("[data-dialog=rule] [data-action=submit]").await;
    b.wait_text(".el-message", "已保存").await;
    b.wait_text(&format!("[data-rule-points='{rule_id}']"), "7")
        .await;
    let book = app
        .get(
            &format!("/admin/points/rules?community_id={c}"),
            Some(&t.platform),
        )
        .await;
    let edited = book
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == rule_id)
        .cloned()
        .unwrap();
    assert_eq!(
        (edited["points"].clone(), edited["monthly_cap"].clone()),
        (json!(7), json!(30)),
        "{edited}"
    );

    // Awarding the resident for a service under that item.
    b.click("[data-action=award]").await;
    b.choose(
        "[data-dialog=award] [data-field=user_id]",
        "居民volunteer-wang",
    )
    .await;
    b.choose(
        "[data-dialog=award] [data-field=rule_id]",
        &format!("{rule_name}（7 分）"),
    )
    .await;
    b.fill("[data-dialog=award] [data-field=hours] input", "2")
        .await;
    b.fill(
        "[data-dialog=award] [data-field=note] textarea",
        "协助打扫楼道",
    )
    .await;
    b.click("[data-dialog=award] [data-action=submit]").await;
    b.wait_text(".el-message", "已发放 7 积分").await;
    b.wait_text(".list-table", "协助打扫楼道").await;
    b.wait_text("[data-points-totals]", "7").await;
    b.shot("points").await;
    let mine = app.get("/me/points", Some(&resident)).await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(balance(&mine.body, c), Some(7), "{}", mine.text);
    let ledger = app.get("/me/points/ledger", Some(&resident)).await;
    assert_eq!(ledger.body["items"][0]["minutes"], 120, "{}", ledger.text);
    assert_eq!(
        ledger.body["items"][0]["rule_id"], rule_id,
        "{}",
        ledger.text
    );
    assert_eq!(ledger.body["items"][0]["user_id"], resident_id);

    // The wish wall's review queue: approve, then find it on the wall.
    let posted = app
        .post(
            "/wishes",
            Some(&resident),
            json!({ "title": "想要一副老花镜", "content": "看报纸看不清了", "category": "goods" }),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.text);
    let wish = posted.body["id"].as_i64().unwrap();
    b.click("[data-menu='/wishes']").await;
    b.wait_text(".list-table", "想要一副老花镜").await;
    b.click_x(&row_button("wish", wish, "approve")).await;
    b.wait_text(".el-message", "已上心愿墙").await;
    b.wait_text(".list-table", "没有这个状态的心愿").await;
    let w = app.get(&format!("/wishes/{wish}"), Some(&resident)).await;
    assert_eq!(w.body["status"], "open", "{}", w.text);
    b.choose("[data-filter=status]", "心愿墙上").await;
    b.wait_path("/console/wishes?status=open").await;
    b.wait_text(".list-table", "想要一副老花镜").await;
    b.shot("wishes").await;
    b.close().await;
}

#[tokio::test]
async fn an_admin_builds_and_opens_a_survey_and_takes_down_a_reported_job() {
    let app = console_app().await;
    let t = town(&app, "幸福社区", "survey_admin").await;
    let c = t.community;
    let (resident, _) = resident_of(&app, &t, "survey-li").await;
    let Some(b) = admin_session(&app, &t).await else {
        return;
    };

    // The builder: a choice question with one option and no title are refused first.
    b.click("[data-menu='/surveys']").await;
    b.click("[data-action=create-survey]").await;
    b.click("[data-dialog=survey] [data-action=add-single]")
        .await;
    b.fill(
        "[data-dialog=survey] [data-question='1'] input[data-q-field=prompt]",
        "最常去的服务点",
    )
    .await;
    b.fill(
        "[data-dialog=survey] [data-question='1'] textarea[data-q-field=options]",
        "驿站",
    )
    .await;
    b.click("[data-dialog=survey] [data-action=submit]").await;
    b.find("[data-dialog=survey] [data-field=title] .el-form-item__error")
        .await;
    let errors = b.field_errors("[data-dialog=survey]").await;
    assert!(errors.iter().any(|(f, _)| f == "title"), "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|(f, m)| f == "questions" && m.contains("第 2 题选项")),
        "{errors:?}"
    );
    // The question at fault says so in its own box; the first one does not.
    b.wait_text(
        "[data-dialog=survey] [data-question-error='1']",
        "选项：须有",
    )
    .await;
    assert!(
        b.visible_texts("[data-dialog=survey] [data-question-error='0']")
            .await
            .is_empty()
    );
    b.shot("survey-errors").await;
    let none = app.get("/admin/surveys", Some(&t.platform)).await;
    assert_eq!(none.body["total"], 0, "{}", none.text);

    // Fixed, it opens to the community at once.
    b.fill(
        "[data-dialog=survey] [data-field=title] input",
        "2026年第四季度幸福指数",
    )
    .await;
    b.fill(
        "[data-dialog=survey] [data-question='1'] textarea[data-q-field=options]",
        "驿站\n卫生站",
    )
    .await;
    b.click("[data-dialog=survey] [data-action=submit]").await;
    b.wait_text(".el-message", "已创建").await;
    b.wait_text(".list-table", "2026年第四季度幸福指数").await;
    let listed = app.get("/admin/surveys", Some(&t.platform)).await;
    assert_eq!(listed.body["total"], 1, "{}", listed.text);
    let survey = listed.body["items"][0].clone();
    assert_eq!(survey["status"], "open", "{survey}");
    assert_eq!(survey["community_ids"], json!([c]));
    let kinds: Vec<&str> = survey["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["scale", "single"]);
    assert_eq!(survey["questions"][1]["options"], json!(["驿站", "卫生站"]));
    let sid = survey["id"].as_i64().unwrap();

    // A resident answers; the results show them.
    let q = |i: usize| survey["questions"][i]["id"].as_i64().unwrap();
    let answered = app
        .post(
            &format!("/surveys/{sid}/responses"),
            Some(&resident),
            json!({ "answers": [
                { "question_id": q(0), "scale": 4 },
                { "question_id": q(1), "choices": [1] },
            ]}),
        )
        .await;
    assert_eq!(answered.status, 201, "{}", answered.text);
    b.click_x(&row_button("survey", sid, "results")).await;
    b.wait_text("[data-dialog=survey-results]", "1 人参与")
        .await;
    let mean = b.text(&format!("[data-mean='{}']", q(0))).await;
    assert!(mean.contains("4.00"), "{mean}");
    b.shot("surveys").await;

    // A reported odd job, taken down with a reason after the confirming dialog.
    let (shop, merchant) = app.approved_merchant(&t.platform, &[c], "jobs-shop").await;
    let ends = Utc::now() + Duration::days(2);
    let posted = app
        .post(
            "/odd-jobs",
            Some(&merchant),
            json!({
                "merchant_id": shop, "title": "超市理货员", "requirements": "能搬重物",
                "pay": "25.50", "pay_unit": "hour", "place": "人民路1号",
                "starts_at": (ends - Duration::hours(4)).to_rfc3339(), "ends_at": ends.to_rfc3339(),
                "headcount": 2, "contact_name": "王店长", "contact_phone": "13800138000",
                "community_ids": [c]
            }),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.text);
    let job = posted.body["id"].as_i64().unwrap();
    let reported = app
        .post(
            &format!("/odd-jobs/{job}/reports"),
            Some(&resident),
            json!({ "reason": "要求先交押金" }),
        )
        .await;
    assert_eq!(reported.status, 201, "{}", reported.text);
    b.goto("/console/odd-jobs").await;
    b.wait_text(".list-table", "要求先交押金").await;
    b.wait_text(".list-table", "25.50 元/小时").await;
    b.shot("odd-jobs").await;
    b.click_x(&row_button("report-job", job, "take-down")).await;
    b.click("[data-dialog=take-down] [data-action=submit]")
        .await;
    b.find("[data-dialog=take-down] [data-field=reason] .el-form-item__error")
        .await;
    let still = app.get(&format!("/odd-jobs/{job}"), Some(&merchant)).await;
    assert_eq!(still.body["status"], "open", "{}", still.text);
    b.fill(
        "[data-dialog=take-down] [data-field=reason] textarea",
        "收取押金，违反规定",
    )
    .await;
    b.click("[data-dialog=take-down] [data-action=submit]")
        .await;
    b.wait_text(".el-message", "已下架").await;
    b.wait_text(".list-table", "已下架").await;
    let gone = app.get(&format!("/odd-jobs/{job}"), Some(&merchant)).await;
    assert_eq!(gone.body["status"], "taken_down", "{}", gone.text);
    assert_eq!(gone.body["takedown_reason"], "收取押金，违反规定");

    // An employer organisation registered here may post jobs for its community.
    let (org_user, _) = resident_of(&app, &t, "org-chen").await;
    b.click("[data-action=create-organisation]").await;
    b.fill(
        "[data-dialog=organisation] [data-field=name] input",
        "幸福物业服务中心",
    )
    .await;
    b.fill(
        "[data-dialog=organisation] [data-field=contact_phone] input",
        "13900139000",
    )
    .await;
    b.choose(
        "[data-dialog=organisation] [data-field=user_id]",
        "居民org-chen",
    )
    .await;
    b.click("[data-dialog=organisation] [data-action=submit]")
        .await;
    let said = b.wait_text(".el-message", "单位编号").await;
    let org: i64 = said
        .rsplit("单位编号 ")
        .next()
        .and_then(|s| s.trim_end_matches('）').parse().ok())
        .expect("the organisation's id in the message");
    let by_org = app
        .post(
            "/odd-jobs",
            Some(&org_user),
            json!({
                "organisation_id": org, "title": "小区绿化养护", "requirements": "会用修枝剪",
                "pay": "150.00", "pay_unit": "day", "place": "幸福社区",
                "starts_at": (ends - Duration::hours(8)).to_rfc3339(), "ends_at": ends.to_rfc3339(),
                "headcount": 1, "contact_name": "陈经理", "contact_phone": "13900139000",
                "community_ids": [c]
            }),
        )
        .await;
    assert_eq!(by_org.status, 201, "{}", by_org.text);
    b.close().await;
}

#[tokio::test]
async fn an_admin_lends_and_takes_back_a_tool_and_hands_over_a_shelf_item() {
    let app = console_app().await;
    let t = town(&app, "邻里社区", "lending_admin").await;
    let c = t.community;
    let admin = app.community_admin(&t.platform, &[c]).await;
    let (keeper, keeper_id) = resident_of(&app, &t, "keeper-zhao").await;
    let (resident, resident_id) = resident_of(&app, &t, "borrower-sun").await;
    let Some(b) = admin_session(&app, &t).await else {
        return;
    };

    // A lending point with its keeper picked from the directory, and a tool.
    b.click("[data-menu='/lending']").await;
    b.click("[data-action=create-point]").await;
    b.fill(
        "[data-dialog=lending-point] [data-field=name] input",
        "一号借用点",
    )
    .await;
    b.fill(
        "[data-dialog=lending-point] [data-field=address] input",
        "活动中心",
    )
    .await;
    b.choose(
        "[data-dialog=lending-point] [data-field=keeper_user_id]",
        "居民keeper-zhao",
    )
    .await;
    b.click("[data-dialog=lending-point] [data-action=submit]")
        .await;
    b.wait_text(".el-message", "已新增").await;
    let points = app
        .get(&format!("/lending-points?community_id={c}"), Some(&admin))
        .await;
    assert_eq!(points.body["total"], 1, "{}", points.text);
    assert_eq!(points.body["items"][0]["keeper_user_id"], keeper_id);
    let point = points.body["items"][0]["id"].as_i64().unwrap();
    b.click_x(&row_button("point", point, "manage")).await;
    b.wait_path(&format!("/console/lending?point={point}"))
        .await;
    b.click("[data-action=create-tool]").await;
    b.fill("[data-dialog=tool] [data-field=name] input", "电钻")
        .await;
    b.fill("[data-dialog=tool] [data-field=quantity] input", "1")
        .await;
    b.click("[data-dialog=tool] [data-action=submit]").await;
    b.wait_text(".el-message", "已添加").await;
    let tools = app
        .get(&format!("/lending-points/{point}/tools"), Some(&keeper))
        .await;
    assert_eq!(tools.body["total"], 1, "{}", tools.text);
    assert_eq!(tools.body["items"][0]["quantity"], 1);
    let tool = tools.body["items"][0]["id"].as_i64().unwrap();
    b.wait_text(&format!("[data-available='{tool}']"), "1 / 1")
        .await;

    // The resident reserves it for today; the keeper's desk hands it over.
    let today = yizhan::calendar::local_date(Utc::now())
        .format("%Y-%m-%d")
        .to_string();
    let loan = app
        .post(
            &format!("/lending-tools/{tool}/loans"),
            Some(&resident),
            json!({ "date": today }),
        )
        .await;
    assert_eq!(loan.status, 201, "{}", loan.text);
    let loan = loan.body["id"].as_i64().unwrap();
    b.goto(&format!("/console/lending?point={point}")).await;
    b.wait_text(&format!("[data-available='{tool}']"), "0 / 1")
        .await;
    b.click_x(&row_button("loan", loan, "hand-over")).await;
    b.fill(
        "[data-dialog=hand-over] [data-field=condition] textarea",
        "完好，附钻头三个",
    )
    .await;
    b.click("[data-dialog=hand-over] [data-action=submit]")
        .await;
    b.wait_text(".el-message", "已交付").await;
    let loans = |status: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.get(
                &format!("/lending-points/{point}/loans?status={status}"),
                Some(&admin),
            )
            .await
        }
    };
    let lent = loans("lent").await;
    assert_eq!(lent.body["total"], 1, "{}", lent.text);
    assert_eq!(
        lent.body["items"][0]["handover_condition"],
        "完好，附钻头三个"
    );

    // Taking it back needs its condition: refused first, nothing changed.
    b.click_x(&row_button("loan", loan, "take-back")).await;
    b.click("[data-dialog=take-back] [data-action=submit]")
        .await;
    b.find("[data-dialog=take-back] [data-field=condition] .el-form-item__error")
        .await;
    assert_eq!(loans("lent").await.body["total"], 1);
    b.fill(
        "[data-dialog=take-back] [data-field=condition] textarea",
        "钻头缺一个",
    )
    .await;
    b.click("[data-dialog=take-back] [data-action=submit]")
        .await;
    b.wait_text(".el-message", "已归还").await;
    b.wait_text(&format!("[data-available='{tool}']"), "1 / 1")
        .await;
    let returned = loans("returned").await;
    assert_eq!(returned.body["total"], 1, "{}", returned.text);
    assert_eq!(returned.body["items"][0]["return_condition"], "钻头缺一个");
    b.choose("[data-filter=status]", "已归还").await;
    b.wait_path(&format!("/console/lending?point={point}&o_status=returned"))
        .await;
    b.wait_text(".list-table", "钻头缺一个").await;
    b.shot("lending").await;

    // 爱心超市: an item put on the shelf here, redeemed by the resident, handed over by code.
    b.click("[data-menu='/shelf']").await;
    b.click("[data-action=create-item]").await;
    b.fill("[data-dialog=shelf-item] [data-field=name] input", "洗衣液")
        .await;
    b.fill(
        "[data-dialog=shelf-item] [data-field=price_points] input",
        "5",
    )
    .await;
    b.fill("[data-dialog=shelf-item] [data-field=stock] input", "3")
        .await;
    b.click("[data-dialog=shelf-item] [data-action=submit]")
        .await;
    b.wait_text(".el-message", "已保存").await;
    b.wait_text(".list-table", "洗衣液").await;
    let items = app
        .get(
            &format!("/admin/shelf/items?community_id={c}"),
            Some(&admin),
        )
        .await;
    assert_eq!(items.body["total"], 1, "{}", items.text);
    let item = items.body["items"][0].clone();
    assert_eq!(
        (item["price_points"].clone(), item["stock"].clone()),
        (json!(5), json!(3))
    );
    let item = item["id"].as_i64().unwrap();
    let rules = app
        .get(
            &format!("/admin/points/rules?community_id={c}"),
            Some(&admin),
        )
        .await;
    let rule = rules.body[0]["id"].as_i64().unwrap();
    let awarded = app
        .post(
            "/points/awards",
            Some(&admin),
            json!({ "user_id": resident_id, "rule_id": rule, "hours": 1 }),
        )
        .await;
    assert_eq!(awarded.status, 201, "{}", awarded.text);
    let redeemed = app
        .send(
            app.client
                .post(app.url(&format!("/shelf/items/{item}/redeem")))
                .bearer_auth(&resident)
                .header("Idempotency-Key", "console-redeem-1")
                .json(&json!({ "quantity": 1 })),
        )
        .await;
    assert_eq!(redeemed.status, 201, "{}", redeemed.text);
    let code = redeemed.body["pickup_code"].as_str().unwrap().to_owned();
    b.fill("input[data-input=shelf-pickup-code]", &code).await;
    b.click("[data-action=pickup]").await;
    b.confirm("确认交付").await;
    b.wait_text("[data-redemption]", "洗衣液").await;
    b.wait_text(&format!("[data-stock='{item}']"), "2").await;
    b.shot("shelf").await;
    let mine = app.get("/me/redemptions", Some(&resident)).await;
    assert_eq!(
        mine.body["items"][0]["status"], "picked_up",
        "{}",
        mine.text
    );
    // The code works once.
    let again = app
        .post(
            "/admin/shelf/pickups",
            Some(&admin),
            json!({ "pickup_code": code }),
        )
        .await;
    assert_eq!(again.code(), "PICKUP_CODE_INVALID", "{}", again.text);
    b.close().await;
}
