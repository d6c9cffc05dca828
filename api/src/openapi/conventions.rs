//! Rules every operation of the document follows, applied once to the whole
//! document after the handlers' annotations are collected, so no handler can
//! forget them:
//!
//! - every `operationId` is unique (a handler name used twice, like
//!   `approve` for merchants and helpers, is qualified by its path);
//! - every operation declares its security: the bearer token, or an explicit
//!   `security: []` for public ones;
//! - every status the framework answers for any operation is listed: 400 for a
//!   malformed query or body, 422 for a body with a NUL character or an
//!   over-long list, 401 without a valid token, 403 from the admin
//!   gate, 404 for a path parameter that is no id, 429 where the write and
//!   WeChat-quota limits apply (`auth::write_limits::is_limited`);
//! - every free-text string says it holds no NUL character (the server
//!   refuses one anywhere, `extract::parse_json` and `refuse_nul_in_url`);
//! - every date-time says its year is 2000-2099 (`time::YEARS_PATTERN`, the
//!   bound `time::parse_bounded` checks);
//! - schemas no operation reaches are dropped, so the document carries only
//!   what the API uses.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::http::Method;

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{
    Content, OpenApi, Ref, RefOr, Response, ResponseBuilder, Server, security::SecurityRequirement,
};

const ERROR_BODY: &str = "ErrorBody";

/// Applies every rule above to `spec`.
pub fn apply(spec: &mut OpenApi) {
    spec.servers = Some(vec![Server::new("/")]);
    unique_operation_ids(spec);
    for (method, path, op) in operations_mut(spec) {
        declare_security(op);
        describe_idempotency_key(op);
        list_framework_statuses(op, path.starts_with("/api/v1/admin/"));
        if crate::auth::write_limits::is_limited(&method, path) {
            op.responses
                .responses
                .entry("429".into())
                .or_insert_with(|| error_response("RATE_LIMITED (with Retry-After)"));
        }
    }
    drop_unused_schemas(spec);
    forbid_nul(spec);
}

fn operations_mut(spec: &mut OpenApi) -> impl Iterator<Item = (Method, &String, &mut Operation)> {
    spec.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            (Method::GET, item.get.as_mut()),
            (Method::PUT, item.put.as_mut()),
            (Method::POST, item.post.as_mut()),
            (Method::DELETE, item.delete.as_mut()),
            (Method::PATCH, item.patch.as_mut()),
            (Method::HEAD, item.head.as_mut()),
            (Method::OPTIONS, item.options.as_mut()),
        ]
        .into_iter()
        .filter_map(move |(method, op)| Some((method, path, op?)))
    })
}

/// `admin/merchant-applications/{id}/approve` → `admin_merchant_applications_approve`.
fn path_name(path: &str) -> String {
    path.split('/')
        .filter(|seg| !seg.is_empty() && !seg.starts_with('{') && *seg != "api" && *seg != "v1")
        .collect::<Vec<_>>()
        .join("_")
        .replace(['-', '.'], "_")
}

fn unique_operation_ids(spec: &mut OpenApi) {
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for (_, _, op) in operations_mut(spec) {
        if let Some(id) = &op.operation_id {
            *uses.entry(id.clone()).or_default() += 1;
        }
    }
    for (_, path, op) in operations_mut(spec) {
        let id = op.operation_id.clone().unwrap_or_default();
        if id.is_empty() || uses.get(&id).copied().unwrap_or(0) > 1 {
            let qualified = path_name(path);
            op.operation_id = Some(if qualified.ends_with(&id) {
                qualified
            } else {
                format!("{qualified}_{id}")
            });
        }
    }
}

/// `Idempotency-Key` is 1-64 printable ASCII characters
/// (`idempotency::IdempotencyKey::parse`), wherever it is read.
fn describe_idempotency_key(op: &mut Operation) {
    for param in op.parameters.iter_mut().flatten() {
        if param.name == "Idempotency-Key" && matches!(param.parameter_in, ParameterIn::Header) {
            param.schema = Some(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some(r"^[!-~]{1,64}$"))
                    .into(),
            );
        }
    }
}

fn declare_security(op: &mut Operation) {
    // `None` means "inherit the document's", and the document declares none:
    // say so per operation, as clients and linters expect.
    if op.security.is_none() {
        op.security = Some(Vec::new());
    }
}

fn needs_token(op: &Operation) -> bool {
    op.security.as_ref().is_some_and(|reqs| {
        !reqs.is_empty() && !reqs.iter().any(|r| *r == SecurityRequirement::default())
    })
}

fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name(ERROR_BODY))),
        )
        .build()
        .into()
}

/// `admin_only`: behind `auth::gate::admins_only`, which answers 403 to
/// anyone but an admin.
fn list_framework_statuses(op: &mut Operation, admin_only: bool) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_query = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Header));
    let has_path = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let has_body = op.request_body.is_some();
    let token = needs_token(op);
    let responses = &mut op.responses.responses;
    if has_query || has_body {
        responses
            .entry("400".into())
            .or_insert_with(|| error_response("MALFORMED_JSON or INVALID_QUERY"));
    }
    if has_body {
        // `extract::parse_json` refuses a NUL character in any text and a
        // list over `fields::body::MAX_LIST_ITEMS` in any body.
        responses.entry("422".into()).or_insert_with(|| {
            error_response("VALIDATION_FAILED: a field breaks a rule (`details.fields`)")
        });
    }
    if token {
        responses
            .entry("401".into())
            .or_insert_with(|| error_response("UNAUTHORIZED"));
    }
    if admin_only {
        responses
            .entry("403".into())
            .or_insert_with(|| error_response("FORBIDDEN: not an admin"));
    }
    if has_path {
        responses
            .entry("404".into())
            .or_insert_with(|| error_response("NOT_FOUND"));
    }
}

/// Every `#/components/schemas/X` that `value` names.
fn schema_refs(value: &serde_json::Value, found: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                if key == "$ref" {
                    if let Some(name) = v
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    {
                        found.insert(name.to_owned());
                    }
                } else {
                    schema_refs(v, found);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| schema_refs(v, found)),
        _ => {}
    }
}

fn drop_unused_schemas(spec: &mut OpenApi) {
    let Ok(paths) = serde_json::to_value(&spec.paths) else {
        return;
    };
    let Some(components) = spec.components.as_mut() else {
        return;
    };
    let mut used = BTreeSet::new();
    schema_refs(&paths, &mut used);
    let mut pending: Vec<String> = used.iter().cloned().collect();
    while let Some(name) = pending.pop() {
        let Some(schema) = components.schemas.get(&name) else {
            continue;
        };
        let mut inner = BTreeSet::new();
        if let Ok(value) = serde_json::to_value(schema) {
            schema_refs(&value, &mut inner);
        }
        for name in inner {
            if used.insert(name.clone()) {
                pending.push(name);
            }
        }
    }
    components.schemas.retain(|name, _| used.contains(name));
}

/// The pattern of a string without NUL characters.
pub const NO_NUL: &str = r"^[^\u0000]*$";

/// Adds [`NO_NUL`] to every string schema that has no pattern, format or
/// closed set of values of its own.
fn forbid_nul(spec: &mut OpenApi) {
    let Ok(mut doc) = serde_json::to_value(&*spec) else {
        return;
    };
    add_no_nul(&mut doc);
    if let Ok(done) = serde_json::from_value(doc) {
        *spec = done;
    }
}

fn add_no_nul(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            let is_string = match map.get("type") {
                Some(serde_json::Value::String(t)) => t == "string",
                Some(serde_json::Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                _ => false,
            };
            let free = ["pattern", "format", "enum", "const"]
                .iter()
                .all(|k| !map.contains_key(*k));
            if is_string && free {
                map.insert("pattern".into(), NO_NUL.into());
            }
            let is_time = map
                .get("format")
                .is_some_and(|f| f == "date-time" || f == "date");
            if is_string && is_time && !map.contains_key("pattern") {
                map.insert("pattern".into(), crate::time::YEARS_PATTERN.into());
            }
            map.values_mut().for_each(add_no_nul);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(add_no_nul),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_names_drop_the_prefix_and_parameters() {
        assert_eq!(
            path_name("/api/v1/admin/merchant-applications/{id}/approve"),
            "admin_merchant_applications_approve"
        );
        assert_eq!(path_name("/openapi.yaml"), "openapi_yaml");
    }
}
