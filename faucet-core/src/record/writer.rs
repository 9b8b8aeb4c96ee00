//! [`ObjectWriter`]: builds an object record's text from fields, copying
//! raw values as they are, so a transform that selects, renames or adds
//! fields never builds a tree.

use bytes::BufMut;
use serde_json::Value;

use super::fields::{ValueRef, next_span, write_str, write_text, write_tree};
use super::raw::{FieldRun, RawField};
use super::{Record, Repr};

/// Writes a JSON object field by field, then gives it as a [`Record`].
///
/// Values taken from another record ([`ValueRef`]) are copied as their
/// text (numbers keep every digit, nested values their bytes, on one
/// line); keys and new values are written by serde_json. The result is
/// valid JSON by construction, so it is not parsed again.
///
/// ```
/// use faucet_core::connector::*;
/// use faucet_core::record::ObjectWriter;
///
/// let input = Record::from_json(r#"{"id": 12345678901234567890123, "name": "Ada", "x": 1}"#)?;
/// let mut out = ObjectWriter::new();
/// for field in input.fields().expect("an object") {
///     let (key, value) = field?;
///     match key.as_ref() {
///         "name" => out.field("full_name", &value), // renamed
///         "x" => continue,                          // dropped
///         _ => out.field(&key, &value),
///     };
/// }
/// out.value("source", &json!("api"));
/// let record = out.finish();
/// assert_eq!(
///     record.raw_json().unwrap(),
///     br#"{"id":12345678901234567890123,"full_name":"Ada","source":"api"}"#
/// );
/// # Ok::<(), FaucetError>(())
/// ```
#[derive(Debug)]
pub struct ObjectWriter {
    buf: Vec<u8>,
    empty: bool,
}

impl Default for ObjectWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl ObjectWriter {
    /// An empty object.
    pub fn new() -> Self {
        Self::with_capacity(128)
    }

    /// An empty object with room for `bytes` of text.
    pub fn with_capacity(bytes: usize) -> Self {
        let mut buf = Vec::with_capacity(bytes);
        buf.push(b'{');
        Self { buf, empty: true }
    }

    /// The comma before the next field (none before the first).
    fn separator(&mut self) {
        if !self.empty {
            self.buf.push(b',');
        }
        self.empty = false;
    }

    fn key(&mut self, key: &str) {
        self.separator();
        write_str(key, &mut self.buf);
        self.buf.push(b':');
    }

    /// Adds `key` with a value borrowed from a record, copied as text.
    pub fn field(&mut self, key: &str, value: &ValueRef<'_>) -> &mut Self {
        self.key(key);
        value.write_json(&mut self.buf);
        self
    }

    /// Adds the fields of `run`, as they are written in their record
    /// (escapes and digits as they are, nested values as their text), no
    /// key or value read: a compact run in one copy, else field by field
    /// without the whitespace around keys and colons. Text that spans
    /// lines (a pretty-printed record) loses its line breaks, so the
    /// object stays on one line.
    pub fn run(&mut self, run: &FieldRun<'_>) -> &mut Self {
        let Some((first, last, compact)) = run.parts() else {
            return self;
        };
        self.separator();
        let text = first.text;
        if compact {
            write_text(&text[first.span.key.0..last.span.value.1], &mut self.buf);
            return self;
        }
        let mut at = first.span.key.0;
        let mut comma = false;
        while at < last.span.value.1 {
            let Some(span) = next_span(text, &mut at) else {
                break;
            };
            if comma {
                self.buf.push(b',');
            }
            comma = true;
            self.buf.extend_from_slice(&text[span.key.0..span.key.1]);
            self.buf.push(b':');
            write_text(&text[span.value.0..span.value.1], &mut self.buf);
        }
        self
    }

    /// Adds `key` with the value of `field`, copied as written (on one
    /// line).
    pub fn field_as(&mut self, key: &str, field: &RawField<'_>) -> &mut Self {
        self.key(key);
        write_text(field.value_text(), &mut self.buf);
        self
    }

    /// Adds `key` with a value of a tree.
    pub fn value(&mut self, key: &str, value: &Value) -> &mut Self {
        self.key(key);
        write_tree(value, &mut self.buf);
        self
    }

    /// Adds `key` with JSON text that is already valid and on one line
    /// (e.g. another record's [`Record::to_json_bytes`]).
    pub fn raw(&mut self, key: &str, record: &Record) -> &mut Self {
        self.key(key);
        record.write_json(&mut self.buf);
        self
    }

    /// Closes the object and gives it as a text record.
    pub fn finish(mut self) -> Record {
        self.buf.put_u8(b'}');
        Record(Repr::Text {
            json: self.buf.into(),
            tree: std::sync::OnceLock::new(),
        })
    }
}
