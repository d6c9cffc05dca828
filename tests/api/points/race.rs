//! Concurrency: earns and spends on one resident, the last item.

use futures_util::StreamExt;
use futures_util::stream;
use serde_json::json;

use super::town;

/// 500 awards and 500 redemptions of a 1-point item, all at once, on one
/// resident starting at 0: the balance is never negative, every refusal
/// is `INSUFFICIENT_POINTS`, and the ledger sums to the balance.
#[tokio::test]
async fn a_thousand_concurrent_earns_and_spends_keep_the_ledger_and_balance_equal() {
    let t = town().await;
    let app = &t.app;
    let item = t.item(1, 1000).await;
    let calls = (0..1000).map(|i| {
        let (token, path, body) = if i % 2 == 0 {
            (
                &t.admin,
                "/points/awards".to_owned(),
                json!({ "user_id": t.resident_id, "rule_id": t.unit_rule }),
            )
        } else {
            (
                &t.resident,
                format!("/shelf/items/{item}/redeem"),
                json!({}),
            )
        };
        async move { (i % 2 == 0, app.post(&path, Some(token), body).await) }
    });
    let replies: Vec<_> = stream::iter(calls).buffer_unordered(64).collect().await;
    let mut earned = 0;
    let mut spent = 0;
    for (earn, r) in &replies {
        match (earn, r.status.as_u16()) {
            (true, 201) => earned += 1,
            (false, 201) => spent += 1,
            (false, 409) => assert_eq!(r.code(), "INSUFFICIENT_POINTS"),
            _ => panic!("unexpected answer {}: {}", r.status, r.text),
        }
    }
    assert_eq!(earned, 500);
    let balance = t.balance(&t.resident).await;
    assert!(balance >= 0);
    assert_eq!(balance, earned - spent);
    let ledger = t.ledger(&t.resident).await;
    assert_eq!(ledger.len() as i64, earned + spent);
    let sum: i64 = ledger
        .iter()
        .map(|e| e["points"].as_i64().expect("points"))
        .sum();
    assert_eq!(sum, balance);
    let items = app
        .get(
            &format!("/admin/shelf/items?community_id={}", t.community),
            Some(&t.admin),
        )
        .await;
    assert_eq!(items.body["items"][0]["stock"], json!(1000 - spent));
    let redemptions = app
        .get("/me/redemptions?page_size=1", Some(&t.resident))
        .await;
    assert_eq!(redemptions.body["total"], json!(spent));
}

/// Twenty residents with enough points race for the last item: one gets
/// it, the others are refused and keep their points.
#[tokio::test]
async fn the_last_item_goes_to_exactly_one_resident() {
    let t = town().await;
    let app = &t.app;
    let item = t.item(50, 1).await;
    let mut racers = Vec::new();
    for i in 0..20 {
        let (token, id) = t.neighbour(&format!("racer-{i}")).await;
        t.give(id, 50).await;
        racers.push(token);
    }
    let path = format!("/shelf/items/{item}/redeem");
    let replies = futures_util::future::join_all(
        racers
            .iter()
            .map(|token| app.post(&path, Some(token), json!({ "quantity": 1 }))),
    )
    .await;
    let won: Vec<usize> = (0..20).filter(|i| replies[*i].status == 201).collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        replies.iter().map(|r| r.text.clone()).collect::<Vec<_>>()
    );
    for (i, r) in replies.iter().enumerate() {
        if i != won[0] {
            assert_eq!((r.status.as_u16(), r.code()), (409, "INSUFFICIENT_STOCK"));
            assert_eq!(t.balance(&racers[i]).await, 50);
        }
    }
    assert_eq!(t.balance(&racers[won[0]]).await, 0);
    let items = app
        .get(
            &format!("/admin/shelf/items?community_id={}", t.community),
            Some(&t.admin),
        )
        .await;
    assert_eq!(items.body["items"][0]["stock"], 0);
}
