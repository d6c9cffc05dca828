//! Hardening findings 12 and 14: every list in every body is bounded (422,
//! never 500 "too many SQL variables"), and a body that does not fit names
//! every missing or wrong field at once.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::spawn_app;

/// Finding 14: `{}` names every required field, not only the first.
#[tokio::test]
async fn an_empty_body_names_every_missing_field() {
    let app = spawn_app().await;
    let (resident, _, _) = app.resident("r1").await;
    let r = app
        .post("/merchant-applications", Some(&resident), json!({}))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "VALIDATION_FAILED"));
    assert_eq!(
        r.fields(),
        [
            "name",
            "category",
            "license_no",
            "contact_name",
            "contact_phone",
            "address",
            "lat",
            "lng",
            "community_ids"
        ],
        "{}",
        r.text
    );
    // Wrong types and missing fields together, nested ones by their path.
    let r = app
        .post(
            "/bookings",
            Some(&resident),
            json!({ "service_id": "one", "address": 7, "note": "ok" }),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let mut named = r.fields();
    named.sort();
    assert_eq!(
        named,
        ["address", "contact_phone", "service_id", "slot_id"],
        "{}",
        r.text
    );
    // Nothing is created meanwhile.
    let mine = app.get("/me/bookings", Some(&resident)).await;
    assert_eq!(mine.body["total"], 0);
}

/// Finding 12: a list of 40,000 ids, in any list field of any body the API
/// documents, is 422 naming the field, never a 500 from the database.
#[tokio::test]
async fn every_list_in_every_body_is_bounded() {
    let app = spawn_app().await;
    let platform = app.platform_admin().await;
    let (community, _, _) = app.community_with_building(&platform, "甲").await;
    let spec = serde_json::to_value(yizhan::startup::spec()).expect("spec as JSON");
    let huge: Vec<i64> = (1..=40_000).collect();
    let mut refused = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (verb, op) in item.as_object().expect("operation") {
            let Some(schema) =
                op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
            else {
                continue;
            };
            let name = schema.rsplit('/').next().unwrap_or_default();
            let props = &spec["components"]["schemas"][name]["properties"];
            let Some(props) = props.as_object() else {
                continue;
            };
            for (field, prop) in props {
                let is_list = prop["type"] == "array"
                    || prop["type"]
                        .as_array()
                        .is_some_and(|types| types.contains(&json!("array")));
                if !is_list {
                    continue;
                }
                let url = path
                    .split('/')
                    .map(|s| {
                        if s.starts_with('{') {
                            community.to_string()
                        } else {
                            s.to_owned()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                let method = Method::from_bytes(verb.to_uppercase().as_bytes()).expect("verb");
                let body: Value = json!({ field.as_str(): huge });
                let r = app
                    .call(
                        method,
                        url.trim_start_matches("/api/v1"),
                        Some(&platform),
                        Some(body),
                    )
                    .await;
                assert!(
                    r.status.as_u16() < 500,
                    "{verb} {path} with 40,000 {field}: {} {}",
                    r.status,
                    r.text
                );
                if r.status == 422 {
                    assert!(r.fields().contains(field), "{verb} {path}: {}", r.text);
                    refused += 1;
                }
            }
        }
    }
    assert!(refused >= 16, "only {refused} list fields were reached");
}

/// Finding 10: a dev-login nickname is stored without the spaces around it.
#[tokio::test]
async fn dev_login_nicknames_are_trimmed() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/auth/dev/login",
            None,
            json!({ "openid": "spaced", "nickname": " \t 王芳 \r\n" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["user"]["nickname"], "王芳");
    let token = r.body["access_token"].as_str().expect("token");
    assert_eq!(app.get("/me", Some(token)).await.body["nickname"], "王芳");
}
