//! `DELETE /me` (注销): every personal field goes at once, column by column;
//! sessions end; bookings stay, anonymised; the same WeChat user comes back
//! to a new, empty account.

use entity::{auth_session, booking, inbox_message, subscription_grant, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Set,
};
use serde_json::json;

use crate::support::spawn_app_with;

#[tokio::test]
async fn erasing_an_account_leaves_no_personal_field_and_a_new_login_starts_afresh() {
    let app = spawn_app_with(|s| {
        s.jobs.sweep_interval_ms = 3_600_000;
    })
    .await;
    let platform = app.platform_admin().await;
    let (community, _, building) = app.community_with_building(&platform, "注销社区").await;
    let (helper, _, _) = app
        .approved_helper(&platform, "eraser-helper", &[community], &["水电维修"])
        .await;
    let service = app
        .offer_service(
            &helper,
            json!({ "category": "水电维修", "title": "水管维修", "price": "30.00",
                    "duration_minutes": 60, "community_ids": [community] }),
        )
        .await;

    let (token, id, login) = app.resident("leaving").await;
    let refresh = login["refresh_token"].as_str().unwrap().to_owned();
    app.bind_building(&token, building).await;
    let r = app
        .patch(
            "/me",
            Some(&token),
            json!({ "room": "2-301", "avatar_url": "https://img.example.com/a.png" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Fields only WeChat sets, set here directly.
    let mut row = user::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    row.phone = Set(Some("13800138000".into()));
    row.unionid = Set(Some("union-leaving".into()));
    row.update(&app.db).await.unwrap();
    let r = app
        .post(
            "/me/subscriptions",
            Some(&token),
            json!({ "topic": "outage", "grants": 2 }),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let slot = app.publish_slot(&helper, 5, 60).await;
    let r = app
        .post(
            "/bookings",
            Some(&token),
            json!({ "service_id": service, "slot_id": slot, "address": "1号楼2-301",
                    "contact_phone": "13700137000", "note": "家里有老人" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let booking_id = r.body["id"].as_i64().unwrap();
    app.post(
        &format!("/bookings/{booking_id}/accept"),
        Some(&helper),
        json!({}),
    )
    .await;
    assert!(
        inbox_message::Entity::find()
            .filter(inbox_message::Column::UserId.eq(id))
            .count(&app.db)
            .await
            .unwrap()
            > 0
    );

    let r = app.delete("/me", Some(&token)).await;
    assert_eq!(r.status, 204, "{}", r.text);

    // The row, column by column.
    let erased = user::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(erased.openid, None);
    assert_eq!(erased.unionid, None);
    assert_eq!(erased.username, None);
    assert_eq!(erased.password_hash, None);
    assert_eq!(erased.nickname, "已注销用户");
    assert_eq!(erased.avatar_url, None);
    assert_eq!(erased.avatar_upload_id, None);
    assert_eq!(erased.phone, None);
    assert_eq!(erased.roles, "");
    assert_eq!(erased.community_id, None);
    assert_eq!(erased.building_id, None);
    assert_eq!(erased.room, None);
    assert!(!erased.binding_pending);
    assert!(erased.erased_at.is_some());
    // What referred to the person.
    let kept = booking::Entity::find_by_id(booking_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.resident_id, id, "the booking stays for accounting");
    assert_eq!(kept.address, "");
    assert_eq!(kept.contact_phone, "");
    assert_eq!(kept.note, "");
    let grants = subscription_grant::Entity::find()
        .filter(subscription_grant::Column::UserId.eq(id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(grants, 0);
    let inbox = inbox_message::Entity::find()
        .filter(inbox_message::Column::UserId.eq(id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(inbox, 0);
    let live = auth_session::Entity::find()
        .filter(auth_session::Column::UserId.eq(id))
        .filter(auth_session::Column::RevokedAt.is_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(live, 0);

    // Signed out everywhere at once.
    assert_eq!(app.get("/me", Some(&token)).await.status, 401);
    let r = app
        .post("/auth/refresh", None, json!({ "refresh_token": refresh }))
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    // The helper still sees the booking, without the resident's details.
    let r = app
        .get(&format!("/bookings/{booking_id}"), Some(&helper))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["contact_phone"], "");

    // The same WeChat user comes back to a new, empty account.
    let (again, new_id, body) = app.resident("leaving").await;
    assert_ne!(new_id, id);
    assert!(body["user"]["building_id"].is_null());
    assert!(body["user"]["phone"].is_null());
    assert_eq!(
        app.get("/me/messages/unread-count", Some(&again))
            .await
            .body["unread"],
        0
    );
    assert_eq!(app.get("/me/subscriptions", Some(&again)).await.status, 200);

    // Admin accounts are not erased this way.
    let r = app.delete("/me", Some(&platform)).await;
    assert_eq!(r.status, 403, "{}", r.text);
}
