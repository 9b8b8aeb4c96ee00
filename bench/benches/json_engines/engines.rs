//! One function per engine and task. Each returns a number derived from
//! all it parsed, so the optimiser cannot skip work.
//!
//! Tasks:
//! - **split**: find the page's records (`data`), as a source does;
//! - **fields**: split, then visit every top-level field of every record,
//!   reading each value (strings unescaped, numbers as text or value,
//!   nested objects and arrays as raw text where the engine can), as the
//!   PostgreSQL sink does.

use std::hint::black_box;

use faucet_core::Record;
use faucet_core::bytes::Bytes;
use faucet_core::record::ValueRef;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// `{"data": [...]}` with the records left as raw text (serde_json).
#[derive(Deserialize)]
struct RawPage<'a> {
    #[serde(borrow)]
    data: Vec<&'a RawValue>,
}

/// serde_json: the whole page as a `Value` tree.
pub(crate) fn serde_value_split(body: &[u8]) -> usize {
    let mut page: Value = serde_json::from_slice(body).expect("JSON");
    let records = page["data"].take();
    records.as_array().map_or(0, Vec::len)
}

/// serde_json: the tree, then every field of every record.
pub(crate) fn serde_value_fields(body: &[u8]) -> usize {
    let page: Value = serde_json::from_slice(body).expect("JSON");
    let mut n = 0;
    for record in page["data"].as_array().into_iter().flatten() {
        for (key, value) in record.as_object().into_iter().flatten() {
            n += key.len() + usize::from(black_box(value).is_null());
        }
    }
    n
}

/// What faucet does today: `Vec<&RawValue>` borrowed from the body, each
/// item made a [`Record`] sharing the body.
pub(crate) fn faucet_raw_split(body: &Bytes) -> Vec<Record> {
    let page: RawPage<'_> = serde_json::from_slice(body).expect("JSON");
    page.data
        .iter()
        .map(|raw| Record::from_raw(body, raw))
        .collect()
}

/// faucet today: the split, then [`Record::fields`] (core's scanner over
/// text that serde_json validated).
pub(crate) fn faucet_raw_fields(body: &Bytes) -> usize {
    let mut n = 0;
    for record in faucet_raw_split(body) {
        for field in record.fields().into_iter().flatten() {
            let (key, value) = field.expect("valid text");
            n += key.len() + value_weight(&value);
        }
    }
    n
}

fn value_weight(value: &ValueRef<'_>) -> usize {
    match value {
        ValueRef::Null => 0,
        ValueRef::Bool(b) => usize::from(*b),
        ValueRef::Number(n) => n.as_str().len(),
        ValueRef::String(s) => s.len(),
        ValueRef::Array(raw) | ValueRef::Object(raw) => {
            black_box(raw).raw_json().map_or(0, <[u8]>::len)
        }
    }
}

#[cfg(feature = "engines")]
pub(crate) mod sonic {
    //! sonic-rs: its lazy API (raw text of values, parsed on demand).

    use super::black_box;
    use sonic_rs::{JsonValueTrait, LazyValue};

    /// `{"data": [...]}` with the records as lazy values (validated).
    #[derive(serde::Deserialize)]
    struct LazyPage<'a> {
        #[serde(borrow)]
        data: Vec<LazyValue<'a>>,
    }

    /// Deserialises the page with the records as `LazyValue`s: the whole
    /// body is validated, like serde_json's `RawValue` split.
    pub(crate) fn split_validated(body: &[u8]) -> usize {
        let page: LazyPage<'_> = sonic_rs::from_slice(body).expect("JSON");
        page.data.iter().map(|r| r.as_raw_str().len()).sum()
    }

    /// `get(["data"])` then an array iterator: each record's raw text.
    pub(crate) fn split_lazy(body: &[u8]) -> usize {
        let data = sonic_rs::get(body, &["data"]).expect("a data array");
        let mut n = 0;
        for record in sonic_rs::to_array_iter(data.as_raw_str()) {
            n += record.expect("JSON").as_raw_str().len();
        }
        n
    }

    /// The lazy split, then an object iterator over every record: numbers
    /// and nested values as raw text, strings unescaped.
    pub(crate) fn fields(body: &[u8]) -> usize {
        let data = sonic_rs::get(body, &["data"]).expect("a data array");
        let mut n = 0;
        for record in sonic_rs::to_array_iter(data.as_raw_str()) {
            let record = record.expect("JSON");
            for field in sonic_rs::to_object_iter(record.as_raw_str()) {
                let (key, value) = field.expect("JSON");
                n += key.len()
                    + match value.as_str() {
                        Some(s) => s.len(),
                        None => black_box(value.as_raw_str()).len(),
                    };
            }
        }
        n
    }
}

#[cfg(feature = "engines")]
pub(crate) mod simd {
    //! simd-json: it parses in place, so each run copies the body first
    //! (faucet's bodies are shared, immutable `Bytes`).

    use simd_json::prelude::*;
    use simd_json::{BorrowedValue, Buffers};

    /// The page as a borrowed tree (strings borrowed where unescaped).
    pub(crate) fn borrowed_split(body: &[u8], buffers: &mut Buffers) -> usize {
        let mut copy = body.to_vec();
        let page = simd_json::to_borrowed_value_with_buffers(&mut copy, buffers).expect("JSON");
        page.get_array("data").map_or(0, Vec::len)
    }

    /// The borrowed tree, then every field of every record.
    pub(crate) fn borrowed_fields(body: &[u8], buffers: &mut Buffers) -> usize {
        let mut copy = body.to_vec();
        let page: BorrowedValue<'_> =
            simd_json::to_borrowed_value_with_buffers(&mut copy, buffers).expect("JSON");
        let mut n = 0;
        for record in page.get_array("data").into_iter().flatten() {
            for (key, value) in record.as_object().into_iter().flatten() {
                n += key.len() + value.as_str().map_or(1, str::len);
            }
        }
        n
    }

    /// The page as a tape (no tree; values are tape nodes).
    pub(crate) fn tape_split(body: &[u8], buffers: &mut Buffers) -> usize {
        let mut copy = body.to_vec();
        let tape = simd_json::to_tape_with_buffers(&mut copy, buffers).expect("JSON");
        let page = tape.as_value();
        page.get("data")
            .and_then(|d| d.as_array().map(|a| a.len()))
            .unwrap_or(0)
    }
}
