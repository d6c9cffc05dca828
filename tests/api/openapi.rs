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
            if !documented {
                continue;
            }
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
            checked += 1;
        }
    }
    assert!(checked >= 18, "only {checked} routes documented");
}
