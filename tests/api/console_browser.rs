//! The console in a real browser (headless Chromium over WebDriver) against
//! the real server: an admin reviews and publishes, a merchant logs in by
//! scanning and runs the shop, field errors land next to their fields, and a
//! community admin sees only their own community. With UPDATE_SCREENSHOTS=1
//! the same runs save the README's screenshots.

use chrono::{Duration, Local, SubsecRound, Utc};
use reqwest::Method;
use serde_json::json;

use crate::browser::{self, Browser};
use crate::group_buys::{market, neighbour, open_campaign, reach_cut_off};
use crate::support::{TestApp, spawn_app_with};

pub(crate) async fn console_app() -> TestApp {
    spawn_app_with(|s| {
        s.jobs.sweep_interval_ms = 3_600_000;
        s.rate_limit.login_per_minute = 100_000;
    })
    .await
}

/// A community with two grids and three buildings, and its admin's login.
pub(crate) struct Town {
    pub platform: String,
    pub community: i64,
    pub buildings: Vec<i64>,
    pub admin_user: String,
}

pub(crate) async fn town(app: &TestApp, name: &str, admin_user: &str) -> Town {
    let platform = app.platform_admin().await;
    let (community, grid, b1) = app.community_with_building(&platform, name).await;
    let mut buildings = vec![b1];
    for (grid, building) in [(grid, "2号楼")] {
        let r = app
            .post(
                &format!("/admin/grids/{grid}/buildings"),
                Some(&platform),
                json!({ "name": building, "households": 80 }),
            )
            .await;
        buildings.push(r.body["id"].as_i64().unwrap());
    }
    let g2 = app
        .post(
            &format!("/admin/communities/{community}/grids"),
            Some(&platform),
            json!({ "name": "第二网格" }),
        )
        .await;
    let r = app
        .post(
            &format!("/admin/grids/{}/buildings", g2.body["id"]),
            Some(&platform),
            json!({ "name": "3号楼", "households": 60 }),
        )
        .await;
    buildings.push(r.body["id"].as_i64().unwrap());
    let r = app
        .post(
            "/admin/admins",
            Some(&platform),
            json!({ "username": admin_user, "password": "community-pass-1", "community_ids": [community] }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    Town {
        platform,
        community,
        buildings,
        admin_user: admin_user.to_owned(),
    }
}

pub(crate) async fn sign_in(b: &Browser, username: &str, password: &str) {
    b.goto("/console/").await;
    b.fill("[data-field=username] input", username).await;
    b.fill("[data-field=password] input", password).await;
    b.shot("login").await;
    b.click("[data-action=submit]").await;
    b.find(".side-menu").await;
}

/// A local time as the date pickers take it.
fn picker_time(offset: Duration) -> String {
    (Local::now() + offset).format("%Y-%m-%d %H:%M").to_string()
}

#[tokio::test]
async fn an_admin_reviews_an_application_and_publishes_a_water_outage_to_two_buildings() {
    let app = console_app().await;
    let Some(b) = browser::open(&app.base).await else {
        return;
    };
    let t = town(&app, "幸福社区", "xingfu_admin").await;
    let (applicant, _, _) = app.resident("applicant").await;
    let applied = app
        .post(
            "/merchant-applications",
            Some(&applicant),
            TestApp::application_body("老王水果店", &[t.community]),
        )
        .await;
    assert_eq!(applied.status, 201);

    sign_in(&b, &t.admin_user, "community-pass-1").await;
    // The dashboard is the first page, figures and charts included.
    b.find("[data-stat=registered_residents]").await;
    b.find("[data-chart=communities] canvas").await;

    b.click("[data-menu='/merchant-applications']").await;
    b.wait_text(".list-table", "老王水果店").await;
    b.shot("merchant-applications").await;
    b.click("[data-action=approve]").await;
    b.confirm("通过").await;
    b.wait_text(".el-message", "已通过").await;
    let mine = app.get("/me/merchant-applications", Some(&applicant)).await;
    assert_eq!(mine.body["items"][0]["status"], "approved");
    assert!(mine.body["items"][0]["merchant_id"].is_i64());
    // Approved ones leave the queue (the filter defaults to pending).
    b.wait_text(".list-table", "没有待处理的申请").await;

    b.click("[data-menu='/notices']").await;
    b.click("[data-action=compose]").await;
    b.choose("[data-dialog=notice] [data-field=kind]", "停水")
        .await;
    b.fill(
        "[data-dialog=notice] [data-field=title] input",
        "1号楼2号楼停水通知",
    )
    .await;
    b.fill(
        "[data-dialog=notice] [data-field=content] textarea",
        "因管网检修，明天 8:00-18:00 停水，请提前储水。",
    )
    .await;
    b.click(&format!(
        "[data-dialog=notice] [data-building='{}']",
        t.buildings[0]
    ))
    .await;
    b.click(&format!(
        "[data-dialog=notice] [data-building='{}']",
        t.buildings[1]
    ))
    .await;
    b.wait_text(
        "[data-dialog=notice] [data-field=building_ids]",
        "已选 2 栋楼",
    )
    .await;
    b.fill_date(
        "[data-dialog=notice] [data-field=starts_at] input",
        &picker_time(Duration::hours(20)),
    )
    .await;
    b.fill_date(
        "[data-dialog=notice] [data-field=ends_at] input",
        &picker_time(Duration::hours(30)),
    )
    .await;
    b.shot("notice-compose").await;
    b.click("[data-dialog=notice] [data-action=publish]").await;
    b.wait_text(".el-message", "已发布").await;
    let row = b
        .wait_text(".list-table .el-table__row", "1号楼2号楼停水通知")
        .await;
    assert!(
        row.contains("已发布") && row.contains("2 栋楼") && row.contains("停水"),
        "{row}"
    );

    let listed = app
        .get(
            &format!("/admin/notices?community_id={}", t.community),
            Some(&t.platform),
        )
        .await;
    let notice = &listed.body["items"][0];
    assert_eq!(notice["title"], "1号楼2号楼停水通知");
    assert_eq!(notice["status"], "published");
    assert_eq!(
        notice["building_ids"],
        json!([t.buildings[0], t.buildings[1]])
    );

    // A resident of 1号楼 reads it; the list shows the read.
    let (reader, _, _) = app.resident("reader").await;
    app.bind_building(&reader, t.buildings[0]).await;
    let read = app
        .get(&format!("/notices/{}", notice["id"]), Some(&reader))
        .await;
    assert_eq!(read.status, 200);
    b.click("[data-action=reload]").await;
    b.find(&format!("[data-notice='{}']", notice["id"])).await;
    b.find_x(
        "//tr[.//*[@data-notice]][contains(., '1号楼2号楼停水通知')]//*[@data-read-count='1']",
    )
    .await;
    b.shot("notices").await;

    // Filters live in the URL: a reload shows the same list.
    b.choose("[data-filter=status]", "已发布").await;
    b.wait_path("/console/notices?status=published").await;
    b.goto("/console/notices?status=published").await;
    b.wait_text("[data-filter=status]", "已发布").await;
    b.wait_text(".list-table", "1号楼2号楼停水通知").await;

    // The dashboard counts what just happened.
    b.click("[data-menu='/dashboard']").await;
    b.wait_text("[data-stat=notices_published]", "1").await;
    b.wait_text("[data-stat=active_merchants]", "1").await;
    b.find("[data-chart=communities] canvas").await;
    b.shot("dashboard").await;
    b.close().await;
}

#[tokio::test]
async fn a_merchant_logs_in_by_ticket_adds_goods_opens_a_group_buy_and_verifies_a_pickup() {
    let app = console_app().await;
    let Some(b) = browser::open(&app.base).await else {
        return;
    };
    let m = market(&app, 50).await;
    // An earlier campaign that succeeded: one order of 2 waits at the counter.
    let earlier = open_campaign(&app, &m, 10, 1, 5).await;
    let buyer = neighbour(&app, &m, "counter-buyer").await;
    let placed = app
        .post(
            &format!("/group-buys/{earlier}/orders"),
            Some(&buyer),
            json!({ "quantity": 2 }),
        )
        .await;
    assert_eq!(placed.status, 201);
    reach_cut_off(&app, earlier).await;
    yizhan::group_buys::settlement::sweep(&app.db, &app.state_cache())
        .await
        .unwrap();
    let order_no = placed.body["order_no"].as_str().unwrap().to_owned();
    let code = app
        .get(&format!("/orders/{order_no}"), Some(&buyer))
        .await
        .body["pickup_code"]
        .as_str()
        .unwrap()
        .to_owned();

    // 扫码登录: the console shows a code; the mini-program confirms its ticket.
    b.goto("/console/login?tab=scan").await;
    let img = b.find("img[data-ticket]").await;
    let ticket = img.attr("data-ticket").await.unwrap().unwrap();
    b.shot("scan-login").await;
    let confirmed = app
        .call(
            Method::POST,
            &format!("/console/login-tickets/{ticket}/confirm"),
            Some(&m.owner),
            None,
        )
        .await;
    assert_eq!(confirmed.status, 204, "{}", confirmed.text);
    b.find(".side-menu").await;
    b.wait_path(&format!("/console/shops/{}/orders", m.merchant_id))
        .await;
    // The session survives a reload (the refresh cookie), and the ticket is spent.
    b.goto(&format!("/console/shops/{}/goods", m.merchant_id))
        .await;
    b.wait_text(".list-table", "赣南脐橙").await;

    b.click("[data-action=create-goods]").await;
    b.click("[data-dialog=goods] [data-field=category_id] .el-cascader")
        .await;
    b.click_x("//li[contains(@class,'el-cascader-node')][contains(., '果蔬生鲜')]")
        .await;
    b.click_x("//li[contains(@class,'el-cascader-node')][contains(., '时令水果')]")
        .await;
    b.fill(
        "[data-dialog=goods] [data-field=name] input",
        "阳光玫瑰葡萄",
    )
    .await;
    b.fill("[data-dialog=goods] [data-field=price] input", "25.80")
        .await;
    b.fill("[data-dialog=goods] [data-field=stock] input", "40")
        .await;
    b.click("[data-dialog=goods] [data-action=submit]").await;
    b.wait_text(".el-message", "已保存").await;
    b.wait_text(".list-table", "阳光玫瑰葡萄").await;
    b.shot("goods").await;
    let goods = app
        .get(
            &format!("/merchants/{}/goods?status=on_shelf", m.merchant_id),
            Some(&m.owner),
        )
        .await;
    let grape = goods.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "阳光玫瑰葡萄")
        .unwrap();
    assert_eq!(
        (grape["price"].as_str(), grape["stock"].as_i64()),
        (Some("25.80"), Some(40))
    );

    b.click(&format!(
        "[data-menu='/shops/{}/group-buys']",
        m.merchant_id
    ))
    .await;
    b.click("[data-action=create-group-buy]").await;
    b.choose(
        "[data-dialog=group-buy] [data-field=goods_id]",
        "阳光玫瑰葡萄",
    )
    .await;
    b.fill(
        "[data-dialog=group-buy] [data-field=title] input",
        "葡萄社区团",
    )
    .await;
    b.fill(
        "[data-dialog=group-buy] [data-field=group_price] input",
        "19.90",
    )
    .await;
    b.fill(
        "[data-dialog=group-buy] [data-field=total_quantity] input",
        "30",
    )
    .await;
    b.fill(
        "[data-dialog=group-buy] [data-field=pickup_address] input",
        "社区服务中心一楼",
    )
    .await;
    b.click("[data-dialog=group-buy] [data-action=submit]")
        .await;
    b.wait_text(".el-message", "已发起").await;
    let row = b
        .wait_text(".list-table .el-table__row", "葡萄社区团")
        .await;
    assert!(
        row.contains("进行中") && row.contains("0 / 成团 10"),
        "{row}"
    );
    b.shot("group-buys").await;
    let mine = app
        .get(
            &format!("/merchants/{}/group-buys?status=ongoing", m.merchant_id),
            Some(&m.owner),
        )
        .await;
    assert_eq!(mine.body["items"][0]["title"], "葡萄社区团");
    assert_eq!(mine.body["items"][0]["total_quantity"], 30);

    // The counter: a wrong code is refused, the right one shows the order first.
    b.click(&format!("[data-menu='/shops/{}/orders']", m.merchant_id))
        .await;
    b.fill("input[data-input=pickup-code]", "00000000").await;
    b.click("[data-action=look-up]").await;
    b.wait_text(".pickup-error", "提货码无效或已使用").await;
    b.fill("input[data-input=pickup-code]", &code).await;
    b.click("[data-action=look-up]").await;
    let found = b.wait_text(".pickup-found", &order_no).await;
    assert!(
        found.contains("脐橙团购") && found.contains("居民counter-buyer"),
        "{found}"
    );
    b.shot("pickup").await;
    assert_eq!(
        app.get(&format!("/orders/{order_no}"), Some(&buyer))
            .await
            .body["status"],
        "awaiting_pickup"
    );
    b.click("[data-action=hand-over]").await;
    b.wait_text(".pickup-done", &order_no).await;
    assert_eq!(
        app.get(&format!("/orders/{order_no}"), Some(&buyer))
            .await
            .body["status"],
        "picked_up"
    );
    b.close().await;
}

#[tokio::test]
async fn field_errors_from_the_api_appear_next_to_their_fields() {
    let app = console_app().await;
    let Some(b) = browser::open(&app.base).await else {
        return;
    };
    let m = market(&app, 50).await;
    b.goto("/console/login?tab=scan").await;
    let ticket = b
        .find("img[data-ticket]")
        .await
        .attr("data-ticket")
        .await
        .unwrap()
        .unwrap();
    app.call(
        Method::POST,
        &format!("/console/login-tickets/{ticket}/confirm"),
        Some(&m.owner),
        None,
    )
    .await;
    b.find(".side-menu").await;
    b.goto(&format!("/console/shops/{}/goods", m.merchant_id))
        .await;
    b.click("[data-action=create-goods]").await;
    b.click("[data-dialog=goods] [data-field=category_id] .el-cascader")
        .await;
    b.click_x("//li[contains(@class,'el-cascader-node')][contains(., '果蔬生鲜')]")
        .await;
    b.click_x("//li[contains(@class,'el-cascader-node')][contains(., '时令水果')]")
        .await;
    b.fill("[data-dialog=goods] [data-field=price] input", "12.345")
        .await;
    b.fill(
        "[data-dialog=goods] [data-field=images] textarea",
        "http://insecure.example/a.png",
    )
    .await;
    b.click("[data-dialog=goods] [data-action=submit]").await;
    b.wait_text(
        "[data-dialog=goods] [data-field=price] .el-form-item__error",
        "两位小数",
    )
    .await;
    let errors = b.field_errors("[data-dialog=goods]").await;
    let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(fields, vec!["name", "price", "images"], "{errors:?}");
    b.shot("field-errors").await;
    let listed = app
        .get(
            &format!("/merchants/{}/goods", m.merchant_id),
            Some(&m.owner),
        )
        .await;
    assert_eq!(listed.body["total"], 1, "nothing was saved");

    // Fixed, it saves; the errors are gone with the drawer.
    b.fill("[data-dialog=goods] [data-field=name] input", "砂糖橘")
        .await;
    b.fill("[data-dialog=goods] [data-field=price] input", "12.34")
        .await;
    b.fill(
        "[data-dialog=goods] [data-field=images] textarea",
        "https://img.example/a.png",
    )
    .await;
    b.click("[data-dialog=goods] [data-action=submit]").await;
    b.wait_text(".list-table", "砂糖橘").await;
    b.close().await;
}

#[tokio::test]
async fn a_community_admin_sees_only_their_own_community() {
    let app = console_app().await;
    let Some(b) = browser::open(&app.base).await else {
        return;
    };
    let mine = town(&app, "东湖社区", "donghu_admin").await;
    let theirs = town(&app, "西苑社区", "xiyuan_admin").await;
    let theirs_admin = app
        .admin_login(&theirs.admin_user, "community-pass-1")
        .await;
    let starts = (Utc::now().trunc_subsecs(0) + Duration::hours(3)).to_rfc3339();
    let ends = (Utc::now().trunc_subsecs(0) + Duration::hours(6)).to_rfc3339();
    for (token, community, title) in [
        (
            app.admin_login(&mine.admin_user, "community-pass-1").await,
            mine.community,
            "东湖停电通知",
        ),
        (theirs_admin.clone(), theirs.community, "西苑停气通知"),
    ] {
        let r = app
            .post(
                "/admin/notices",
                Some(&token),
                json!({ "community_id": community, "kind": "power_outage", "title": title,
                   "content": "检修", "building_ids": [], "starts_at": starts, "ends_at": ends }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let (applicant, _, _) = app.resident("xiyuan-applicant").await;
    app.post(
        "/merchant-applications",
        Some(&applicant),
        TestApp::application_body("西苑小卖部", &[theirs.community]),
    )
    .await;

    sign_in(&b, &mine.admin_user, "community-pass-1").await;
    b.goto("/console/notices").await;
    b.wait_text(".list-table", "东湖停电通知").await;
    let table = b.text(".list-table").await;
    assert!(!table.contains("西苑停气通知"), "{table}");
    b.goto("/console/merchant-applications?status=").await;
    b.wait_text(".list-table", "没有待处理的申请").await;
    assert!(!b.text(".list-table").await.contains("西苑小卖部"));

    // Asking for the other community by URL shows a refusal, not its data.
    b.goto(&format!(
        "/console/notices?community_id={}",
        theirs.community
    ))
    .await;
    b.wait_text(".list-error", "没有权限").await;
    assert!(!b.text(".list-table").await.contains("西苑停气通知"));
    b.goto(&format!(
        "/console/dashboard?community_id={}",
        theirs.community
    ))
    .await;
    b.wait_text(".list-error", "没有权限").await;
    b.goto(&format!("/console/communities/{}", theirs.community))
        .await;
    b.find("[data-result=forbidden]").await;
    b.goto("/console/admins").await;
    b.find("[data-result=forbidden]").await;
    // The community picker offers only their own community.
    b.goto("/console/notices").await;
    b.click("[data-filter=community_id] .el-select__wrapper")
        .await;
    b.find_x("//li[contains(@class,'el-select-dropdown__item')][contains(., '东湖社区')]")
        .await;
    let options = b.visible_texts(".el-select-dropdown__item").await;
    assert_eq!(options, vec!["东湖社区"]);

    // On a tablet the menu folds into a drawer.
    b.client.set_window_size(820, 1180).await.expect("resizes");
    b.goto("/console/notices").await;
    b.click(".menu-button").await;
    b.click("[data-menu='/communities']").await;
    b.wait_path("/console/communities").await;
    b.wait_text(".list-table", "东湖社区").await;
    b.shot("tablet").await;
    b.close().await;
}

#[tokio::test]
async fn the_browser_refuses_inline_script_and_style_under_the_csp() {
    let app = console_app().await;
    let Some(b) = browser::open(&app.base).await else {
        return;
    };
    b.goto("/console/login").await;
    b.find("[data-field=username]").await;
    assert!(
        b.page_errors().await.is_empty(),
        "the console itself loads cleanly"
    );
    // What an injected script or style would try: the browser refuses both.
    let ran = b
        .client
        .execute(
            "const s = document.createElement('script'); s.textContent = 'window.injected = 1';\
             document.head.appendChild(s);\
             const st = document.createElement('style'); st.textContent = 'body { display: none }';\
             document.head.appendChild(st);\
             return [window.injected === 1, getComputedStyle(document.body).display];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(ran, json!([false, "block"]));
    let errors = b.page_errors().await;
    assert!(
        errors.iter().any(|e| e.contains("script")) && errors.iter().any(|e| e.contains("style")),
        "{errors:#?}"
    );
    b.quit().await;
}
