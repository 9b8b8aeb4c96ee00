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

use super::build::{located, pointer};
use super::sections::join;

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
            Err(FaucetError::Config { path, message }) => (path, message),
            Err(other) => {
                errors.push(located(section, other));
                return None;
            }
        };
        let (path, aside) = narrow(&config, &path, &message);
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
    if let (Some(field), Some(Value::Object(map))) =
        (between(message, "unknown field `", "`"), node)
        && map.contains_key(field)
    {
        let at = child(path, field);
        return (at.clone(), at);
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
        leaf if leaf == literal => hits.push(path),
        _ => {}
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
        let msg = "missing field `token`";
        let token = String::from("auth.token");
        assert_eq!(narrow(&config, "auth", msg), (token, "auth".into()));
    }
}
