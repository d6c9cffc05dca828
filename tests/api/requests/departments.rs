//! Departments, their staff and the category tree, kept by platform admins.

use reqwest::Method;
use serde_json::json;

use super::desk;

#[tokio::test]
async fn platform_admins_keep_departments_and_their_staff() {
    let d = desk().await;
    let r = d
        .app
        .post("/admin/departments", Some(&d.admin), json!({}))
        .await;
    assert_eq!(r.status, 403, "community admins do not");
    let r = d
        .app
        .post(
            "/admin/departments",
            Some(&d.platform),
            json!({ "name": "", "phone": "abc" }),
        )
        .await;
    assert_eq!(r.fields(), ["name", "phone"]);
    let r = d
        .app
        .post(
            "/admin/departments",
            Some(&d.platform),
            json!({ "name": "供电所" }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "ALREADY_EXISTS"));
    let list = d.app.get("/departments", None).await;
    assert_eq!(list.body["total"], 2, "public");

    let staff = d
        .app
        .get(
            &format!("/admin/departments/{}/staff", d.power),
            Some(&d.platform),
        )
        .await;
    let heads: Vec<bool> = staff
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["head"].as_bool().unwrap())
        .collect();
    assert_eq!(heads, [false, true]);
    // Only WeChat users join a department.
    let r = d
        .app
        .post(
            &format!("/admin/departments/{}/staff", d.power),
            Some(&d.platform),
            json!({}),
        )
        .await;
    assert_eq!(r.fields(), ["user_id"]);
    let r = d
        .app
        .post(
            &format!("/admin/departments/{}/staff", d.power),
            Some(&d.platform),
            json!({ "user_id": 999_999 }),
        )
        .await;
    assert_eq!(r.code(), "USER_NOT_FOUND");
    assert_eq!(
        d.app
            .post(
                "/admin/departments/999999/staff",
                Some(&d.platform),
                json!({ "user_id": 1 })
            )
            .await
            .code(),
        "DEPARTMENT_NOT_FOUND"
    );

    // Removed from the last department, the member loses the role and the queue.
    let (member, member_id, _) = d.app.resident("temp-staff").await;
    let r = d
        .app
        .post(
            &format!("/admin/departments/{}/staff", d.water),
            Some(&d.platform),
            json!({ "user_id": member_id }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        d.app.get("/me/request-queue", Some(&member)).await.status,
        200
    );
    let path = format!("/admin/departments/{}/staff/{member_id}", d.water);
    assert_eq!(
        d.app
            .call(Method::DELETE, &path, Some(&d.platform), None)
            .await
            .status,
        204
    );
    assert_eq!(
        d.app
            .call(Method::DELETE, &path, Some(&d.platform), None)
            .await
            .code(),
        "USER_NOT_FOUND"
    );
    let me = d.app.get("/me", Some(&member)).await;
    assert!(
        !me.body["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("department_staff")),
        "{}",
        me.text
    );
    assert_eq!(
        d.app.get("/me/request-queue", Some(&member)).await.status,
        403
    );
}

#[tokio::test]
async fn the_category_tree_carries_levels_departments_and_deadlines() {
    let d = desk().await;
    let r = d
        .app
        .post("/admin/request-categories", Some(&d.admin), json!({}))
        .await;
    assert_eq!(r.status, 403);
    let r = d
        .app
        .post("/admin/request-categories", Some(&d.platform), json!({}))
        .await;
    assert_eq!(r.fields(), ["name", "level"]);
    let r = d
        .app
        .post(
            "/admin/request-categories",
            Some(&d.platform),
            json!({ "name": "路灯", "level": "department", "resolve_days": 16, "assign_days": 0, "parent_id": 999_999 }),
        )
        .await;
    assert_eq!(
        r.fields(),
        ["department_id", "parent_id", "assign_days", "resolve_days"]
    );
    let top = super::category(
        &d.app,
        &d.platform,
        json!({ "name": "市政设施", "level": "department", "department_id": d.power }),
    )
    .await;
    let leaf = d
        .app
        .post(
            "/admin/request-categories",
            Some(&d.platform),
            json!({ "name": "路灯", "level": "department", "department_id": d.power, "parent_id": top }),
        )
        .await;
    assert_eq!(leaf.status, 201);
    assert_eq!(
        (
            leaf.body["resolve_days"].as_i64(),
            leaf.body["department_name"].as_str()
        ),
        (Some(7), Some("供电所"))
    );
    let leaf_id = leaf.body["id"].as_i64().unwrap();
    let r = d
        .app
        .post(
            "/admin/request-categories",
            Some(&d.platform),
            json!({ "name": "更细", "level": "grid", "parent_id": leaf_id }),
        )
        .await;
    assert_eq!(r.fields(), ["parent_id"], "two levels");
    assert_eq!(
        d.app
            .get("/request-categories", None)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        4,
        "three from the desk and 市政设施"
    );
    // Grid-level categories resolve in 3 working days by default.
    assert_eq!(
        d.app
            .get("/request-categories", None)
            .await
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == d.clutter)
            .unwrap()["resolve_days"],
        3
    );

    // A patch moves the deadline for new requests; deactivated, it takes none.
    let r = d
        .app
        .patch(
            &format!("/admin/request-categories/{leaf_id}"),
            Some(&d.platform),
            json!({ "resolve_days": 5 }),
        )
        .await;
    assert_eq!(r.body["resolve_days"], 5);
    d.at("2026-09-21T10:00:00+08:00");
    let id = d.report(leaf_id).await;
    let v = d.detail(&d.resident, id).await.body;
    assert_eq!(
        super::at(v["resolve_due_at"].as_str().unwrap()),
        super::at("2026-09-29T10:00:00+08:00")
    );
    let r = d
        .app
        .patch(
            &format!("/admin/request-categories/{leaf_id}"),
            Some(&d.platform),
            json!({ "active": false }),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        d.report_as(&d.resident, leaf_id, json!({})).await.fields(),
        ["category_id"]
    );
    assert_eq!(
        d.app
            .patch(
                "/admin/request-categories/999999",
                Some(&d.platform),
                json!({})
            )
            .await
            .code(),
        "CATEGORY_NOT_FOUND"
    );
}
