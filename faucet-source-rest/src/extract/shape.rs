//! The shape a page must have: where its records are and what they are,
//! and the values read beside them (cursors, counts, header totals).

use faucet_common_http::header::HeaderMap;
use serde_json::Value;

use super::JsonPath;

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
            other => Err(format!(
                "expected an array of records (`records` is `$`); {}",
                describe_top(&other)
            )),
        },
        RecordsSpec::Array(path) => match path.take(doc) {
            Some(Value::Array(items)) => Ok(items),
            Some(Value::Null) => Ok(Vec::new()),
            Some(other) => Err(format!(
                "records at `{}` are {}, not an array",
                path.as_str(),
                kind(&other)
            )),
            None => Err(not_found(path, doc)),
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
                Some(other) => Err(format!(
                    "the single record at `{}` is {}, not an object",
                    path.as_str(),
                    kind(&other)
                )),
                None => Err(not_found(path, doc)),
            }
        }
    }
}

fn not_found(path: &JsonPath, doc: &Value) -> String {
    format!(
        "records path `{}` not found; {}",
        path.as_str(),
        describe_top(doc)
    )
}

fn describe_top(doc: &Value) -> String {
    match doc {
        Value::Object(map) if map.is_empty() => "the body is an empty object".into(),
        Value::Object(map) => {
            let keys: Vec<&str> = map.keys().take(20).map(String::as_str).collect();
            format!(
                "the body is an object with keys: {} (set `records` to the path of the array, or `{{single: true}}` if it is one record)",
                keys.join(", ")
            )
        }
        Value::Array(_) => "the body is an array (set `records: \"$\"` to use it)".into(),
        other => format!("the body is {}", kind(other)),
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
