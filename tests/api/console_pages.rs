//! The console pages added with issue 19's APIs, in a real browser against
//! the real server: an admin works every list (merchants and helpers in every
//! status, the requests board, the users directory and grid workers, binding
//! approvals, community admins, licence photos, building QR codes, the daily
//! chart); a merchant runs the shop order desk, reads the sales figures,
//! adds and removes a clerk and uploads a goods picture. Each checks the
//! state through the API afterwards.

use reqwest::Method;
use serde_json::{Value, json};
use yizhan::admins::{AdminScope, create_admin_account};

use crate::browser::{self, Browser};
use crate::console_browser::{console_app, sign_in, town};
use crate::support::TestApp;
use crate::uploads::{png, upload};

/// The row of a list whose cell carries `data-{attr}='{id}'`, then a button in it.
fn row_button(attr: &str, id: impl std::fmt::Display, action: &str) -> String {
    format!("//tr[.//*[@data-{attr}='{id}']]//button[@data-action='{action}']")
}

/// Whether every `img` under `css` has loaded a picture.
async fn images_loaded(b: &Browser, css: &str) -> Vec<bool> {
    let js = format!(
        "return [...document.querySelectorAll(\"{css}\")].map(i => i.complete && i.naturalWidth > 0)"
    );
    let started = std::time::Instant::now();
    loop {
        let v = b.client.execute(&js, vec![]).await.expect("script runs");
        let loaded: Vec<bool> = serde_json::from_value(v).unwrap_or_default();
        if (!loaded.is_empty() && loaded.iter().all(|l| *l))
            || started.elapsed() > std::time::Duration::from_secs(15)
        {
            return loaded;
        }
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
}

fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn an_admin_works_the_lists_added_with_their_apis() {
    let app = console_app().await;
    let Some(b) = browser::open(&app.base).await else {
        return;
    };
    let t = town(&app, "和平社区", "heping_admin").await;
    let c = t.community;
    // The platform admin signs in with a password this test knows.
    create_admin_account(
        &app.db,
        "console_platform",
        "platform-pass-1",
        AdminScope::Platform,
    )
    .await
    .unwrap();

    // An application with a licence photo (a private upload).
    let (applicant, _, _) = app.resident("licence-applicant").await;
    let photo = upload(&app, &applicant, "merchant_license", &png(120, 80)).await;
    assert_eq!(photo.status, 201, "{}", photo.text);
    let mut body = TestApp::application_body("李记粮油", &[c]);
    body["license_photos"] = json!([photo.body["id"]]);
    let applied = app
        .post("/merchant-applications", Some(&applicant), body)
        .await;
    assert_eq!(applied.status, 201, "{}", applied.text);
    let (shop, _) = app.approved_merchant(&t.platform, &[c], "grain").await;
    let (_, _, helper) = app
        .approved_helper(&t.platform, "fixer", &[c], &["水电维修"])
        .await;
    // A request waiting to be dispatched.
    let category = crate::requests::category(
        &app,
        &t.platform,
        json!({ "name": "邻里纠纷", "level": "community" }),
    )
    .await;
    let (reporter, _, _) = app.resident("reporter").await;
    app.bind_building(&reporter, t.buildings[0]).await;
    let reported = app
        .post(
            "/requests",
            Some(&reporter),
            json!({ "category_id": category, "content": "楼上装修噪音到深夜", "building_id": t.buildings[0] }),
        )
        .await;
    assert_eq!(reported.status, 201, "{}", reported.text);
    let request = reported.body["id"].as_i64().unwrap();
    // A resident to find in the directory, and a binding waiting for approval.
    let (dweller, dweller_id, _) = app.resident("dir-dweller").await;
    app.bind_building(&dweller, t.buildings[1]).await;
    let on = app
        .call(
            Method::PUT,
            &format!("/admin/communities/{c}/binding-approval"),
            Some(&t.platform),
            Some(json!({ "binding_requires_approval": true })),
        )
        .await;
    assert_eq!(on.status, 200, "{}", on.text);
    let (newcomer, newcomer_id, _) = app.resident("newcomer").await;
    app.bind_building(&newcomer, t.buildings[2]).await;

    sign_in(&b, "console_platform", "platform-pass-1").await;
    // The dashboard draws the daily series (30 days by default; 7 kept in the URL).
    b.find("[data-chart=daily][data-days='30'] canvas").await;
    b.choose("[data-filter=days]", "近 7 天").await;
    b.wait_path("/console/dashboard?days=7").await;
    b.find("[data-chart=daily][data-days='7'] canvas").await;

    // Licence photos in the review queue load through their signed URLs.
    b.click("[data-menu='/merchant-applications']").await;
    b.wait_text(".list-table", "李记粮油").await;
    let loaded = images_loaded(&b, ".photo-cell img").await;
    assert_eq!(loaded, vec![true], "the licence photo shows");
    b.shot("application-photos").await;

    // Merchants in every status: suspend, find it by status, reinstate.
    b.click("[data-menu='/merchants']").await;
    b.click_x(&row_button("merchant", shop, "suspend")).await;
    b.confirm("暂停").await;
    b.wait_text(".el-message", "已暂停").await;
    let status = |v: &Value, id: i64| {
        items(v)
            .iter()
            .find(|m| m["id"] == id)
            .map(|m| m["status"].clone())
    };
    let listed = app
        .get(
            &format!("/admin/merchants?community_id={c}"),
            Some(&t.platform),
        )
        .await;
    assert_eq!(status(&listed.body, shop), Some(json!("suspended")));
    b.choose("[data-filter=status]", "已暂停").await;
    b.wait_path("/console/merchants?status=suspended").await;
    b.wait_text(".list-table", "grain的店").await;
    b.shot("merchants").await;
    b.click_x(&row_button("merchant", shop, "reinstate")).await;
    b.confirm("恢复").await;
    b.wait_text(".el-message", "已恢复").await;
    let listed = app
        .get(
            &format!("/admin/merchants?community_id={c}"),
            Some(&t.platform),
        )
        .await;
    assert_eq!(status(&listed.body, shop), Some(json!("active")));

    // Helpers: suspend.
    b.click("[data-menu='/helpers']").await;
    b.click_x(&row_button("helper", helper, "suspend")).await;
    b.confirm("暂停").await;
    b.wait_text(".el-message", "已暂停").await;
    let helpers = app.get("/admin/helpers", Some(&t.platform)).await;
    assert_eq!(status(&helpers.body, helper), Some(json!("suspended")));

    // The requests board: dispatch to the community, then read its timeline.
    b.click("[data-menu='/requests']").await;
    b.wait_text(".list-table", "楼上装修噪音到深夜").await;
    b.click_x(&row_button("request", request, "assign")).await;
    b.choose("[data-dialog=assign] [data-field=level]", "社区")
        .await;
    b.wait_text(
        "[data-dialog=assign] [data-field=level] .el-select__selected-item",
        "社区",
    )
    .await;
    b.fill(
        "[data-dialog=assign] [data-field=note] textarea",
        "请社区调解员跟进",
    )
    .await;
    b.click("[data-dialog=assign] [data-action=submit]").await;
    b.wait_text(".el-message", "已交办").await;
    let r = app
        .get(&format!("/requests/{request}"), Some(&t.platform))
        .await;
    assert_eq!(r.body["status"], "assigned", "{}", r.text);
    assert_eq!(r.body["level"], "community", "{}", r.text);
    b.click_x(&row_button("request", request, "view")).await;
    b.wait_text("[data-dialog=request]", "请社区调解员跟进")
        .await;
    b.find("[data-dialog=request] [data-event=assigned]").await;
    b.shot("requests").await;
    b.client
        .goto(&format!("{}/console/requests?status=assigned", app.base))
        .await
        .unwrap();
    b.wait_text(".list-table", "楼上装修噪音到深夜").await;

    // The users directory: find a resident by nickname, make them a grid worker.
    b.goto("/console/users?nickname=dir-dweller").await;
    b.wait_text(".list-table", "居民dir-dweller").await;
    b.click_x(&row_button("user", dweller_id, "make-grid-worker"))
        .await;
    b.choose("[data-dialog=grid-worker] [data-field=grid_id]", "第二网格")
        .await;
    b.wait_text(
        "[data-dialog=grid-worker] [data-field=grid_id] .el-select__selected-item",
        "第二网格",
    )
    .await;
    b.click("[data-dialog=grid-worker] [data-action=submit]")
        .await;
    b.wait_text(".el-message", "已指派为网格员").await;
    b.wait_text(".list-table", "第二网格").await;
    b.shot("users").await;
    let found = app
        .get("/admin/users?nickname=dir-dweller", Some(&t.platform))
        .await;
    assert_eq!(found.body["total"], 1);
    assert_eq!(
        found.body["items"][0]["grid_ids"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(
        found.body["items"][0]["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("grid_worker"))
    );

    // Binding approvals.
    b.click("[data-menu='/bindings']").await;
    b.click_x(&row_button("binding", newcomer_id, "approve"))
        .await;
    b.confirm("通过").await;
    b.wait_text(".el-message", "已通过").await;
    b.wait_text(".list-table", "没有待审核的绑定").await;
    let pending = app
        .get(
            &format!("/bindings/pending?community_id={c}"),
            Some(&t.platform),
        )
        .await;
    assert_eq!(pending.body["total"], 0, "{}", pending.text);
    let me = app.get("/me", Some(&newcomer)).await;
    assert_eq!(me.body["building_id"], t.buildings[2], "{}", me.text);

    // Community admins: disable (the account cannot log in), enable, reset the password.
    b.goto("/console/admins?q=heping").await;
    let admin_id = app
        .get("/admin/admins?q=heping_admin", Some(&t.platform))
        .await
        .body["items"][0]["id"]
        .as_i64()
        .unwrap();
    b.click_x(&row_button("admin", admin_id, "disable")).await;
    b.confirm("停用").await;
    b.wait_text(".el-message", "已停用").await;
    let refused = app
        .post(
            "/auth/admin/login",
            None,
            json!({ "username": "heping_admin", "password": "community-pass-1" }),
        )
        .await;
    assert_ne!(refused.status, 200, "{}", refused.text);
    b.click_x(&row_button("admin", admin_id, "enable")).await;
    b.confirm("启用").await;
    b.wait_text(".el-message", "已启用").await;
    b.click_x(&row_button("admin", admin_id, "reset-password"))
        .await;
    b.fill(
        "[data-dialog=reset-password] [data-field=new_password] input",
        "short",
    )
    .await;
    b.click("[data-dialog=reset-password] [data-action=submit]")
        .await;
    b.find("[data-dialog=reset-password] [data-field=new_password] .el-form-item__error")
        .await;
    b.fill(
        "[data-dialog=reset-password] [data-field=new_password] input",
        "heping-new-pass-2",
    )
    .await;
    b.click("[data-dialog=reset-password] [data-action=submit]")
        .await;
    b.wait_text(".el-message", "密码已重置").await;
    b.shot("admins").await;
    app.admin_login("heping_admin", "heping-new-pass-2").await;

    // Printable building codes: one per building, each a loaded picture.
    b.goto(&format!("/console/communities/{c}")).await;
    b.click("[data-action=qrcodes]").await;
    b.wait_path(&format!("/console/communities/{c}/qrcodes"))
        .await;
    for building in &t.buildings {
        b.find(&format!("[data-qr='{building}'] img.qr-img")).await;
    }
    let loaded = images_loaded(&b, "[data-qr] img.qr-img").await;
    assert_eq!(loaded, vec![true; 3]);
    b.wait_text(".qr-sheet", "和平社区 3号楼").await;
    b.shot("qr-codes").await;
    b.close().await;
}

pub(crate) async fn merchant_signs_in(b: &Browser, app: &TestApp, owner: &str) {
    b.goto("/console/login?tab=scan").await;
    let ticket = b
        .find("img[data-ticket]")
        .await
        .attr("data-ticket")
        .await
        .unwrap()
        .unwrap();
    let r = app
        .call(
            Method::POST,
            &format!("/console/login-tickets/{ticket}/confirm"),
            Some(owner),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    b.find(".side-menu").await;
}

#[tokio::test]
async fn a_merchant_runs_the_shop_desk_reads_sales_and_manages_clerks() {
    let s = crate::shop::shop().await;
    let app = &s.app;
    let Some(b) = browser::open(&app.base).await else {
        return;
    };
    let m = s.merchant;
    let kept = s.pickup_order(&s.resident, 2).await;
    let declined = s.pickup_order(&s.resident, 1).await;
    let (_, clerk_id, _) = app.resident("clerk").await;
    merchant_signs_in(&b, app, &s.owner).await;

    // The shop order desk: accept, ready; decline the other with a reason.
    b.goto(&format!("/console/shops/{m}/orders?kind=shop"))
        .await;
    b.wait_text(".list-table", &kept).await;
    b.click_x(&row_button("order", &kept, "accept")).await;
    b.wait_text(".el-message", "接单").await;
    assert_eq!(s.order(&kept).await["status"], "accepted");
    b.click_x(&row_button("order", &kept, "ready")).await;
    b.wait_text(".el-message", "备好待取").await;
    let ready = s.order(&kept).await;
    assert_eq!(ready["status"], "ready_for_pickup", "{ready}");
    b.click_x(&row_button("order", &declined, "decline")).await;
    b.click("[data-dialog=decline] [data-action=submit]").await;
    b.find("[data-dialog=decline] [data-field=reason] .el-form-item__error")
        .await;
    assert_eq!(
        s.order(&declined).await["status"],
        "placed",
        "nothing changed"
    );
    b.fill(
        "[data-dialog=decline] [data-field=reason] textarea",
        "今日脐橙已售完",
    )
    .await;
    b.click("[data-dialog=decline] [data-action=submit]").await;
    b.wait_text(".el-message", "已拒单").await;
    let gone = s.order(&declined).await["status"].clone();
    assert!(gone == "cancelled" || gone == "refunded", "{gone}");
    b.wait_text(".list-table", "待自提").await;
    b.shot("shop-orders").await;

    // Sales figures: what the API counts, on the cards and the chart.
    let figures = app
        .get(&format!("/merchants/{m}/stats"), Some(&s.owner))
        .await;
    assert_eq!(figures.status, 200, "{}", figures.text);
    b.click(&format!("[data-menu='/shops/{m}/sales']")).await;
    b.wait_text("[data-stat=orders]", &figures.body["orders"].to_string())
        .await;
    b.find("[data-chart=sales] canvas").await;
    b.wait_text(".top-goods", "赣南脐橙").await;
    b.shot("sales").await;

    // Clerks: add by user id, then remove.
    b.click(&format!("[data-menu='/shops/{m}/staff']")).await;
    b.click("[data-action=add-staff]").await;
    b.fill(
        "[data-dialog=staff] [data-field=user_id] input",
        &clerk_id.to_string(),
    )
    .await;
    b.click("[data-dialog=staff] [data-action=submit]").await;
    b.wait_text(".el-message", "已添加店员").await;
    b.find(&format!("[data-staff='{clerk_id}']")).await;
    b.shot("staff").await;
    let staff = app
        .get(&format!("/merchants/{m}/staff"), Some(&s.owner))
        .await;
    assert_eq!(staff.body[0]["user_id"], clerk_id, "{}", staff.text);
    b.click_x(&row_button("staff", clerk_id, "remove-staff"))
        .await;
    b.confirm("移除").await;
    b.wait_text(".list-table", "还没有店员").await;
    let staff = app
        .get(&format!("/merchants/{m}/staff"), Some(&s.owner))
        .await;
    assert_eq!(staff.body, json!([]));

    // A goods picture uploaded from the edit drawer.
    let file = std::env::temp_dir().join(format!("yizhan-goods-{}.png", std::process::id()));
    std::fs::write(&file, png(300, 200)).unwrap();
    b.click(&format!("[data-menu='/shops/{m}/goods']")).await;
    b.click_x(&row_button("goods", s.goods, "edit")).await;
    // The file input is invisible under its button: wait for the button, then type the path in.
    b.find("[data-dialog=goods] .upload-button").await;
    b.client
        .find(fantoccini::Locator::Css(
            "[data-dialog=goods] input[data-input=goods-image]",
        ))
        .await
        .expect("the file input")
        .send_keys(&file.display().to_string())
        .await
        .expect("chooses the file");
    b.find("[data-dialog=goods] [data-upload] img").await;
    b.shot("goods-upload").await;
    b.click("[data-dialog=goods] [data-action=submit]").await;
    b.wait_text(".el-message", "已保存").await;
    let goods = app.get(&format!("/goods/{}", s.goods), None).await;
    assert!(goods.body["image_refs"][0].is_i64(), "{}", goods.text);
    // The goods' earlier link is kept after the upload.
    let refs = goods.body["image_refs"].as_array().unwrap();
    assert_eq!(refs.len(), 2, "{}", goods.text);
    assert!(refs[1].is_string(), "{}", goods.text);
    std::fs::remove_file(&file).ok();

    // A clerk who scans in sees the order desk of the shop and nothing else.
    let (clerk, _, _) = app.resident("clerk").await;
    let added = app
        .post(
            &format!("/merchants/{m}/staff"),
            Some(&s.owner),
            json!({ "user_id": clerk_id }),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    b.click("[data-account]").await;
    b.click("[data-action=logout]").await;
    merchant_signs_in(&b, app, &clerk).await;
    b.wait_path(&format!("/console/shops/{m}/orders")).await;
    b.wait_text(".list-table", &kept).await;
    assert_eq!(
        b.visible_texts(".side-menu .el-menu-item").await,
        vec!["订单与提货", "售后"]
    );
    b.goto(&format!("/console/shops/{m}/staff")).await;
    b.find("[data-result=forbidden]").await;
    b.close().await;
}
