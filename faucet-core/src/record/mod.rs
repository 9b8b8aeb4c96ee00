//! [`Record`]: one record, held as the JSON text it arrived as or as a
//! tree, parsed only as far as a stage needs.
//!
//! A source that reads JSON keeps each record as a slice of the page body
//! it came from ([`Record::from_raw`], [`Record::from_json`]): no tree is
//! built, numbers keep every digit, keys keep their order. A source that
//! builds values makes records from them ([`Record::from_value`], or
//! `.into()`). Sinks ask for what they need:
//!
//! - [`Record::write_json`]: the text on one line, as received when it
//!   holds no line break;
//! - [`Record::fields`]: top-level fields in order, borrowed, with nested
//!   objects and arrays as raw text and numbers as their exact text;
//! - [`Record::value`]: a `serde_json::Value` tree, parsed on first use and
//!   kept, for code that wants one.
//!
//! [`ObjectWriter`] builds a new object record from fields of others
//! without a tree, for transforms that select, rename or add fields.

mod fields;
mod index;
mod raw;
mod scan;
mod writer;

use std::fmt;
use std::sync::OnceLock;

use bytes::{BufMut, Bytes};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

pub use fields::{Fields, NestedRef, NumberRef, ValueRef};
use fields::{decode_error, parse_tree, write_text, write_tree};
use index::Index;
pub use raw::{FieldRun, RawField, RawFields};
pub use writer::ObjectWriter;

use crate::error::Result;

/// One record: usually a JSON object.
///
/// Cheap to clone (text records share the page body they came from).
/// Equality compares JSON values: a text record equals the tree it
/// parses to, so tests can compare records with `json!` values.
///
/// ```
/// use faucet_core::connector::*;
///
/// let body = bytes::Bytes::from_static(br#"{"id": 12345678901234567890123, "tags": ["a"]}"#);
/// let record = Record::from_json(body)?;
/// let mut fields = record.fields().expect("an object");
/// let (key, value) = fields.next().unwrap()?;
/// assert_eq!(key, "id");
/// let ValueRef::Number(id) = value else { panic!() };
/// assert_eq!(id.as_str(), "12345678901234567890123"); // every digit
/// assert_eq!(record["tags"][0], "a"); // a tree, on demand
/// # Ok::<(), FaucetError>(())
/// ```
#[derive(Clone)]
pub struct Record(Repr);

#[derive(Clone)]
enum Repr {
    Tree(Value),
    Text {
        json: Bytes,
        /// The tree, once asked for (boxed: most records never need one).
        tree: OnceLock<Box<std::result::Result<Value, String>>>,
        /// Where the fields of an object's text are, once a stage has
        /// looked (`None` inside: too long to index).
        index: OnceLock<Option<Index>>,
    },
}

impl Repr {
    /// A text record's representation.
    fn text(json: Bytes, index: Option<Index>) -> Self {
        Repr::Text {
            json,
            tree: OnceLock::new(),
            index: match index {
                Some(index) => OnceLock::from(Some(index)),
                None => OnceLock::new(),
            },
        }
    }
}

/// The index of an object's text, built on first use.
fn index_of<'a>(json: &[u8], index: &'a OnceLock<Option<Index>>) -> Option<&'a Index> {
    index.get_or_init(|| Index::build(json)).as_ref()
}

static NULL: Value = Value::Null;

impl Record {
    /// A record holding a tree.
    pub fn from_value(value: Value) -> Self {
        Record(Repr::Tree(value))
    }

    /// A record of one JSON value's text, checked to be JSON; whitespace
    /// around the value is dropped. The bytes are kept, not copied.
    pub fn from_json(json: impl Into<Bytes>) -> Result<Self> {
        let json = json.into();
        let raw: &RawValue = serde_json::from_slice(&json)
            .map_err(|e| decode_error(format!("not one JSON value: {e}")))?;
        Ok(Self::from_raw(&json, raw))
    }

    /// A record of a value that `serde_json` has found (and so checked)
    /// inside `body`, for example one item of a page's array read as
    /// `Vec<&RawValue>`. Shares `body` when `raw` lies inside it, else
    /// copies the text.
    pub fn from_raw(body: &Bytes, raw: &RawValue) -> Self {
        let text = raw.get().as_bytes();
        let inside = body.as_ptr_range().contains(&text.as_ptr())
            && text.as_ptr_range().end <= body.as_ptr_range().end;
        let json = if inside && !text.is_empty() {
            body.slice_ref(text)
        } else {
            Bytes::copy_from_slice(text)
        };
        Record(Repr::text(json, None))
    }

    /// The JSON text as received, for records made from text.
    pub fn raw_json(&self) -> Option<&[u8]> {
        match &self.0 {
            Repr::Text { json, .. } => Some(json),
            Repr::Tree(_) => None,
        }
    }

    /// Appends the record as JSON text on one line: the text as received
    /// when it holds no line break (byte for byte), else without
    /// insignificant whitespace; a tree is written compactly.
    pub fn write_json(&self, out: &mut impl BufMut) {
        match &self.0 {
            Repr::Text { json, index, .. } if Index::says_one_line(index) => out.put_slice(json),
            Repr::Text { json, .. } => write_text(json, out),
            Repr::Tree(value) => write_tree(value, out),
        }
    }

    /// The record's JSON text on one line (see [`Record::write_json`]);
    /// shares the received bytes when they are already one line.
    pub fn to_json_bytes(&self) -> Bytes {
        match &self.0 {
            Repr::Text { json, index, .. }
                if Index::says_one_line(index) || !scan::has_line_break(json) =>
            {
                json.clone()
            }
            _ => {
                let mut out = Vec::new();
                self.write_json(&mut out);
                out.into()
            }
        }
    }

    /// Whether the record is a JSON object.
    pub fn is_object(&self) -> bool {
        match &self.0 {
            Repr::Text { json, .. } => json.first() == Some(&b'{'),
            Repr::Tree(value) => value.is_object(),
        }
    }

    /// The top-level fields of an object record, in order, borrowed from
    /// the record; `None` when the record is not an object.
    ///
    /// A text record is read where an earlier stage found its fields
    /// (a transform, [`Record::field`]), else scanned; this pass does not
    /// keep what it finds, so a sink reading each record once pays for
    /// one scan and nothing more.
    pub fn fields(&self) -> Option<Fields<'_>> {
        match &self.0 {
            Repr::Text { json, index, .. } if json.first() == Some(&b'{') => {
                Some(match index.get() {
                    Some(Some(index)) => Fields::of_index(json, index),
                    _ => Fields::of_text(json),
                })
            }
            Repr::Tree(Value::Object(map)) => Some(Fields::of_tree(map)),
            _ => None,
        }
    }

    /// The top-level fields of a text object record where they are
    /// written, to copy the ones a transform keeps as text
    /// ([`FieldRun`], [`ObjectWriter::run`], [`ObjectWriter::field_as`]);
    /// `None` for a tree or a record that is not an object (use
    /// [`Record::fields`] then).
    ///
    /// The first call scans the text and keeps where the fields are, so
    /// later stages ([`Record::fields`], [`Record::field`], the next
    /// transform) do not scan it again.
    pub fn raw_fields(&self) -> Option<RawFields<'_>> {
        match &self.0 {
            Repr::Text { json, index, .. } if json.first() == Some(&b'{') => {
                Some(RawFields::of(json, index_of(json, index)))
            }
            _ => None,
        }
    }

    /// The value of the top-level field `name` (the last one, if the key
    /// repeats); `None` when absent or when the record is not an object.
    ///
    /// Like [`Record::raw_fields`], the first call on a text record keeps
    /// where its fields are, so looking up several fields scans it once.
    pub fn field(&self, name: &str) -> Result<Option<ValueRef<'_>>> {
        match &self.0 {
            Repr::Tree(value) => Ok(value.get(name).map(ValueRef::from_tree)),
            Repr::Text { json, index, .. } if json.first() == Some(&b'{') => {
                match index_of(json, index) {
                    Some(index) => index
                        .find_last(json, name)?
                        .map(|span| span.value(json))
                        .transpose(),
                    None => fields::field_of_text(json, name),
                }
            }
            Repr::Text { .. } => Ok(None),
        }
    }

    /// The record as a tree, parsed on first use and kept. Fails for text
    /// a tree cannot hold (a number beyond `f64`, such as `1e400`).
    pub fn value(&self) -> Result<&Value> {
        match &self.0 {
            Repr::Tree(value) => Ok(value),
            Repr::Text { json, tree, .. } => tree
                .get_or_init(|| Box::new(parse_tree(json).map_err(|e| e.to_string())))
                .as_ref()
                .as_ref()
                .map_err(|e| decode_error(e.clone())),
        }
    }

    /// The record as a tree, without keeping it in the record.
    pub fn to_value(&self) -> Result<Value> {
        match &self.0 {
            Repr::Tree(value) => Ok(value.clone()),
            Repr::Text { json, tree, .. } => match tree.get().map(|t| &**t) {
                Some(Ok(value)) => Ok(value.clone()),
                _ => parse_tree(json),
            },
        }
    }

    /// The record as a tree.
    pub fn into_value(self) -> Result<Value> {
        match self.0 {
            Repr::Tree(value) => Ok(value),
            Repr::Text { json, tree, .. } => match tree.into_inner().map(|t| *t) {
                Some(Ok(value)) => Ok(value),
                _ => parse_tree(&json),
            },
        }
    }
}

impl From<Value> for Record {
    fn from(value: Value) -> Self {
        Record::from_value(value)
    }
}

impl PartialEq for Record {
    fn eq(&self, other: &Record) -> bool {
        if let (Some(a), Some(b)) = (self.raw_json(), other.raw_json())
            && a == b
        {
            return true;
        }
        match (self.value(), other.value()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

impl PartialEq<Value> for Record {
    fn eq(&self, other: &Value) -> bool {
        self.value().is_ok_and(|v| v == other)
    }
}

impl PartialEq<Record> for Value {
    fn eq(&self, other: &Record) -> bool {
        other == self
    }
}

impl<I: serde_json::value::Index> std::ops::Index<I> for Record {
    type Output = Value;

    /// Indexes the record's tree like `serde_json::Value` does: `Null` for
    /// a missing key, an index out of range, or text a tree cannot hold.
    fn index(&self, index: I) -> &Value {
        self.value()
            .ok()
            .and_then(|v| index.index_into(v))
            .unwrap_or(&NULL)
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Record(")?;
        fmt::Display::fmt(self, f)?;
        f.write_str(")")
    }
}

impl fmt::Display for Record {
    /// The record as JSON text on one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.write_json(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Tree(value) => value.serialize(serializer),
            Repr::Text { json, .. } => {
                let raw: &RawValue =
                    serde_json::from_slice(json).map_err(serde::ser::Error::custom)?;
                raw.serialize(serializer)
            }
        }
    }
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Record::from_value)
    }
}

#[cfg(test)]
mod tests;
