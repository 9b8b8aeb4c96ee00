//! Decoding one response: parse the body once, read the pagination
//! fields, move the records out, filter by replication key.

mod path;

use bytes::Bytes;
use faucet_core::{FaucetError, Record};
use serde_json::Value;

pub(crate) use path::JsonPath;

use crate::incremental::{Threshold, newer};

/// What to read from each response.
#[derive(Debug, Clone, Default)]
pub(crate) struct DecodeSpec {
    pub(crate) records: Option<JsonPath>,
    pub(crate) cursor: Option<JsonPath>,
    pub(crate) next_url: Option<JsonPath>,
    pub(crate) has_more: Option<JsonPath>,
    pub(crate) total: Option<JsonPath>,
    pub(crate) total_pages: Option<JsonPath>,
    pub(crate) replication_key: Option<JsonPath>,
}

/// One decoded page.
#[derive(Debug, Default)]
pub(crate) struct Decoded {
    pub(crate) records: Vec<Record>,
    pub(crate) cursor: Option<String>,
    pub(crate) next_url: Option<String>,
    pub(crate) has_more: Option<bool>,
    pub(crate) total: Option<u64>,
    pub(crate) total_pages: Option<u64>,
    /// Records in the response before the replication-key filter.
    pub(crate) received: usize,
    /// Largest replication key on the page.
    pub(crate) max_key: Option<Value>,
    /// The raw body (shared, not copied), for the same-page-twice loop
    /// guard.
    pub(crate) body: Bytes,
    pub(crate) bytes: u64,
}

fn decode_error(url: &str, message: String) -> FaucetError {
    FaucetError::Decode {
        location: url.to_owned(),
        message,
    }
}

/// Byte offset of a serde_json error (it reports line and column).
fn byte_offset(body: &[u8], err: &serde_json::Error) -> usize {
    let line_start: usize = body
        .split(|b| *b == b'\n')
        .take(err.line().saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    line_start + err.column().saturating_sub(1)
}

fn as_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn as_count(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn describe_top(doc: &Value) -> String {
    match doc {
        Value::Object(map) if map.is_empty() => "the body is an empty object".into(),
        Value::Object(map) => {
            let keys: Vec<&str> = map.keys().take(20).map(String::as_str).collect();
            format!("top-level keys: {}", keys.join(", "))
        }
        Value::Array(_) => "the body is an array (leave `records` unset to use it)".into(),
        other => format!("the body is {}", kind(other)),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Decodes `body` from `url`: one parse, records moved out of the document.
pub(crate) fn decode(
    body: &Bytes,
    url: &str,
    spec: &DecodeSpec,
    threshold: Option<&Threshold>,
) -> Result<Decoded, FaucetError> {
    let mut doc: Value = serde_json::from_slice(body).map_err(|e| {
        let what = if e.is_eof() {
            "truncated JSON"
        } else {
            "invalid JSON"
        };
        decode_error(
            url,
            format!("{what} at byte {}: {e}", byte_offset(body, &e)),
        )
    })?;
    let mut page = Decoded {
        cursor: spec.cursor.as_ref().and_then(|p| as_text(p.get(&doc))),
        next_url: spec.next_url.as_ref().and_then(|p| as_text(p.get(&doc))),
        has_more: spec
            .has_more
            .as_ref()
            .and_then(|p| p.get(&doc))
            .and_then(Value::as_bool),
        total: spec.total.as_ref().and_then(|p| as_count(p.get(&doc))),
        total_pages: spec
            .total_pages
            .as_ref()
            .and_then(|p| as_count(p.get(&doc))),
        body: body.clone(),
        bytes: body.len() as u64,
        ..Decoded::default()
    };
    let found = match &spec.records {
        Some(path) if !path.is_root() => path.take(&mut doc).ok_or_else(|| {
            decode_error(
                url,
                format!(
                    "records path `{}` not found; {}",
                    path.as_str(),
                    describe_top(&doc)
                ),
            )
        })?,
        _ => doc,
    };
    let records = match found {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        obj @ Value::Object(_) => vec![obj],
        other => {
            let at = spec.records.as_ref().map_or("$", JsonPath::as_str);
            return Err(decode_error(
                url,
                format!(
                    "records at `{at}` are {}, not an array or object",
                    kind(&other)
                ),
            ));
        }
    };
    page.received = records.len();
    page.records = match &spec.replication_key {
        Some(key) => filter_by_key(records, key, threshold, url, &mut page.max_key)?,
        None => records,
    };
    Ok(page)
}

/// Keeps records newer than `threshold` and tracks the largest key.
fn filter_by_key(
    records: Vec<Record>,
    key: &JsonPath,
    threshold: Option<&Threshold>,
    url: &str,
    max: &mut Option<Value>,
) -> Result<Vec<Record>, FaucetError> {
    let mut kept = Vec::with_capacity(records.len());
    for (i, record) in records.into_iter().enumerate() {
        if !record.is_object() {
            return Err(decode_error(
                url,
                format!(
                    "record {i} is {}, but the replication key `{}` needs an object",
                    kind(&record),
                    key.as_str()
                ),
            ));
        }
        let Some(value) = key.get(&record).filter(|v| !v.is_null()) else {
            kept.push(record);
            continue;
        };
        if max.as_ref().is_none_or(|m| newer(value, m)) {
            *max = Some(value.clone());
        }
        if threshold.is_none_or(|t| t.keeps(value)) {
            kept.push(record);
        }
    }
    Ok(kept)
}

/// The `rel="next"` target of an RFC 8288 `Link` header, among any rels.
pub(crate) fn link_next(header: &str) -> Option<String> {
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let params_end = rest[close..].find('<').map_or(rest.len(), |i| close + i);
        let params = &rest[close + 1..params_end];
        let is_next = params.split(';').any(|p| {
            let p = p.trim().trim_end_matches(',').trim_end();
            p.strip_prefix("rel=").is_some_and(|rels| {
                rels.trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
            })
        });
        if is_next {
            return Some(target.to_owned());
        }
        rest = &rest[params_end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(records: &str) -> DecodeSpec {
        DecodeSpec {
            records: Some(JsonPath::parse(records).unwrap()),
            ..DecodeSpec::default()
        }
    }

    #[test]
    fn malformed_json_names_url_and_byte_offset() {
        let body = Bytes::from_static(b"{\"data\": [1,,2]}");
        let err = decode(&body, "http://h/x", &spec("data"), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("http://h/x") && err.contains("byte 12"),
            "{err}"
        );
        let cut = Bytes::from_static(b"{\"data\": [1, 2");
        let err = decode(&cut, "http://h/x", &spec("data"), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("truncated JSON"), "{err}");
    }

    #[test]
    fn missing_records_path_lists_top_level_keys() {
        let body = Bytes::from_static(b"{\"items\": [], \"meta\": {}}");
        let err = decode(&body, "u", &spec("data"), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`data` not found") && err.contains("items, meta"),
            "{err}"
        );
    }

    #[test]
    fn records_may_be_an_array_an_object_or_null() {
        let one = decode(
            &Bytes::from_static(b"{\"id\": 1}"),
            "u",
            &DecodeSpec::default(),
            None,
        )
        .unwrap();
        assert_eq!(one.records, vec![json!({"id": 1})]);
        let none = decode(
            &Bytes::from_static(b"{\"data\": null}"),
            "u",
            &spec("data"),
            None,
        )
        .unwrap();
        assert!(none.records.is_empty());
        let bad = decode(
            &Bytes::from_static(b"{\"data\": 3}"),
            "u",
            &spec("data"),
            None,
        );
        assert!(bad.unwrap_err().to_string().contains("a number"));
    }

    #[test]
    fn link_header_next_is_found_among_rels() {
        let h = r#"<https://a/x?page=1>; rel="first", <https://a/x?page=3>; rel="next", <https://a/x?page=9>; rel="last""#;
        assert_eq!(link_next(h).as_deref(), Some("https://a/x?page=3"));
        assert_eq!(link_next(r#"<https://a/x?page=1>; rel="prev first""#), None);
        assert_eq!(
            link_next(r#"<u2>; title="a,b"; rel="prev next""#).as_deref(),
            Some("u2")
        );
    }
}
