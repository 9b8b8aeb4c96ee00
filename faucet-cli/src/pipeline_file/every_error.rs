//! Every mistake in a connector's config at once, each at its full path.
//!
//! A connector's config is parsed by serde, which stops at the first error
//! and, inside tagged unions (`pagination: {kind: …}`), names the union
//! rather than the field. So: take the error, narrow its path to the value
//! it names (`source.pagination.size` for `invalid type: string "ten"`),
//! set that value aside, and parse again, until the config parses or an
//! error cannot be set aside.

use faucet_core::FaucetError;
use serde_json::Value;

use super::paths::{join, located, pointer};

/// At most this many errors per connector.
const MAX_ERRORS: usize = 20;

/// Builds with `build`; on config errors, records each (with its path
/// under `section`) into `errors` and returns `None`.
pub(crate) fn build_all<T>(
    mut config: Value,
    section: &str,
    build: impl Fn(Value) -> Result<T, FaucetError>,
    errors: &mut Vec<(String, String)>,
) -> Option<T> {
    let mut found: Vec<String> = Vec::new();
    while found.len() < MAX_ERRORS {
        let (path, message) = match build(config.clone()) {
            Ok(built) if found.is_empty() => return Some(built),
            Ok(_) => return None,
            Err(FaucetError::Config { path, message, .. }) => (path, message),
            Err(other) => {
                errors.push(located(section, other));
                return None;
            }
        };
        let (mut path, mut aside) = narrow(&config, &path, &message);
        if let Some(culprit) = by_removal(&config, &path, &message, &build) {
            (path, aside) = (culprit.clone(), culprit);
        }
        if found.contains(&path) {
            return None;
        }
        errors.push((join(section, &path), message));
        found.push(path);
        if aside.is_empty() || !remove(&mut config, &aside) {
            return None;
        }
    }
    None
}

/// The most precise path for an error serde reported at `path`, and the
/// path of the value to set aside to look for more errors (empty: none).
fn narrow(config: &Value, path: &str, message: &str) -> (String, String) {
    let node = config.pointer(&pointer(path));
    if let Some(field) = between(message, "missing field `", "`") {
        // Set the mapping missing it aside (it may be optional).
        return (child(path, field), path.to_owned());
    }
    if let (Some(field), Some(node)) = (between(message, "unknown field `", "`"), node) {
        // Inside a tagged union serde names the union, not the mapping
        // that holds the key: look for the one key of that name below.
        let mut hits = Vec::new();
        find_key(node, path.to_owned(), field, &mut hits);
        if let [only] = hits.as_slice() {
            return (only.clone(), only.clone());
        }
    }
    if let (Some(literal), Some(node @ (Value::Object(_) | Value::Array(_)))) =
        (literal(message), node)
    {
        let mut hits = Vec::new();
        find(node, path.to_owned(), &literal, &mut hits);
        if let [only] = hits.as_slice() {
            return (only.clone(), only.clone());
        }
    }
    (path.to_owned(), path.to_owned())
}

/// When serde names a mapping but not which of its values is wrong (a
/// value inside a tagged union that the message does not quote, such as
/// `invalid type: map`), finds the one value whose removal changes that
/// error, descending as far as it stays unique. When several do (removing
/// the union's tag changes it too), the one of the type the message names
/// is taken.
fn by_removal<T>(
    config: &Value,
    path: &str,
    message: &str,
    build: &impl Fn(Value) -> Result<T, FaucetError>,
) -> Option<String> {
    below(config, path, path, message, build)
}

/// [`by_removal`] inside the mapping at `node`, which is `reported` (where
/// serde put the error) or below it: removing a value changes the error
/// when the error is no longer `message` at `reported`.
fn below<T>(
    config: &Value,
    reported: &str,
    node: &str,
    message: &str,
    build: &impl Fn(Value) -> Result<T, FaucetError>,
) -> Option<String> {
    let Value::Object(map) = config.pointer(&pointer(node))? else {
        return None;
    };
    let changes = |key: &String| {
        let mut trial = config.clone();
        remove(&mut trial, &child(node, key))
            && !matches!(build(trial), Err(FaucetError::Config { path: p, message: m, .. })
                if p == reported && m == message)
    };
    let mut culprits: Vec<(&String, &Value)> = map.iter().filter(|(k, _)| changes(k)).collect();
    if culprits.len() > 1 {
        culprits.retain(|(_, v)| holds_named_type(message, v));
    }
    let [(key, _)] = culprits.as_slice() else {
        return None;
    };
    let culprit = child(node, key);
    Some(below(config, reported, &culprit, message, build).unwrap_or(culprit))
}

/// Whether `value` is, or holds, a value of the type an `invalid type: …`
/// message names.
fn holds_named_type(message: &str, value: &Value) -> bool {
    of_named_type(message, value)
        || match value {
            Value::Object(map) => map.values().any(|v| holds_named_type(message, v)),
            Value::Array(items) => items.iter().any(|v| holds_named_type(message, v)),
            _ => false,
        }
}

/// Whether `value` is of the type an `invalid type: …` message names.
fn of_named_type(message: &str, value: &Value) -> bool {
    let named = between(message, "invalid type: ", ",")
        .or_else(|| between(message, "invalid value: ", ","));
    let Some(named) = named else {
        return false;
    };
    match value {
        Value::Object(_) => named == "map",
        Value::Array(_) => named == "sequence",
        Value::Null => named == "null" || named == "unit value",
        Value::Bool(_) => named.starts_with("boolean"),
        Value::Number(_) => named.starts_with("integer") || named.starts_with("floating"),
        Value::String(_) => named.starts_with("string"),
    }
}

/// The value an error message quotes: `string "ten"`, `integer `5``,
/// `boolean `true``, `unknown variant `cursr``.
fn literal(message: &str) -> Option<Value> {
    if let Some(text) = between(message, "string \"", "\"") {
        return Some(Value::String(text.to_owned()));
    }
    if let Some(text) = between(message, "unknown variant `", "`") {
        return Some(Value::String(text.to_owned()));
    }
    for marker in ["integer `", "floating point `", "boolean `"] {
        if let Some(text) = between(message, marker, "`") {
            return serde_json::from_str(text).ok();
        }
    }
    None
}

/// Paths under `path` of every leaf equal to `literal`.
fn find(node: &Value, path: String, literal: &Value, hits: &mut Vec<String>) {
    match node {
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| find(v, child(&path, k), literal, hits)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| find(v, format!("{path}[{i}]"), literal, hits)),
        leaf if same_literal(leaf, literal) => hits.push(path),
        _ => {}
    }
}

/// Paths under `path` of every mapping key named `key`.
fn find_key(node: &Value, path: String, key: &str, hits: &mut Vec<String>) {
    match node {
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            let at = child(&path, k);
            if k == key {
                hits.push(at.clone());
            }
            find_key(v, at, key, hits);
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| find_key(v, format!("{path}[{i}]"), key, hits)),
        _ => {}
    }
}

/// Whether `leaf` is the value a message quotes; serde escapes strings as
/// Rust does (`"\0nul"`).
fn same_literal(leaf: &Value, literal: &Value) -> bool {
    match (leaf, literal) {
        (Value::String(leaf), Value::String(quoted)) => {
            leaf == quoted || leaf.escape_debug().to_string() == *quoted
        }
        _ => leaf == literal,
    }
}

/// Removes the value at `path` (an array item becomes `null`).
fn remove(config: &mut Value, path: &str) -> bool {
    let pointer = pointer(path);
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return false;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match config.pointer_mut(parent) {
        Some(Value::Object(map)) => map.remove(&last).is_some(),
        Some(Value::Array(items)) => {
            match last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(item) => {
                    *item = Value::Null;
                    true
                }
                None => false,
            }
        }
        _ => false,
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn narrows_to_the_value_the_message_names() {
        let config =
            json!({"pagination": {"kind": "page_number", "size": "ten"}, "auth": {"tokn": 1}});
        let msg = "invalid type: string \"ten\", expected u64";
        let size = String::from("pagination.size");
        assert_eq!(narrow(&config, "pagination", msg), (size.clone(), size));
        let msg = "unknown field `tokn`, expected `token`";
        let tokn = String::from("auth.tokn");
        assert_eq!(narrow(&config, "auth", msg), (tokn.clone(), tokn));
        assert!(of_named_type(
            "invalid type: map, expected a string",
            &json!({})
        ));
        assert!(!of_named_type(
            "invalid type: map, expected a string",
            &json!("x")
        ));
        let nested = json!({"pagination": {"kind": "page", "stop": {"total_pathx": "t"}}});
        let msg = "unknown field `total_pathx`, expected one of `total_path`";
        let at = String::from("pagination.stop.total_pathx");
        assert_eq!(narrow(&nested, "pagination", msg), (at.clone(), at));
        let msg = "missing field `token`";
        let token = String::from("auth.token");
        assert_eq!(narrow(&config, "auth", msg), (token, "auth".into()));
    }
}
