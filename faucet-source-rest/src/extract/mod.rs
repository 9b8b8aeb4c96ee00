//! Decoding one response: check it is a page of the configured shape,
//! find its records and the pagination values in one pass (a tree only
//! for paths that need one, see [`route`]), filter by replication key.

mod field;
mod link;
mod path;
mod route;
mod scan;
mod shape;

use std::sync::OnceLock;

use bytes::Bytes;
use faucet_core::{FaucetError, Record};
use serde_json::Value;

pub(crate) use link::{join_lines, link_next};
pub(crate) use path::JsonPath;
pub(crate) use shape::{RecordsSpec, header_total};
use shape::{as_count, as_text, kind};

use crate::incremental::{Threshold, newer};
use field::record_value;
use scan::{Trie, kind_of};

/// What to read from each response.
#[derive(Debug, Clone, Default)]
pub(crate) struct DecodeSpec {
    pub(crate) records: RecordsSpec,
    pub(crate) cursor: Option<JsonPath>,
    /// The cursor is this field of the page's last record.
    pub(crate) cursor_from_last: Option<JsonPath>,
    pub(crate) next_url: Option<JsonPath>,
    pub(crate) has_more: Option<JsonPath>,
    pub(crate) total: Option<JsonPath>,
    pub(crate) total_pages: Option<JsonPath>,
    pub(crate) replication_key: Option<JsonPath>,
    /// The scan of the paths above, made on first use; `None` inside when
    /// a path needs a tree of the page.
    trie: OnceLock<Option<Trie>>,
}

impl DecodeSpec {
    /// The page-level paths: cursor, next URL, has-more, total, total
    /// pages.
    fn signals(&self) -> [Option<&JsonPath>; 5] {
        [
            self.cursor.as_ref(),
            self.next_url.as_ref(),
            self.has_more.as_ref(),
            self.total.as_ref(),
            self.total_pages.as_ref(),
        ]
    }

    fn trie(&self) -> Option<&Trie> {
        self.trie.get_or_init(|| route::trie_for(self)).as_ref()
    }
}

/// One decoded page.
#[derive(Debug, Default)]
pub(crate) struct Decoded {
    /// The page's URL, redacted.
    pub(crate) url: String,
    pub(crate) records: Vec<Record>,
    pub(crate) cursor: Option<String>,
    pub(crate) next_url: Option<String>,
    /// Whether the body holds the cursor or next-URL field at all, `null`
    /// or empty included: an API that writes `"next_cursor": null` says
    /// the stream ends there.
    pub(crate) next_stated: bool,
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

/// Why a 2xx body could not be used.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// The body is not a page (malformed, truncated, HTML, empty, of the
    /// wrong shape): worth requesting again.
    NotAPage(String),
    /// A page whose records are unusable (e.g. a record that is not an
    /// object under a replication key): the same again would fail again.
    Records(FaucetError),
}

/// Says what the body is when it cannot be JSON at all.
fn check_body(body: &[u8], content_type: Option<&str>) -> Result<(), BodyError> {
    let text = body.trim_ascii_start();
    if text.is_empty() {
        return Err(BodyError::NotAPage("the body is empty".into()));
    }
    let html = content_type.is_some_and(|c| c.contains("html"))
        || text.starts_with(b"<!")
        || text.starts_with(b"<html")
        || text.starts_with(b"<HTML");
    if html {
        let ct = content_type.unwrap_or("no content type");
        return Err(BodyError::NotAPage(format!(
            "the server answered HTML ({ct}), not JSON"
        )));
    }
    Ok(())
}

/// Decodes `body` from `url`: one pass, records kept as slices of it.
pub(crate) fn decode(
    body: &Bytes,
    url: &str,
    content_type: Option<&str>,
    spec: &DecodeSpec,
    threshold: Option<&Threshold>,
) -> Result<Decoded, BodyError> {
    check_body(body, content_type)?;
    let scanned = match spec.trie() {
        Some(trie) => route::read_text(body, spec, trie)?,
        None => None,
    };
    let (records, signals) = match scanned {
        Some(read) => read,
        None => route::read_tree(body, spec)?,
    };
    let [cursor, next_url, has_more, total, total_pages] = signals;
    let mut page = Decoded {
        url: url.to_owned(),
        cursor: as_text(cursor.as_ref()),
        next_url: as_text(next_url.as_ref()),
        next_stated: cursor.is_some() || next_url.is_some(),
        has_more: has_more.as_ref().and_then(Value::as_bool),
        total: as_count(total.as_ref()),
        total_pages: as_count(total_pages.as_ref()),
        body: body.clone(),
        bytes: body.len() as u64,
        ..Decoded::default()
    };
    if let Some(field) = &spec.cursor_from_last {
        page.cursor = match records.last() {
            Some(last) => as_text(
                record_value(last, field)
                    .map_err(BodyError::Records)?
                    .as_ref(),
            ),
            None => None,
        };
    }
    page.received = records.len();
    page.records = match &spec.replication_key {
        Some(key) => filter_by_key(records, key, threshold, url, &mut page.max_key)
            .map_err(BodyError::Records)?,
        None => records,
    };
    Ok(page)
}

/// What a record is, for messages.
fn record_kind(record: &Record) -> &'static str {
    match record.raw_json() {
        Some(text) => kind_of(text),
        None => record.value().map_or("a number", kind),
    }
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
            return Err(FaucetError::decode(
                url.to_owned(),
                format!(
                    "record {i} is {}, but the replication key `{}` needs an object",
                    record_kind(&record),
                    key.as_str()
                ),
            ));
        }
        let value = record_value(&record, key)?;
        let Some(value) = value.filter(|v| !v.is_null()) else {
            kept.push(record);
            continue;
        };
        if max.as_ref().is_none_or(|m| newer(&value, m)) {
            *max = Some(value.clone());
        }
        if threshold.is_none_or(|t| t.keeps(&value)) {
            kept.push(record);
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests;
