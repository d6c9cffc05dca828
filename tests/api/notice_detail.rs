//! `GET /admin/notices/{id}`: audience, reads by building, the residents who
//! have not read it; scoped to the notice's community. Read counts count
//! only the residents a notice concerns (hardening finding 9).

use entity::user;
use reqwest::Method;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::json;

use crate::inbox::town;

#[tokio::test]
async fn the_detail_follows_up_who_read_and_counts_only_the_residents_concerned() {
    let t = town().await;
    let app = &t.app;
    let (r1, _) = t.living_in("d-r1", t.b1).await;
    let (_, r2_id) = t.living_in("d-r2", t.b1).await;
    let (_, r3_id) = t.living_in("d-r3", t.b2).await;
    let mut row = user::Entity::find_by_id(r2_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    row.phone = Set(Some("13800138000".into()));
    row.room = Set(Some("1-101".into()));
    row.update(&app.db).await.unwrap();
    // Another community, its resident and its admin.
    let (other, _, other_building) = app.community_with_building(&t.platform, "别的社区").await;
    let other_admin = app.community_admin(&t.platform, &[other]).await;
    let (visitor, _, _) = app.resident("d-visitor").await;
    app.bind_building(&visitor, other_building).await;

    let id = t.notice(&[], None).await;
    let r = app
        .call(
            Method::POST,
            &format!("/admin/notices/{id}/publish"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for reader in [&r1, &visitor] {
        let r = app.get(&format!("/notices/{id}"), Some(reader)).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    let list = app
        .get(
            &format!("/admin/notices?community_id={}", t.community),
            Some(&t.admin),
        )
        .await;
    assert_eq!(
        list.body["items"][0]["read_count"], 1,
        "the visitor's read is not counted: {}",
        list.text
    );

    let r = app
        .get(&format!("/admin/notices/{id}"), Some(&t.admin))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = &r.body;
    assert_eq!(d["id"], id);
    assert_eq!(d["read_count"], 1);
    assert_eq!(d["audience"], 3);
    assert_eq!(d["push_sent"], 0);
    assert_eq!(d["push_pending"], 0);
    assert_eq!(
        d["reads_by_building"],
        json!([
            { "building_id": t.b1, "building_name": "1号楼", "audience": 2, "reads": 1 },
            { "building_id": t.b2, "building_name": "2号楼", "audience": 1, "reads": 0 },
        ])
    );
    let unread = d["unread_residents"]["items"].as_array().unwrap();
    assert_eq!(d["unread_residents"]["total"], 2);
    assert_eq!(unread[0]["user_id"], r2_id);
    assert_eq!(unread[0]["phone"], "138****8000");
    assert_eq!(unread[0]["room"], "1-101");
    assert_eq!(unread[0]["building_name"], "1号楼");
    assert_eq!(unread[1]["user_id"], r3_id);
    let paged = app
        .get(
            &format!("/admin/notices/{id}?page=2&page_size=1"),
            Some(&t.admin),
        )
        .await;
    assert_eq!(paged.body["unread_residents"]["items"][0]["user_id"], r3_id);

    // Only admins of the notice's community.
    let r = app
        .get(&format!("/admin/notices/{id}"), Some(&other_admin))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = app.get(&format!("/admin/notices/{id}"), Some(&r1)).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = app.get("/admin/notices/999999", Some(&t.admin)).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.code(), "NOTICE_NOT_FOUND");
}
