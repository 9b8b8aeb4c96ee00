//! The shape a page must have: where its records are and what they are,
//! and the values read beside them (cursors, counts, header totals). Both
//! routes (a tree of the page, or a scan of its text) check the shape
//! here, with the same messages.

use faucet_common_http::header::HeaderMap;
use serde_json::Value;
use serde_json::value::RawValue;

use super::JsonPath;
use super::scan::{Found, kind_of};

/// Where the records are, validated from `records`.
#[derive(Debug, Clone)]
pub(crate) enum RecordsSpec {
    /// The value at the path (the body for `$`) must be an array (or
    /// `null` at a path below the body: an empty page).
    Array(JsonPath),
    /// Each value the path selects is one record.
    Each(JsonPath),
    /// The object at the path is one record.
    Single(JsonPath),
}

impl Default for RecordsSpec {
    fn default() -> Self {
        Self::Array(JsonPath::root())
    }
}

/// Moves the records out of `doc`, or says why the body is not a page.
pub(crate) fn take_records(spec: &RecordsSpec, doc: &mut Value) -> Result<Vec<Value>, String> {
    match spec {
        RecordsSpec::Array(path) if path.is_root() => match doc.take() {
            Value::Array(items) => Ok(items),
            other => Err(not_an_array(&describe_tree(&other))),
        },
        RecordsSpec::Array(path) => match path.take(doc) {
            Some(Value::Array(items)) => Ok(items),
            Some(Value::Null) => Ok(Vec::new()),
            Some(other) => Err(not_array_at(path, kind(&other))),
            None => Err(not_found(path, &describe_tree(doc))),
        },
        RecordsSpec::Each(path) => Ok(path.take_all(doc)),
        RecordsSpec::Single(path) => {
            let found = if path.is_root() {
                Some(doc.take())
            } else {
                path.take(doc)
            };
            match found {
                Some(obj @ Value::Object(_)) => Ok(vec![obj]),
                Some(other) => Err(not_an_object(path, kind(&other))),
                None => Err(not_found(path, &describe_tree(doc))),
            }
        }
    }
}

/// The records the scan found (`found`) in a body whose text is `text` and
/// whose top-level keys are `keys`, or why the body is not a page; `None`
/// when `P[*]` met an object (its members need a tree: a tree keeps one
/// value per key).
pub(crate) fn pick_records<'a>(
    spec: &RecordsSpec,
    found: Option<Found<'a>>,
    text: &str,
    keys: &[String],
) -> Result<Option<Vec<&'a RawValue>>, String> {
    pick(spec, found, text, keys).map(|picked| match picked {
        Picked::Records(records) => Some(records),
        Picked::NeedsTree => None,
    })
}

enum Picked<'a> {
    Records(Vec<&'a RawValue>),
    NeedsTree,
}

fn pick<'a>(
    spec: &RecordsSpec,
    found: Option<Found<'a>>,
    text: &str,
    keys: &[String],
) -> Result<Picked<'a>, String> {
    let top = || describe_top(kind_of(text.trim_start().as_bytes()), keys.iter());
    let records = match (spec, found) {
        (RecordsSpec::Each(_), Some(Found::Kind("an object"))) => return Ok(Picked::NeedsTree),
        (RecordsSpec::Each(_), Some(Found::Items(items))) => Ok(items),
        (RecordsSpec::Each(_), _) => Ok(Vec::new()),
        (RecordsSpec::Array(_), Some(Found::Items(items))) => Ok(items),
        (RecordsSpec::Array(path), Some(Found::Kind(_))) if path.is_root() => {
            Err(not_an_array(&top()))
        }
        (RecordsSpec::Array(_), Some(Found::Kind("null"))) => Ok(Vec::new()),
        (RecordsSpec::Array(path), Some(Found::Kind(kind))) => Err(not_array_at(path, kind)),
        (RecordsSpec::Single(path), Some(Found::Whole(raw))) => match raw.get().as_bytes() {
            [b'{', ..] => Ok(vec![raw]),
            other => Err(not_an_object(path, kind_of(other))),
        },
        (RecordsSpec::Array(path) | RecordsSpec::Single(path), _) => Err(not_found(path, &top())),
    };
    records.map(Picked::Records)
}

fn not_an_array(top: &str) -> String {
    format!("expected an array of records (`records` is `$`); {top}")
}

fn not_array_at(path: &JsonPath, kind: &str) -> String {
    format!("records at `{}` are {kind}, not an array", path.as_str())
}

fn not_an_object(path: &JsonPath, kind: &str) -> String {
    format!(
        "the single record at `{}` is {kind}, not an object",
        path.as_str()
    )
}

fn not_found(path: &JsonPath, top: &str) -> String {
    format!("records path `{}` not found; {top}", path.as_str())
}

fn describe_tree(doc: &Value) -> String {
    let keys = doc.as_object().into_iter().flat_map(|map| map.keys());
    describe_top(kind(doc), keys)
}

/// What the body is, for a body of `kind` whose top-level keys (when an
/// object) are `keys`.
fn describe_top<'k>(kind: &str, keys: impl Iterator<Item = &'k String>) -> String {
    match kind {
        "an object" => {
            let keys: Vec<&str> = keys.take(20).map(String::as_str).collect();
            if keys.is_empty() {
                return "the body is an empty object".into();
            }
            format!(
                "the body is an object with keys: {} (set `records` to the path of the array, or `{{single: true}}` if it is one record)",
                keys.join(", ")
            )
        }
        "an array" => "the body is an array (set `records: \"$\"` to use it)".into(),
        other => format!("the body is {other}"),
    }
}

pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn as_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn as_count(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The total number of records from the first of `names` present: a
/// number, or a `Content-Range` such as `items 0-999/50000` (a `*` total
/// is unknown).
pub(crate) fn header_total(headers: &HeaderMap, names: &[String]) -> Option<(String, u64)> {
    names.iter().find_map(|name| {
        let value = headers.get(name.as_str())?.to_str().ok()?.trim();
        let total = match value.rsplit_once('/') {
            Some((_, total)) => total.trim().parse().ok()?,
            None => value.parse().ok()?,
        };
        Some((name.clone(), total))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use faucet_common_http::header::HeaderValue;

    #[test]
    fn header_totals_read_counts_and_content_ranges() {
        let names = vec!["X-Total-Count".to_owned(), "Content-Range".to_owned()];
        let mut headers = HeaderMap::new();
        assert_eq!(header_total(&headers, &names), None);
        headers.insert(
            "content-range",
            HeaderValue::from_static("items 0-999/50000"),
        );
        assert_eq!(
            header_total(&headers, &names),
            Some(("Content-Range".into(), 50_000))
        );
        headers.insert("x-total-count", HeaderValue::from_static(" 42 "));
        assert_eq!(
            header_total(&headers, &names),
            Some(("X-Total-Count".into(), 42))
        );
        let mut star = HeaderMap::new();
        star.insert("content-range", HeaderValue::from_static("items 0-9/*"));
        assert_eq!(header_total(&star, &names), None);
    }
}
