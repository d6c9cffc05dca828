//! Goods: categories, owner writes and their validation, public listing with
//! every filter and sort, visibility, the ownership matrix, cache invalidation.

use serde_json::{Value, json};

use crate::support::{Reply, SharedMarket, TestApp, shared_market, spawn_app, spawn_app_with};

fn ids(r: &Reply) -> Vec<i64> {
    r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.text))
        .iter()
        .map(|g| g["id"].as_i64().unwrap())
        .collect()
}

/// A platform admin, a community and an approved merchant in it.
async fn shop() -> (TestApp, String, i64, i64, String) {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "幸福社区").await;
    let (mid, owner) = app.approved_merchant(&platform, &[cid], "fruit").await;
    (app, platform, cid, mid, owner)
}

#[tokio::test]
async fn the_category_tree_has_two_levels() {
    let app = spawn_app().await;
    let tree = app.get("/goods-categories", None).await;
    assert_eq!(tree.status, 200);
    let names: Vec<&str> = tree
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for expected in [
        "果蔬生鲜",
        "预包装食品",
        "海鲜水产",
        "花卉绿植",
        "粮油调味",
        "日用百货",
        "家政服务",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert_eq!(names[0], "果蔬生鲜");
    for parent in tree.body.as_array().unwrap() {
        let children = parent["children"].as_array().unwrap();
        assert!(!children.is_empty());
        assert!(children.iter().all(|c| c.get("children").is_none()));
    }
    assert_eq!(tree.body[0]["children"][1]["name"], "时令水果");
}

#[tokio::test]
async fn the_owner_lists_goods_and_everyone_reads_them() {
    let (app, _, cid, mid, owner) = shop().await;
    let fruit = app.category_id("时令水果").await;
    let r = app
        .post(
            &format!("/merchants/{mid}/goods"),
            Some(&owner),
            json!({
                "category_id": fruit, "name": " 赣南脐橙 ", "description": "甜",
                "price": "12.5", "unit": "斤", "stock": 100,
                "images": ["https://img.example/1.png", "https://img.example/2.png"]
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["name"], "赣南脐橙");
    assert_eq!(r.body["price"], "12.50");
    assert_eq!(r.body["merchant_id"], mid);
    assert_eq!(r.body["category_id"], fruit);
    assert_eq!(r.body["on_shelf"], true);
    assert_eq!(r.body["sales"], 0);
    assert_eq!(r.body["stock"], 100);
    assert_eq!(r.body["unit"], "斤");
    assert_eq!(r.body["images"].as_array().unwrap().len(), 2);
    assert!(r.body.get("deleted_at").is_none());

    let detail = app.get(&format!("/goods/{id}"), None).await;
    assert_eq!(detail.status, 200);
    assert_eq!(detail.body, r.body);
    let list = app.get(&format!("/goods?community_id={cid}"), None).await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0], r.body);

    // Prices as JSON numbers are read exactly; optional fields default.
    let r = app
        .post(
            &format!("/merchants/{mid}/goods"),
            Some(&owner),
            json!({ "category_id": fruit, "name": "草莓", "price": 0.01, "unit": "盒", "stock": 0, "on_shelf": false }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["price"], "0.01");
    assert_eq!(r.body["description"], "");
    assert_eq!(r.body["images"], json!([]));
    assert_eq!(r.body["on_shelf"], false);
    let top = app
        .create_goods(&owner, mid, json!({ "price": "99999.99", "stock": 999999 }))
        .await;
    assert_eq!(
        (top["price"].as_str(), top["stock"].as_i64()),
        (Some("99999.99"), Some(999999))
    );

    let missing = app.get("/goods/999999", None).await;
    assert_eq!(
        (missing.status.as_u16(), missing.code()),
        (404, "GOODS_NOT_FOUND")
    );
}

async fn assert_rejected(app: &TestApp, owner: &str, mid: i64, body: Value, fields: &[&str]) {
    let mut full = json!({
        "category_id": app.category_id("时令水果").await,
        "name": "苹果", "price": "5.00", "unit": "斤", "stock": 1
    });
    for (k, v) in body.as_object().unwrap() {
        full[k] = v.clone();
    }
    let r = app
        .post(
            &format!("/merchants/{mid}/goods"),
            Some(owner),
            full.clone(),
        )
        .await;
    assert_eq!(r.status, 422, "{full} → {}", r.text);
    assert_eq!(r.code(), "VALIDATION_FAILED");
    let mut got = r.fields();
    got.sort();
    assert_eq!(got, fields, "{full}");
}

#[tokio::test]
async fn every_goods_rule_is_checked_and_nothing_is_written() {
    let (app, _, _, mid, owner) = shop().await;
    let parent = app.category_id("果蔬生鲜").await;
    for price in [
        json!("0"),
        json!("0.00"),
        json!("-1"),
        json!("1.234"),
        json!("100000.00"),
        json!("abc"),
        json!(12.345),
        json!(""),
        json!(true),
        json!("1e3"),
    ] {
        assert_rejected(&app, &owner, mid, json!({ "price": price }), &["price"]).await;
    }
    for name in [json!(""), json!("   "), json!("果".repeat(61))] {
        assert_rejected(&app, &owner, mid, json!({ "name": name }), &["name"]).await;
    }
    for stock in [-1, 1_000_000] {
        assert_rejected(&app, &owner, mid, json!({ "stock": stock }), &["stock"]).await;
    }
    for unit in ["", "吨", "kg"] {
        assert_rejected(&app, &owner, mid, json!({ "unit": unit }), &["unit"]).await;
    }
    let ten: Vec<String> = (0..10)
        .map(|i| format!("https://img.example/{i}.png"))
        .collect();
    assert_rejected(&app, &owner, mid, json!({ "images": ten }), &["images"]).await;
    assert_rejected(
        &app,
        &owner,
        mid,
        json!({ "images": ["https://ok.example/a.png", "http://img.example/a.png"] }),
        &["images[1]"],
    )
    .await;
    assert_rejected(
        &app,
        &owner,
        mid,
        json!({ "category_id": parent }),
        &["category_id"],
    )
    .await;
    assert_rejected(
        &app,
        &owner,
        mid,
        json!({ "category_id": 999999 }),
        &["category_id"],
    )
    .await;
    assert_rejected(
        &app,
        &owner,
        mid,
        json!({ "description": "x".repeat(2001) }),
        &["description"],
    )
    .await;
    // All at once: every field is named.
    assert_rejected(
        &app,
        &owner,
        mid,
        json!({ "category_id": parent, "name": "", "description": "x".repeat(2001), "price": "0", "unit": "吨", "stock": -5, "images": ["ftp://x"] }),
        &["category_id", "description", "images[0]", "name", "price", "stock", "unit"],
    )
    .await;
    // Wrong JSON types name the field.
    let r = app
        .post(
            &format!("/merchants/{mid}/goods"),
            Some(&owner),
            json!({ "category_id": 1, "name": "a", "price": "1", "unit": "斤", "stock": "many" }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["stock".to_owned()])
    );
    let r = app
        .post(
            &format!("/merchants/{mid}/goods"),
            Some(&owner),
            json!({ "name": "a", "price": "1", "unit": "斤", "stock": 1 }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["category_id".to_owned()])
    );

    let own = app
        .get(&format!("/merchants/{mid}/goods"), Some(&owner))
        .await;
    assert_eq!(own.body["total"], 0);

    // The same rules on edit; a bad edit changes nothing.
    let g = app.create_goods(&owner, mid, json!({})).await;
    let gid = g["id"].as_i64().unwrap();
    let r = app
        .patch(&format!("/goods/{gid}"), Some(&owner), json!({ "price": "0", "stock": -1, "name": "", "unit": "吨", "images": ["http://a"], "category_id": parent, "description": "x".repeat(2001) }))
        .await;
    assert_eq!(r.status, 422);
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "category_id",
            "description",
            "images[0]",
            "name",
            "price",
            "stock",
            "unit"
        ]
    );
    let r = app
        .patch(
            &format!("/goods/{gid}"),
            Some(&owner),
            json!({ "sales": 100 }),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = app
        .patch(
            &format!("/goods/{gid}"),
            Some(&owner),
            json!({ "merchant_id": 1 }),
        )
        .await;
    assert_eq!(r.status, 422);
    let after = app.get(&format!("/goods/{gid}"), None).await;
    assert_eq!(after.body, g);
    let r = app
        .post(
            &format!("/goods/{gid}/shelf"),
            Some(&owner),
            json!({ "on_shelf": "yes" }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.fields()),
        (422, vec!["on_shelf".to_owned()])
    );
}

#[tokio::test]
async fn edits_shelving_and_deletion_show_in_reads_at_once() {
    let (app, _, cid, mid, owner) = shop().await;
    let g = app.create_goods(&owner, mid, json!({})).await;
    let gid = g["id"].as_i64().unwrap();
    let list = format!("/goods?community_id={cid}");
    // Warm the caches.
    assert_eq!(
        app.get(&format!("/goods/{gid}"), None).await.body["price"],
        "12.50"
    );
    assert_eq!(
        app.get(&list, None).await.body["items"][0]["price"],
        "12.50"
    );

    let veg = app.category_id("新鲜蔬菜").await;
    let r = app
        .patch(
            &format!("/goods/{gid}"),
            Some(&owner),
            json!({ "price": "9.90", "name": "脐橙（特价）", "stock": 5, "unit": "份", "images": [], "description": "限量", "category_id": veg }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["price"], "9.90");
    let detail = app.get(&format!("/goods/{gid}"), None).await;
    assert_eq!(detail.body, r.body);
    assert_eq!(detail.body["category_id"], veg);
    assert_eq!(app.get(&list, None).await.body["items"][0]["price"], "9.90");
    assert_eq!(
        app.get(&format!("/goods?category_id={veg}"), None)
            .await
            .body["total"],
        1
    );

    // Off the shelf: gone for the public, still the owner's.
    let r = app
        .post(
            &format!("/goods/{gid}/shelf"),
            Some(&owner),
            json!({ "on_shelf": false }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["on_shelf"].as_bool()),
        (200, Some(false))
    );
    let hidden = app.get(&format!("/goods/{gid}"), None).await;
    assert_eq!(
        (hidden.status.as_u16(), hidden.code()),
        (404, "GOODS_NOT_FOUND")
    );
    assert_eq!(app.get(&list, None).await.body["total"], 0);
    let (stranger, _, _) = app.resident("stranger").await;
    assert_eq!(
        app.get(&format!("/goods/{gid}"), Some(&stranger))
            .await
            .status,
        404
    );
    let own = app.get(&format!("/goods/{gid}"), Some(&owner)).await;
    assert_eq!(
        (own.status.as_u16(), own.body["on_shelf"].as_bool()),
        (200, Some(false))
    );
    let off = app
        .get(
            &format!("/merchants/{mid}/goods?status=off_shelf"),
            Some(&owner),
        )
        .await;
    assert_eq!(ids(&off), vec![gid]);
    assert_eq!(
        app.get(
            &format!("/merchants/{mid}/goods?status=on_shelf"),
            Some(&owner)
        )
        .await
        .body["total"],
        0
    );
    let r = app
        .post(
            &format!("/goods/{gid}/shelf"),
            Some(&owner),
            json!({ "on_shelf": true }),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(app.get(&format!("/goods/{gid}"), None).await.status, 200);
    assert_eq!(app.get(&list, None).await.body["total"], 1);

    // Soft delete.
    let second = app
        .create_goods(&owner, mid, json!({ "name": "留下的" }))
        .await;
    let r = app.delete(&format!("/goods/{gid}"), Some(&owner)).await;
    assert_eq!(r.status, 204);
    assert_eq!(
        app.get(&format!("/goods/{gid}"), None).await.code(),
        "GOODS_NOT_FOUND"
    );
    assert_eq!(
        ids(&app.get(&list, None).await),
        vec![second["id"].as_i64().unwrap()]
    );
    let own = app.get(&format!("/goods/{gid}"), Some(&owner)).await;
    assert_eq!(own.status, 200);
    assert!(own.body["deleted_at"].is_string());
    let deleted = app
        .get(
            &format!("/merchants/{mid}/goods?status=deleted"),
            Some(&owner),
        )
        .await;
    assert_eq!(ids(&deleted), vec![gid]);
    let all = app
        .get(&format!("/merchants/{mid}/goods"), Some(&owner))
        .await;
    assert_eq!(ids(&all), vec![second["id"].as_i64().unwrap()]);
    // Deleted goods cannot be edited, shelved or deleted again.
    assert_eq!(
        app.delete(&format!("/goods/{gid}"), Some(&owner))
            .await
            .code(),
        "GOODS_NOT_FOUND"
    );
    assert_eq!(
        app.patch(
            &format!("/goods/{gid}"),
            Some(&owner),
            json!({ "stock": 1 })
        )
        .await
        .status,
        404
    );
    assert_eq!(
        app.post(
            &format!("/goods/{gid}/shelf"),
            Some(&owner),
            json!({ "on_shelf": true })
        )
        .await
        .status,
        404
    );
    let bad = app
        .get(&format!("/merchants/{mid}/goods?status=gone"), Some(&owner))
        .await;
    assert_eq!((bad.status.as_u16(), bad.code()), (400, "INVALID_QUERY"));
}

#[tokio::test]
async fn no_one_but_the_owner_touches_a_merchants_goods() {
    let (app, platform, cid, mid, owner) = shop().await;
    let (other_mid, other) = app.approved_merchant(&platform, &[cid], "rival").await;
    let (resident, _, _) = app.resident("someone").await;
    let admin = app.community_admin(&platform, &[cid]).await;
    let listed = app
        .create_goods(&owner, mid, json!({ "name": "上架的" }))
        .await["id"]
        .as_i64()
        .unwrap();
    let unlisted = app
        .create_goods(&owner, mid, json!({ "name": "下架的", "on_shelf": false }))
        .await["id"]
        .as_i64()
        .unwrap();

    for token in [&other, &resident, &admin, &platform] {
        // Listed goods exist publicly: 403. Unlisted ones: 404, nothing leaks.
        for (gid, status, code) in [
            (listed, 403, "FORBIDDEN"),
            (unlisted, 404, "GOODS_NOT_FOUND"),
        ] {
            let r = app
                .patch(
                    &format!("/goods/{gid}"),
                    Some(token),
                    json!({ "price": "0.01" }),
                )
                .await;
            assert_eq!((r.status.as_u16(), r.code()), (status, code));
            let r = app.delete(&format!("/goods/{gid}"), Some(token)).await;
            assert_eq!((r.status.as_u16(), r.code()), (status, code));
            let r = app
                .post(
                    &format!("/goods/{gid}/shelf"),
                    Some(token),
                    json!({ "on_shelf": false }),
                )
                .await;
            assert_eq!((r.status.as_u16(), r.code()), (status, code));
        }
        let r = app
            .post(
                &format!("/merchants/{mid}/goods"),
                Some(token),
                json!({ "category_id": 1, "name": "x", "price": "1", "unit": "斤", "stock": 1 }),
            )
            .await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
        let r = app
            .get(&format!("/merchants/{mid}/goods"), Some(token))
            .await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"));
    }
    for r in [
        app.patch(&format!("/goods/{listed}"), None, json!({ "stock": 1 }))
            .await,
        app.delete(&format!("/goods/{listed}"), None).await,
        app.post(
            &format!("/goods/{listed}/shelf"),
            None,
            json!({ "on_shelf": false }),
        )
        .await,
        app.post(&format!("/merchants/{mid}/goods"), None, json!({}))
            .await,
        app.get(&format!("/merchants/{mid}/goods"), None).await,
    ] {
        assert_eq!((r.status.as_u16(), r.code()), (401, "UNAUTHORIZED"));
    }
    let r = app
        .post(
            "/merchants/999999/goods",
            Some(&owner),
            json!({ "category_id": 1, "name": "x", "price": "1", "unit": "斤", "stock": 1 }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "MERCHANT_NOT_FOUND"));
    // Nothing changed; the rival's own list is empty.
    let own = app
        .get(&format!("/merchants/{mid}/goods"), Some(&owner))
        .await;
    assert_eq!(own.body["total"], 2);
    assert!(
        own.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["price"] == "12.50")
    );
    assert_eq!(
        app.get(&format!("/goods/{listed}"), None).await.body["on_shelf"],
        true
    );
    assert_eq!(
        app.get(&format!("/merchants/{other_mid}/goods"), Some(&other))
            .await
            .body["total"],
        0
    );
}

#[tokio::test]
async fn the_public_list_filters_searches_sorts_and_pages() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (c1, _, _) = app.community_with_building(&platform, "甲社区").await;
    let (c2, _, _) = app.community_with_building(&platform, "乙社区").await;
    let (m1, t1) = app.approved_merchant(&platform, &[c1], "shop-a").await;
    let (m2, t2) = app.approved_merchant(&platform, &[c2], "shop-b").await;
    let fruit = app.category_id("时令水果").await;
    let veg = app.category_id("新鲜蔬菜").await;
    let flower = app.category_id("鲜切花").await;
    let fresh = app.category_id("果蔬生鲜").await;
    let g = |v: Value| v["id"].as_i64().unwrap();
    let apple = g(app.create_goods(&t1, m1, json!({ "name": "红富士苹果", "price": "6.80", "category_id": fruit, "description": "脆甜多汁" })).await);
    let cabbage = g(app.create_goods(&t1, m1, json!({ "name": "大白菜", "price": "1.50", "category_id": veg, "description": "本地种植" })).await);
    let rose = g(app.create_goods(&t2, m2, json!({ "name": "玫瑰100%鲜花", "price": "39.90", "category_id": flower, "description": "同城配送" })).await);
    let pear = g(app.create_goods(&t2, m2, json!({ "name": "砀山梨_特级", "price": "6.80", "category_id": fruit, "description": "清甜" })).await);
    app.create_goods(&t2, m2, json!({ "name": "下架苹果", "on_shelf": false }))
        .await;
    // Sales come from orders (a later feature); set them directly here.
    use sea_orm::{ConnectionTrait, Statement};
    for (id, sales) in [(apple, 50), (cabbage, 5), (rose, 80), (pear, 20)] {
        app.db
            .execute_raw(Statement::from_string(
                app.db.get_database_backend(),
                format!("UPDATE goods SET sales = {sales} WHERE id = {id}"),
            ))
            .await
            .unwrap();
    }

    let get = |q: &str| {
        let app = &app;
        let q = q.to_owned();
        async move { app.get(&format!("/goods?{q}"), None).await }
    };
    assert_eq!(ids(&get("").await), vec![pear, rose, cabbage, apple]);
    assert_eq!(
        ids(&get("sort=newest").await),
        vec![pear, rose, cabbage, apple]
    );
    assert_eq!(
        ids(&get("sort=price_asc").await),
        vec![cabbage, pear, apple, rose]
    );
    assert_eq!(
        ids(&get("sort=price_desc").await),
        vec![rose, pear, apple, cabbage]
    );
    assert_eq!(
        ids(&get("sort=sales").await),
        vec![rose, apple, pear, cabbage]
    );
    assert_eq!(
        ids(&get(&format!("community_id={c1}")).await),
        vec![cabbage, apple]
    );
    assert_eq!(
        ids(&get(&format!("community_id={c2}&sort=price_asc")).await),
        vec![pear, rose]
    );
    assert_eq!(
        ids(&get(&format!("merchant_id={m2}")).await),
        vec![pear, rose]
    );
    assert_eq!(
        ids(&get(&format!("category_id={fruit}")).await),
        vec![pear, apple]
    );
    // A parent category includes its children.
    assert_eq!(
        ids(&get(&format!("category_id={fresh}")).await),
        vec![pear, cabbage, apple]
    );
    assert_eq!(get("category_id=999999").await.body["total"], 0);
    // Chinese substring search on name and description; % and _ literal.
    assert_eq!(ids(&get("q=%E8%8B%B9%E6%9E%9C").await), vec![apple]); // 苹果
    assert_eq!(ids(&get("q=%E6%B8%85%E7%94%9C").await), vec![pear]); // 清甜 (description)
    assert_eq!(ids(&get("q=%E7%94%9C").await), vec![pear, apple]); // 甜
    assert_eq!(ids(&get("q=%25").await), vec![rose]); // %
    assert_eq!(ids(&get("q=_").await), vec![pear]); // _
    assert_eq!(ids(&get("q=%5C").await), Vec::<i64>::new()); // backslash
    assert_eq!(ids(&get("q=100%25%E9%B2%9C").await), vec![rose]); // 100%鲜
    assert_eq!(ids(&get("q=+++").await), vec![pear, rose, cabbage, apple]);
    // Price range, inclusive.
    assert_eq!(
        ids(&get("min_price=6.80&max_price=6.80").await),
        vec![pear, apple]
    );
    assert_eq!(
        ids(&get("min_price=2&sort=price_asc").await),
        vec![pear, apple, rose]
    );
    assert_eq!(ids(&get("max_price=6.79").await), vec![cabbage]);
    // Combined, paged with a total.
    let r = get(&format!(
        "community_id={c2}&category_id={fresh}&q=%E6%A2%A8&min_price=1&max_price=10&sort=sales"
    ))
    .await;
    assert_eq!((ids(&r), r.body["total"].as_i64()), (vec![pear], Some(1)));
    let p = get("sort=price_asc&page=2&page_size=3").await;
    assert_eq!(
        (ids(&p), p.body["total"].as_i64(), p.body["page"].as_i64()),
        (vec![rose], Some(4), Some(2))
    );
    // Past the last page: no items, and still the total.
    let past = get(&format!("community_id={c2}&page=9")).await;
    assert_eq!(
        (&past.body["items"], past.body["total"].as_i64()),
        (&json!([]), Some(2))
    );

    for bad in [
        "sort=cheapest",
        "min_price=abc",
        "max_price=1.234",
        "min_price=-1",
        "page_size=101",
        "community_id=x",
        "category_id=1.5",
    ] {
        let r = get(bad).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (400, "INVALID_QUERY"),
            "{bad}: {}",
            r.text
        );
    }
    // A reversed price range is a valid query matching nothing.
    let r = get("min_price=10&max_price=5").await;
    assert_eq!(
        (r.status.as_u16(), r.body["total"].as_i64()),
        (200, Some(0)),
        "{}",
        r.text
    );
    let r = get("min_price=abc&max_price=1.234").await;
    let fields: Vec<&str> = r.body["error"]["details"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["min_price", "max_price"]);
}

/// Two instances sharing the database and Redis: an edit through one is
/// seen through the other at once.
#[tokio::test]
async fn goods_writes_on_one_instance_invalidate_the_other_instances_cache() {
    let Some(SharedMarket {
        a,
        b,
        community_id: cid,
        merchant_id: mid,
        owner,
        ..
    }) = shared_market("shared-goods").await
    else {
        return;
    };
    let gid = a.create_goods(&owner, mid, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let list = format!("/goods?community_id={cid}&sort=price_asc");
    assert_eq!(
        b.get(&format!("/goods/{gid}"), None).await.body["price"],
        "12.50"
    );
    assert_eq!(b.get(&list, None).await.body["items"][0]["price"], "12.50");

    let r = a
        .patch(
            &format!("/goods/{gid}"),
            Some(&owner),
            json!({ "price": "8.00" }),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        b.get(&format!("/goods/{gid}"), None).await.body["price"],
        "8.00"
    );
    assert_eq!(b.get(&list, None).await.body["items"][0]["price"], "8.00");

    a.post(
        &format!("/goods/{gid}/shelf"),
        Some(&owner),
        json!({ "on_shelf": false }),
    )
    .await;
    assert_eq!(b.get(&format!("/goods/{gid}"), None).await.status, 404);
    assert_eq!(b.get(&list, None).await.body["total"], 0);
    a.post(
        &format!("/goods/{gid}/shelf"),
        Some(&owner),
        json!({ "on_shelf": true }),
    )
    .await;
    assert_eq!(b.get(&list, None).await.body["total"], 1);
    a.delete(&format!("/goods/{gid}"), Some(&owner)).await;
    assert_eq!(b.get(&format!("/goods/{gid}"), None).await.status, 404);
    assert_eq!(b.get(&list, None).await.body["total"], 0);
    a.create_goods(&owner, mid, json!({ "name": "新品" })).await;
    assert_eq!(b.get(&list, None).await.body["total"], 1);
}

#[tokio::test]
async fn reads_in_flight_on_another_instance_never_answer_from_before_a_finished_write() {
    let Some(SharedMarket {
        a,
        b,
        merchant_id: mid,
        owner,
        ..
    }) = shared_market("busy-goods").await
    else {
        return;
    };
    let gid = a.create_goods(&owner, mid, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let detail = format!("/goods/{gid}");

    // Readers keep b's shared generation reads busy the whole time.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let (client, url, stop) = (b.client.clone(), b.url(&detail), stop.clone());
            tokio::spawn(async move {
                let mut reads = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let r = client.get(&url).send().await.unwrap();
                    assert_eq!(r.status(), 200);
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for cents in 1..=20 {
        let price = format!("{}.{cents:02}", 10 + cents);
        let r = a
            .patch(&detail, Some(&owner), json!({ "price": price }))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            b.get(&detail, None).await.body["price"],
            price.as_str(),
            "b answered a price from before the write"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for reader in readers {
        assert!(reader.await.unwrap() > 0);
    }
}

#[tokio::test]
async fn goods_are_served_from_the_database_with_redis_unreachable() {
    let app = spawn_app_with(|s| {
        s.redis.url = Some("redis://127.0.0.1:1".to_owned().into());
    })
    .await;
    let platform = app.platform_admin().await;
    let (cid, _, _) = app.community_with_building(&platform, "无缓存社区").await;
    let (mid, owner) = app.approved_merchant(&platform, &[cid], "no-redis").await;
    assert!(
        !app.get("/goods-categories", None)
            .await
            .body
            .as_array()
            .unwrap()
            .is_empty()
    );
    let gid = app.create_goods(&owner, mid, json!({})).await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.get(&format!("/goods?community_id={cid}"), None)
            .await
            .body["total"],
        1
    );
    assert_eq!(
        app.get(&format!("/goods/{gid}"), None).await.body["price"],
        "12.50"
    );
    app.patch(
        &format!("/goods/{gid}"),
        Some(&owner),
        json!({ "price": "3.00" }),
    )
    .await;
    assert_eq!(
        app.get(&format!("/goods/{gid}"), None).await.body["price"],
        "3.00"
    );
    app.delete(&format!("/goods/{gid}"), Some(&owner)).await;
    assert_eq!(app.get(&format!("/goods/{gid}"), None).await.status, 404);
    assert_eq!(app.get("/goods", None).await.body["total"], 0);
}

/// The response cache's hits so far, from `/metrics`.
async fn cache_hits(app: &TestApp) -> u64 {
    let m = app.get("/metrics", None).await;
    m.text
        .lines()
        .find_map(|l| l.strip_prefix(r#"yizhan_cache_operations_total{outcome="hit"} "#))
        .map_or(0, |n| n.trim().parse().unwrap_or(0))
}

#[tokio::test]
async fn an_edit_drops_its_own_goods_detail_and_leaves_the_others_cached() {
    let (app, _, _, mid, owner) = shop().await;
    let a = app.create_goods(&owner, mid, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let b = app
        .create_goods(&owner, mid, json!({ "name": "红富士苹果" }))
        .await["id"]
        .as_i64()
        .unwrap();
    for id in [a, b] {
        assert_eq!(app.get(&format!("/goods/{id}"), None).await.status, 200);
    }
    let warm = cache_hits(&app).await;

    let r = app
        .patch(&format!("/goods/{a}"), Some(&owner), json!({ "stock": 7 }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The edited goods is loaded anew and shows the edit at once ...
    assert_eq!(app.get(&format!("/goods/{a}"), None).await.body["stock"], 7);
    assert_eq!(cache_hits(&app).await, warm, "the edited detail was a miss");
    // ... while the other goods's detail is still answered from the cache.
    let other = app.get(&format!("/goods/{b}"), None).await;
    assert_eq!(
        (other.status.as_u16(), other.body["name"].as_str()),
        (200, Some("红富士苹果"))
    );
    assert_eq!(
        cache_hits(&app).await,
        warm + 1,
        "the other detail was a hit"
    );
}
