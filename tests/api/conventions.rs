//! The cross-cutting contract of API.md "Conventions".

use reqwest::Method;
use serde_json::json;

use crate::support::spawn_app;

#[tokio::test]
async fn every_response_carries_a_request_id_and_errors_repeat_it() {
    let app = spawn_app().await;
    let r = app
        .send(
            app.client
                .get(app.url("/me"))
                .header("x-request-id", "trace-abc-123"),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.headers["x-request-id"], "trace-abc-123");
    assert_eq!(r.body["request_id"], "trace-abc-123");
    assert_eq!(r.body["error"]["code"], "UNAUTHORIZED");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );

    let generated = app.get("/healthz", None).await;
    let id = generated.headers["x-request-id"].to_str().unwrap();
    assert!(id.len() >= 16);

    // An absurd incoming id is replaced, not echoed.
    let r = app
        .send(
            app.client
                .get(app.url("/healthz"))
                .header("x-request-id", "x".repeat(200)),
        )
        .await;
    assert_ne!(r.headers["x-request-id"].to_str().unwrap(), "x".repeat(200));
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405_in_json() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/does-not-exist", None).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "ROUTE_NOT_FOUND"));
    let r = app.get("/totally/elsewhere", None).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "ROUTE_NOT_FOUND"));

    let r = app.call(Method::PUT, "/me", None, None).await;
    assert_eq!((r.status.as_u16(), r.code()), (405, "METHOD_NOT_ALLOWED"));
    assert_eq!(r.headers["allow"], "DELETE, GET, PATCH");
    let r = app.call(Method::PUT, "/communities/7", None, None).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.headers["allow"], "GET");

    let r = app.get("/communities/not-a-number", None).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn malformed_json_is_400_and_oversized_bodies_413() {
    let app = spawn_app().await;
    let r = app
        .send(
            app.client
                .post(app.url("/auth/dev/login"))
                .header("content-type", "application/json")
                .body("{\"openid\": "),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "MALFORMED_JSON"));
    let r = app
        .send(app.client.post(app.url("/auth/dev/login")).body(""))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "MALFORMED_JSON"));
    let r = app.post("/auth/dev/login", None, json!([1, 2])).await;
    assert_eq!(r.status, 422);

    let big = format!("{{\"openid\": \"{}\"}}", "a".repeat(1024 * 1024 + 10));
    let r = app
        .send(
            app.client
                .post(app.url("/auth/dev/login"))
                .header("content-type", "application/json")
                .body(big),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (413, "PAYLOAD_TOO_LARGE"));
    let users: Vec<entity::user::Model> = <entity::user::Entity as sea_orm::EntityTrait>::find()
        .all(&app.db)
        .await
        .unwrap();
    assert!(users.is_empty());
}

#[tokio::test]
async fn wrong_types_name_the_field() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let r = app
        .post(
            "/admin/admins",
            Some(&platform),
            json!({ "username": "abc", "password": "long-enough", "community_ids": ["one"] }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.fields(), vec!["community_ids[0]"]);
}
