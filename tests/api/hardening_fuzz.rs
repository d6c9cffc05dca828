//! Property test over every request body the API documents: arbitrary JSON,
//! and objects made of the body's own field names holding arbitrary values,
//! sent to the real server as the user each operation is for. Whatever the
//! body, the answer is never a 5xx (no panic, no database error), and every
//! refusal is a 4xx in this API's error shape (`error.code`).

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use reqwest::Method;
use serde_json::{Map, Number, Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::spawn_app_with;

/// Cases per operation and kind (free JSON, the body's own fields).
const CASES: usize = 6;

/// Any JSON: scalars a client could send (NUL, huge and negative numbers,
/// long and odd strings) nested in lists and objects.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![
            Just("".to_owned()),
            Just("\u{0}".to_owned()),
            Just("9999999999999999999999".to_owned()),
            Just("+262142-12-31T23:59:59Z".to_owned()),
            Just("2026-12-01T00:00:00Z".to_owned()),
            Just("-1".to_owned()),
            ".{0,40}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// An object of some of `fields` (and maybe a stranger) with arbitrary values.
fn body_like(fields: Vec<String>) -> impl Strategy<Value = Value> {
    let names = if fields.is_empty() {
        vec!["x".to_owned()]
    } else {
        fields
    };
    proptest::collection::vec((proptest::sample::select(names), any_json()), 0..8)
        .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<String, Value>>()))
}

#[tokio::test]
async fn every_body_refuses_arbitrary_json_with_a_4xx() {
    let app = spawn_app_with(|s| {
        s.rate_limit.writes_per_minute_per_user = 1_000_000;
        s.rate_limit.writes_per_minute_per_ip = 1_000_000;
        s.rate_limit.login_per_minute = 1_000_000;
        s.rate_limit.wechat_per_minute = 1_000_000;
    })
    .await;
    // WeChat answers as when all is well: a 503 would be WeChat's, not the body's.
    app.wechat_issues_token("AT").await;
    Mock::given(method("POST"))
        .and(path("/wxa/business/getuserphonenumber"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errcode": 0, "errmsg": "ok",
            "phone_info": { "phoneNumber": "13800138000", "purePhoneNumber": "13800138000", "countryCode": "86" }
        })))
        .mount(&app.wechat)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "errcode": 0, "errmsg": "ok" })),
        )
        .mount(&app.wechat)
        .await;
    let platform = app.platform_admin().await;
    let (community, _, building) = app.community_with_building(&platform, "甲").await;
    let (resident, _, _) = app.resident("fuzz-resident").await;
    app.bind_building(&resident, building).await;
    let (merchant_id, merchant) = app
        .approved_merchant(&platform, &[community], "fuzz-owner")
        .await;
    let spec = serde_json::to_value(yizhan::startup::spec()).expect("spec as JSON");
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let (mut sent, mut operations) = (0, 0);
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (verb, op) in item.as_object().expect("operation") {
            let Some(schema) =
                op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
            else {
                continue;
            };
            let name = schema.rsplit('/').next().unwrap_or_default();
            let fields: Vec<String> = spec["components"]["schemas"][name]["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            let token = if path.starts_with("/api/v1/admin") {
                &platform
            } else if path.starts_with("/api/v1/merchant") {
                &merchant
            } else {
                &resident
            };
            let id = if path.contains("/merchants/") {
                merchant_id
            } else {
                community
            };
            let url = path
                .trim_start_matches("/api/v1")
                .split('/')
                .map(|s| {
                    if s.starts_with('{') {
                        id.to_string()
                    } else {
                        s.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let method = Method::from_bytes(verb.to_uppercase().as_bytes()).expect("verb");
            operations += 1;
            let free = any_json();
            let shaped = body_like(fields);
            for i in 0..CASES * 2 {
                let body = if i % 2 == 0 {
                    free.new_tree(&mut runner).expect("a value").current()
                } else {
                    shaped.new_tree(&mut runner).expect("a value").current()
                };
                let r = app
                    .call(method.clone(), &url, Some(token), Some(body.clone()))
                    .await;
                sent += 1;
                let status = r.status.as_u16();
                assert!(
                    status < 500,
                    "{verb} {path} with {body}: {status} {}",
                    r.text
                );
                if status >= 400 {
                    assert!(
                        !r.code().is_empty(),
                        "{verb} {path} with {body}: {status} {}",
                        r.text
                    );
                }
            }
        }
    }
    assert!(operations >= 60, "only {operations} operations take a body");
    assert_eq!(sent, operations * CASES * 2);
}
