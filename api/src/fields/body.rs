//! Rules every JSON body obeys, whatever its type: no list longer than
//! [`MAX_LIST_ITEMS`], and a body that does not fit its type names every
//! field that is missing or wrong, not only the first.

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;

use crate::error::FieldError;

/// The most items any list in a request body may hold (ids, tags, photos
/// ...). Rules of each field may allow fewer; none allows more, so no body
/// can make a query with more bound variables than the databases take.
pub const MAX_LIST_ITEMS: usize = 500;

/// Rounds of "note the error, stand in a valid value, parse again" before
/// giving up on finding more errors.
const MAX_ROUNDS: usize = 64;

/// The lists in `body` longer than [`MAX_LIST_ITEMS`], by field path. A body
/// with fewer commas than that cannot hold one, and is not parsed twice.
pub fn overlong_lists(body: &[u8]) -> Vec<FieldError> {
    if body.iter().filter(|b| **b == b',').count() < MAX_LIST_ITEMS {
        return Vec::new();
    }
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    collect_overlong(&value, String::new(), &mut found);
    found
}

fn collect_overlong(value: &Value, at: String, found: &mut Vec<FieldError>) {
    match value {
        Value::Array(items) => {
            if items.len() > MAX_LIST_ITEMS {
                let field = if at.is_empty() { "body".to_owned() } else { at };
                found.push(FieldError::new(
                    field,
                    format!("最多 {MAX_LIST_ITEMS} 项（收到 {} 项）", items.len()),
                ));
                return;
            }
            for (i, item) in items.iter().enumerate() {
                collect_overlong(item, format!("{at}[{i}]"), found);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let here = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                collect_overlong(item, here, found);
            }
        }
        _ => {}
    }
}

/// Every missing or ill-typed field of `body` as a `T`, in the order serde
/// meets them. After each error, the missing field is filled (or the wrong
/// value replaced) with a stand-in `T` accepts there, and the parse runs
/// again; so this works for any body type without knowing its fields.
/// Empty when `body` is not JSON or parses (the caller keeps its own error).
pub fn every_field_error<T: DeserializeOwned>(body: &[u8]) -> Vec<FieldError> {
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let mut errors: Vec<FieldError> = Vec::new();
    // Where errors were named: errors inside a stand-in are not the client's.
    let mut named: Vec<Vec<Step>> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let Some(found) = first_error::<T>(&value) else {
            break;
        };
        if !named.iter().any(|at| found.target.starts_with(at)) {
            errors.push(found.field);
            named.push(found.target.clone());
        }
        if found.target.is_empty() || !stand_in::<T>(&mut value, &found.target, &found.message) {
            break;
        }
    }
    errors
}

/// One error of a round: the field as clients see it, where it is in the
/// JSON, and serde's words.
struct Found {
    field: FieldError,
    target: Vec<Step>,
    message: String,
}

#[derive(Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

fn first_error<T: DeserializeOwned>(value: &Value) -> Option<Found> {
    let err = serde_path_to_error::deserialize::<_, T>(value).err()?;
    let path = err.path().to_string();
    let mut target = Vec::new();
    for segment in err.path().iter() {
        match segment {
            Segment::Map { key } => target.push(Step::Key(key.clone())),
            Segment::Seq { index } => target.push(Step::Index(*index)),
            // Enums and untagged shapes: no place to stand a value in.
            Segment::Enum { .. } | Segment::Unknown => target.clear(),
        }
    }
    let message = err.into_inner().to_string();
    let field = match message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        Some(name) => {
            target.push(Step::Key(name.to_owned()));
            if path == "." {
                name.to_owned()
            } else {
                format!("{path}.{name}")
            }
        }
        None if path == "." => "body".to_owned(),
        None => path,
    };
    Some(Found {
        field: FieldError::new(field, message.clone()),
        target,
        message,
    })
}

/// Puts at `target` the first stand-in after which `T`'s parse no longer
/// fails there; false when none does.
fn stand_in<T: DeserializeOwned>(value: &mut Value, target: &[Step], message: &str) -> bool {
    let mut candidates: Vec<Value> = expected_variant(message)
        .map(|v| Value::String(v.to_owned()))
        .into_iter()
        .collect();
    candidates.extend([
        Value::from(1),
        Value::from("1"),
        Value::Bool(false),
        Value::Array(Vec::new()),
        Value::Object(Default::default()),
        Value::from("2000-01-01T00:00:00Z"),
        Value::from("2000-01-01"),
        Value::from(0.5),
        Value::Null,
    ]);
    // Best a stand-in the parse accepts; else one it enters (a struct with
    // fields of its own missing), whose inner errors are not reported.
    let mut deeper = None;
    let mut i = 0;
    while let Some(candidate) = candidates.get(i).cloned() {
        i += 1;
        if !place(value, target, candidate.clone()) {
            return false;
        }
        match first_error::<T>(value) {
            None => return true,
            Some(next) if !next.target.starts_with(target) => return true,
            Some(next) if next.target.len() > target.len() => {
                deeper.get_or_insert(candidate);
            }
            // A string of a closed set: its error lists the values it takes.
            Some(next) => {
                if let Some(variant) = expected_variant(&next.message)
                    && candidates.len() < 32
                {
                    candidates.push(Value::from(variant));
                }
            }
        }
    }
    deeper.is_some_and(|candidate| place(value, target, candidate))
}

/// "unknown variant `x`, expected one of `a`, `b`" → "a".
fn expected_variant(message: &str) -> Option<&str> {
    let rest = &message[message.find("expected")?..];
    let start = rest.find('`')? + 1;
    let len = rest[start..].find('`')?;
    Some(&rest[start..start + len])
}

/// Sets the value at `target`, creating the last key; false when the path
/// leads through something that is not an object or array.
fn place(value: &mut Value, target: &[Step], new: Value) -> bool {
    let Some((last, parents)) = target.split_last() else {
        return false;
    };
    let mut at = value;
    for step in parents {
        at = match (step, at) {
            (Step::Key(k), Value::Object(map)) => match map.get_mut(k) {
                Some(next) => next,
                None => return false,
            },
            (Step::Index(i), Value::Array(items)) => match items.get_mut(*i) {
                Some(next) => next,
                None => return false,
            },
            _ => return false,
        };
    }
    match (last, at) {
        (Step::Key(k), Value::Object(map)) => {
            map.insert(k.clone(), new);
            true
        }
        (Step::Index(i), Value::Array(items)) if *i < items.len() => {
            items[*i] = new;
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        count: i64,
        kind: Kind,
        #[serde(default)]
        note: String,
        tags: Vec<String>,
        inner: Inner,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Big,
        Small,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        at: chrono::DateTime<chrono::Utc>,
    }

    fn fields(body: &str) -> Vec<String> {
        every_field_error::<Body>(body.as_bytes())
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn every_missing_and_wrong_field_is_named() {
        assert_eq!(fields("{}"), ["name", "count", "kind", "tags", "inner"]);
        // In the order the body holds them (a map's keys sorted), then the struct's.
        assert_eq!(
            fields(r#"{"inner": {}}"#),
            ["inner.at", "name", "count", "kind", "tags"]
        );
        assert_eq!(fields("[]"), ["body"]);
        assert_eq!(
            fields(r#"{"name": 1, "count": "x", "kind": "huge", "tags": [1, "a"], "inner": {}}"#),
            ["count", "inner.at", "kind", "name", "tags[0]"]
        );
        assert!(fields(r#"{"name": "a", "count": 1, "kind": "big", "tags": [], "inner": {"at": "2026-01-01T00:00:00Z"}}"#).is_empty());
    }

    #[test]
    fn lists_over_the_bound_are_named() {
        let ids: Vec<i64> = (0..=MAX_LIST_ITEMS as i64).collect();
        let body = serde_json::json!({ "a": { "ids": ids }, "b": [1, 2] }).to_string();
        let found = overlong_lists(body.as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field, "a.ids");
        let ok: Vec<i64> = (0..MAX_LIST_ITEMS as i64).collect();
        let body = serde_json::json!({ "ids": ok }).to_string();
        assert!(overlong_lists(body.as_bytes()).is_empty());
    }
}
