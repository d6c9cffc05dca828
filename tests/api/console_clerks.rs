//! Clerks (店员) in the console: a clerk's scan-to-log-in ticket is refused
//! until the owner adds them, then the session names the shop as `clerk`
//! and works its desk only; removed, they are refused again.

use reqwest::Method;
use serde_json::json;

use crate::console::{confirm, new_ticket, poll};

#[tokio::test]
async fn a_clerk_signs_in_by_ticket_for_the_desk_of_their_shop_only() {
    let s = crate::shop::shop().await;
    let app = &s.app;
    let m = s.merchant;
    let (clerk, clerk_id, _) = app.resident("desk-clerk").await;
    // Not yet a clerk: nothing to manage.
    let ticket = new_ticket(app).await;
    let refused = confirm(app, &ticket, &clerk).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(poll(app, &ticket, None).await.body["status"], "pending");

    let added = app
        .post(
            &format!("/merchants/{m}/staff"),
            Some(&s.owner),
            json!({ "user_id": clerk_id }),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let ok = confirm(app, &ticket, &clerk).await;
    assert_eq!(ok.status, 204, "{}", ok.text);
    let handed = poll(app, &ticket, None).await;
    assert_eq!(handed.status, 200, "{}", handed.text);
    let session = &handed.body["session"];
    assert_eq!(session["merchants"].as_array().map(Vec::len), Some(1));
    assert_eq!(session["merchants"][0]["id"], m);
    assert_eq!(session["merchants"][0]["role"], "clerk");
    // The owner's own session names the shop as theirs.
    let owner_ticket = new_ticket(app).await;
    assert_eq!(confirm(app, &owner_ticket, &s.owner).await.status, 204);
    let owner = poll(app, &owner_ticket, None).await;
    assert_eq!(owner.body["session"]["merchants"][0]["role"], "owner");

    // The session works the desk, not the owner's pages.
    let token = session["access_token"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/merchants/{m}/orders"), Some(token))
            .await
            .status,
        200
    );
    assert_eq!(
        app.get(&format!("/merchants/{m}/staff"), Some(token))
            .await
            .status,
        403
    );

    // Removed, the clerk has nothing to manage again.
    let removed = app
        .call(
            Method::DELETE,
            &format!("/merchants/{m}/staff/{clerk_id}"),
            Some(&s.owner),
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    let again = new_ticket(app).await;
    assert_eq!(confirm(app, &again, &clerk).await.status, 403);
}
