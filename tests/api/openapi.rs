//! `openapi.yaml` is generated from the code and committed. These tests fail
//! when the committed file is stale (run `UPDATE_OPENAPI=1 cargo test` to
//! rewrite it) and when the document names a route the server does not serve.
//! Routes can only be registered through the annotated handlers, so every
//! served route is in the document by construction.

use reqwest::Method;

use crate::support::spawn_app;

fn committed_path() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi.yaml")
}

#[test]
fn committed_document_matches_the_code() {
    let generated = yizhan::openapi::to_yaml(&yizhan::startup::spec());
    let path = committed_path();
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.yaml is stale: run `UPDATE_OPENAPI=1 cargo test -p yizhan --test api openapi` and commit it"
    );
}

#[test]
fn every_error_code_is_documented() {
    let yaml = yizhan::openapi::to_yaml(&yizhan::startup::spec());
    for code in yizhan::error::ErrorCode::ALL {
        assert!(
            yaml.contains(&format!("- {}", code.as_str())),
            "{} missing",
            code.as_str()
        );
    }
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let app = spawn_app().await;
    let spec = yizhan::startup::spec();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (path, item) in &spec.paths.paths {
        let concrete = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let methods = [
            (Method::GET, item.get.is_some()),
            (Method::POST, item.post.is_some()),
            (Method::PUT, item.put.is_some()),
            (Method::PATCH, item.patch.is_some()),
            (Method::DELETE, item.delete.is_some()),
        ];
        for (method, documented) in methods {
            let Some(op) = operation(item, &method).filter(|_| documented) else {
                continue;
            };
            let r = app
                .send(
                    app.client
                        .request(method.clone(), format!("{}{}", app.base, concrete)),
                )
                .await;
            assert_ne!(
                r.code(),
                "ROUTE_NOT_FOUND",
                "{method} {path} is documented but not served"
            );
            assert_ne!(
                r.status, 405,
                "{method} {path} is documented but not served"
            );
            // Sent without a token and without a body: an operation that needs
            // the token says 401 before it looks at anything else, and every
            // operation answers a status its document lists.
            if needs_token(op) && r.status != 401 {
                wrong.push(format!(
                    "{method} {path} without a token: {} {}",
                    r.status,
                    r.code()
                ));
            }
            if !op
                .responses
                .responses
                .contains_key(&r.status.as_u16().to_string())
            {
                wrong.push(format!(
                    "{method} {path} answered {} ({}), which its document does not list",
                    r.status,
                    r.code()
                ));
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(checked >= 18, "only {checked} routes documented");
}

fn operation<'a>(
    item: &'a utoipa::openapi::PathItem,
    method: &Method,
) -> Option<&'a utoipa::openapi::path::Operation> {
    match *method {
        Method::GET => item.get.as_ref(),
        Method::POST => item.post.as_ref(),
        Method::PUT => item.put.as_ref(),
        Method::PATCH => item.patch.as_ref(),
        Method::DELETE => item.delete.as_ref(),
        _ => None,
    }
}

fn needs_token(op: &utoipa::openapi::path::Operation) -> bool {
    op.security.as_ref().is_some_and(|reqs| {
        reqs.iter()
            .any(|r| *r != utoipa::openapi::security::SecurityRequirement::default())
    })
}

/// Every `$ref` in `value`.
fn refs(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v.as_str()) {
                    ("$ref", Some(r)) => found.push(r.to_owned()),
                    _ => refs(v, found),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

#[test]
fn the_document_is_complete_for_client_generators() {
    let spec = yizhan::startup::spec();
    let doc = serde_json::to_value(&spec).unwrap();

    let mut found = Vec::new();
    refs(&doc, &mut found);
    let schemas = &doc["components"]["schemas"];
    for r in &found {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or(r);
        assert!(schemas.get(name).is_some(), "unresolved reference {r}");
    }
    let names: std::collections::BTreeSet<String> = found
        .iter()
        .filter_map(|r| r.strip_prefix("#/components/schemas/"))
        .map(str::to_owned)
        .collect();
    for name in schemas.as_object().unwrap().keys() {
        assert!(names.contains(name), "schema {name} is never used");
    }

    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in &spec.paths.paths {
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            let Some(op) = operation(item, &method) else {
                continue;
            };
            let id = op.operation_id.clone().unwrap_or_default();
            assert!(
                ids.insert(id.clone()),
                "operationId {id} of {method} {path} is not unique"
            );
            assert!(
                op.security.is_some(),
                "{method} {path} declares no security"
            );
            assert!(
                op.summary.as_deref().is_some_and(|s| !s.trim().is_empty()),
                "{method} {path} has no summary (a doc comment on its handler)"
            );
        }
    }
    assert!(!doc["servers"].as_array().unwrap().is_empty());
}

/// Authorization comes before validation: a resident who sends an empty or
/// nonsense body to an admin operation learns nothing of its schema, only 403.
#[tokio::test]
async fn a_resident_gets_403_from_every_admin_operation_before_any_validation() {
    let app = spawn_app().await;
    let (resident, _, _) = app.resident("curious-resident").await;
    let spec = yizhan::startup::spec();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (path, item) in &spec.paths.paths {
        if !path.starts_with("/api/v1/admin/") {
            continue;
        }
        let concrete = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            if operation(item, &method).is_none() {
                continue;
            }
            for body in [
                serde_json::json!({}),
                serde_json::json!({"name": 7, "ids": "x"}),
            ] {
                let r = app
                    .send(
                        app.client
                            .request(method.clone(), app.url(&concrete))
                            .bearer_auth(&resident)
                            .json(&body),
                    )
                    .await;
                let listed = operation(item, &method)
                    .is_some_and(|op| op.responses.responses.contains_key("403"));
                if r.status != 403 || !listed {
                    wrong.push(format!("{method} {path} {body}: {} {}", r.status, r.code()));
                }
                checked += 1;
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(checked > 40, "only {checked} admin calls made");
}
