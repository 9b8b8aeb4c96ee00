//! Values inside one record (its replication key, the cursor taken from
//! the last record), read from the record's text where the path is simple:
//! the record's own fields through its borrowing view, a nested value by a
//! scan of that value's text. Only other paths parse the record to a tree
//! (kept nowhere).

use faucet_core::connector::ValueRef;
use faucet_core::{FaucetError, Record};
use serde_json::Value;

use super::JsonPath;
use super::path::Segment;
use super::scan::Trie;

/// The value at `path` in `record`; `None` when absent, or when it is a
/// number a tree cannot hold (such as `1e400`).
pub(crate) fn record_value(record: &Record, path: &JsonPath) -> Result<Option<Value>, FaucetError> {
    let simple = match path.segments() {
        Some([Segment::Key(first), rest @ ..]) if record.raw_json().is_some() => {
            Some((first, rest))
        }
        _ => None,
    };
    let Some((first, rest)) = simple else {
        return Ok(match record.raw_json() {
            Some(_) => path.get(&record.to_value()?).cloned(),
            None => path.get(record.value()?).cloned(),
        });
    };
    let Some(value) = record.field(first)? else {
        return Ok(None);
    };
    if rest.is_empty() {
        return Ok(value.to_value().ok());
    }
    let (ValueRef::Object(nested) | ValueRef::Array(nested)) = value else {
        return Ok(None);
    };
    let Some(text) = nested.raw_json() else {
        return Ok(None);
    };
    let text = std::str::from_utf8(text).map_err(|e| decode_error(e.to_string()))?;
    let scan = Trie::new(None, &[Some(rest)])
        .scan(text)
        .map_err(|e| decode_error(e.to_string()))?;
    Ok(scan.slots[0].and_then(|raw| serde_json::from_str(raw.get()).ok()))
}

fn decode_error(message: String) -> FaucetError {
    FaucetError::decode("record", message)
}
