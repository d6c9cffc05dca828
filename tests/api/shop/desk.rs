//! The merchant's order desk (both kinds, lines, buyer) and the resident's
//! list of both kinds.

use entity::user;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::json;

use super::shop;

#[tokio::test]
async fn the_desk_lists_orders_with_lines_and_shows_the_phone_only_for_an_accepted_delivery() {
    let s = shop().await;
    let app = &s.app;
    let buyer = user::Entity::find_by_id(s.resident_id)
        .one(&app.db)
        .await
        .ok()
        .flatten()
        .expect("buyer");
    let mut active = buyer.into_active_model();
    active.phone = Set(Some("13812345678".to_owned()));
    active.update(&app.db).await.expect("phone");
    s.deliver_with("0", "3.00").await;
    let pickup = s.pickup_order(&s.resident, 1).await;
    let r = s.checkout(&s.resident, json!({ "lines": [{ "goods_id": s.goods, "quantity": 2 }], "fulfilment": "delivery", "note": "放门口" }), None).await;
    let delivery = r.body["order_no"].as_str().unwrap_or_default().to_owned();

    let (merchant, owner) = (s.merchant, s.owner.as_str());
    let desk = |q: &str| {
        let path = format!("/merchants/{merchant}/orders{q}");
        async move { app.get(&path, Some(owner)).await }
    };
    let all = desk("?kind=shop").await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(all.body["total"], 2);
    let row = &all.body["items"][1];
    assert_eq!(row["order_no"], delivery.as_str());
    assert_eq!(row["phone"], "138****5678");
    assert_eq!(row["delivery_address"], "幸福社区1号楼101");
    assert_eq!(row["note"], "放门口");
    assert_eq!(row["amount"], "28.00");
    assert_eq!(row["lines"][0]["quantity"], 2);
    assert_eq!(desk("?kind=group_buy").await.body["total"], 0);
    assert_eq!(desk("?status=placed").await.body["total"], 2);
    assert_eq!(desk("?kind=bogus").await.status, 400);

    s.step(&delivery, "accept").await;
    s.step(&pickup, "accept").await;
    let all = desk("?kind=shop").await;
    assert_eq!(
        all.body["items"][1]["phone"], "13812345678",
        "the courier may call"
    );
    assert_eq!(
        all.body["items"][0]["phone"], "138****5678",
        "a pickup order stays masked"
    );
    let (stranger, _, _) = app.resident("nosy").await;
    let r = app
        .get(
            &format!("/merchants/{}/orders", s.merchant),
            Some(&stranger),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
}

#[tokio::test]
async fn my_orders_carry_what_the_list_shows() {
    let s = shop().await;
    let app = &s.app;
    let pear = s
        .goods_with(json!({ "name": "雪梨", "images": ["https://img.example/pear.png"] }))
        .await;
    let r = s.checkout(&s.resident, json!({ "lines": [{ "goods_id": pear, "quantity": 1 }, { "goods_id": s.goods, "quantity": 1 }], "fulfilment": "pickup" }), None).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let list = app.get("/me/orders", Some(&s.resident)).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let card = &list.body["items"][0];
    assert_eq!(card["title"], "雪梨等2件");
    assert_eq!(card["image"], "https://img.example/pear.png");
    assert_eq!(card["merchant_name"], "shop-owner的店");
    assert_eq!(card["amount"], "25.00");
    assert_eq!(card["status"], "placed");
    assert_eq!(card["pickup_address"], "人民路8号");
    assert_eq!(card["kind"], "shop");
    assert_eq!(
        app.get("/me/orders?kind=group_buy", Some(&s.resident))
            .await
            .body["total"],
        0
    );
    assert_eq!(
        app.get("/me/orders?kind=shop", Some(&s.resident))
            .await
            .body["total"],
        1
    );
}

#[tokio::test]
async fn group_buy_cards_and_orders_carry_their_goods_and_merchant() {
    let app = super::quiet_app().await;
    let m = crate::group_buys::market(&app, 50).await;
    let campaign = crate::group_buys::open_campaign(&app, &m, 10, 1, 5).await;
    let list = app
        .get(
            &format!("/group-buys?community_id={}", m.community_id),
            None,
        )
        .await;
    let card = &list.body["items"][0];
    assert_eq!(card["goods_name"], "赣南脐橙", "{}", list.text);
    assert_eq!(card["merchant_name"], "老王水果店");
    assert_eq!(card["cover_image"], json!(null), "the goods has no image");
    let owner = app
        .get(
            &format!("/merchants/{}/group-buys", m.merchant_id),
            Some(&m.owner),
        )
        .await;
    assert_eq!(owner.body["items"][0]["goods_name"], "赣南脐橙");

    let buyer = crate::group_buys::neighbour(&app, &m, "gb-buyer").await;
    let o = app
        .post(
            &format!("/group-buys/{campaign}/orders"),
            Some(&buyer),
            json!({ "quantity": 2 }),
        )
        .await;
    assert_eq!(o.status, 201, "{}", o.text);
    assert_eq!(o.body["kind"], "group_buy");
    let mine = app.get("/me/orders?kind=group_buy", Some(&buyer)).await;
    let row = &mine.body["items"][0];
    assert_eq!(row["title"], "脐橙团购", "{}", mine.text);
    assert_eq!(row["merchant_name"], "老王水果店");
    assert_eq!(row["amount"], "59.80");
    assert_eq!(row["pickup_address"], "社区服务中心一楼");
    assert!(row["pickup_starts_at"].is_string());
    assert_eq!(
        app.get("/me/orders?kind=shop", Some(&buyer)).await.body["total"],
        0
    );
    let desk = app
        .get(
            &format!("/merchants/{}/orders?kind=group_buy", m.merchant_id),
            Some(&m.owner),
        )
        .await;
    assert_eq!(desk.body["total"], 1);
    assert_eq!(desk.body["items"][0]["lines"], json!([]));
}
