//! The two ways through a page body. A page whose paths are all simple
//! (names and indices) is scanned once and its records are slices of the
//! body ([`read_text`]), as are the items of `P[*]` with `P` simple when
//! they are an array's; otherwise (filters, wildcards, descendants) the
//! body is parsed to a tree that JSONPath queries ([`read_tree`]), which
//! costs a tree of every record and rounds numbers beyond `f64`.

use bytes::Bytes;
use faucet_core::Record;
use serde_json::Value;

use super::scan::{Take, Trie};
use super::shape::{pick_records, take_records};
use super::{BodyError, DecodeSpec};

/// The records and the page's signal values (in [`DecodeSpec::signals`]
/// order).
pub(super) type Read = (Vec<Record>, [Option<Value>; 5]);

/// The scan of `spec`'s paths, or `None` when one of them needs a tree.
pub(super) fn trie_for(spec: &DecodeSpec) -> Option<Trie> {
    let records = match &spec.records {
        super::RecordsSpec::Array(path) => (path.segments()?, Take::Items),
        super::RecordsSpec::Single(path) => (path.segments()?, Take::Whole),
        super::RecordsSpec::Each(path) => (path.items_of()?, Take::Items),
    };
    let mut signals = Vec::new();
    for path in spec.signals() {
        signals.push(match path {
            Some(path) => Some(path.segments()?),
            None => None,
        });
    }
    Some(Trie::new(Some(records), &signals))
}

/// One scan: records are slices of `body`, signals are parsed alone.
/// `None` for a page that needs a tree after all (`P[*]` where `P` is an
/// object).
pub(super) fn read_text(
    body: &Bytes,
    spec: &DecodeSpec,
    trie: &Trie,
) -> Result<Option<Read>, BodyError> {
    let text = std::str::from_utf8(body).map_err(|e| not_utf8(body, e))?;
    let scan = trie.scan(text).map_err(|e| scan_error(body, &e))?;
    let picked =
        pick_records(&spec.records, scan.records, text, &scan.keys).map_err(BodyError::NotAPage)?;
    let Some(raws) = picked else {
        return Ok(None);
    };
    let records = raws
        .into_iter()
        .map(|raw| Record::from_raw(body, raw))
        .collect();
    let signals = std::array::from_fn(|i| {
        scan.slots
            .get(i)
            .copied()
            .flatten()
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
    });
    Ok(Some((records, signals)))
}

/// A tree of the page: records are moved out of it.
pub(super) fn read_tree(body: &[u8], spec: &DecodeSpec) -> Result<Read, BodyError> {
    let mut doc: Value = serde_json::from_slice(body).map_err(|e| not_json(body, &e))?;
    let signals = spec.signals().map(|p| p.and_then(|p| p.get(&doc)).cloned());
    let records = take_records(&spec.records, &mut doc).map_err(BodyError::NotAPage)?;
    let records = records.into_iter().map(Record::from_value).collect();
    Ok((records, signals))
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

fn not_json(body: &[u8], err: &serde_json::Error) -> BodyError {
    let what = if err.is_eof() {
        "truncated JSON"
    } else {
        "invalid JSON"
    };
    BodyError::NotAPage(format!("{what} at byte {}: {err}", byte_offset(body, err)))
}

/// A body the scan refused: said as the tree route says it (the scan
/// places some errors a byte early), unless the tree stops earlier at a
/// number beyond `f64`, which the scan accepts.
fn scan_error(body: &[u8], err: &serde_json::Error) -> BodyError {
    match serde_json::from_slice::<Value>(body) {
        Err(e) if !e.to_string().starts_with("number out of range") => not_json(body, &e),
        _ => not_json(body, err),
    }
}

/// A body that is not UTF-8 is not JSON: the parser says where, as for
/// any other invalid JSON.
fn not_utf8(body: &[u8], err: std::str::Utf8Error) -> BodyError {
    match serde_json::from_slice::<Value>(body) {
        Err(e) => not_json(body, &e),
        Ok(_) => BodyError::NotAPage(format!(
            "invalid JSON at byte {}: the body is not UTF-8",
            err.valid_up_to()
        )),
    }
}
