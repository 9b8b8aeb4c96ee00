//! [`ObjectWriter`]: builds an object record's text from fields, copying
//! raw values as they are, so a transform that selects, renames or adds
//! fields never builds a tree.

use bytes::BufMut;
use serde_json::Value;

use super::fields::{ValueRef, write_str, write_text, write_tree};
use super::index::{Index, IndexWriter};
use super::raw::{FieldRun, RawField};
use super::scan::{Span, has_line_break, next_span};
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
    /// Where the fields written so far are, handed to the record.
    index: IndexWriter,
}

/// A key written: where its text lies, and whether it holds an escape.
struct Key {
    at: (usize, usize),
    escaped: bool,
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
        Self {
            buf,
            empty: true,
            index: IndexWriter::new(),
        }
    }

    /// The comma before the next field (none before the first).
    fn separator(&mut self) {
        if !self.empty {
            self.buf.push(b',');
        }
        self.empty = false;
    }

    fn key(&mut self, key: &str) -> Key {
        self.separator();
        let start = self.buf.len();
        let escaped = write_str(key, &mut self.buf);
        let key = Key {
            at: (start, self.buf.len()),
            escaped,
        };
        self.buf.push(b':');
        key
    }

    /// Notes the field of `key`, whose value is what was written since
    /// (`string`: for a string value, whether it holds an escape).
    fn written(&mut self, key: Key, string: Option<bool>) {
        self.index.push(&Span {
            key: key.at,
            key_escaped: key.escaped,
            value: (key.at.1 + 1, self.buf.len()),
            value_escaped: string,
            compact: true,
        });
    }

    /// Adds `key` with a value borrowed from a record, copied as text.
    pub fn field(&mut self, key: &str, value: &ValueRef<'_>) -> &mut Self {
        let key = self.key(key);
        let string = match value {
            ValueRef::String(s) => Some(write_str(s, &mut self.buf)),
            other => {
                other.write_json(&mut self.buf);
                None
            }
        };
        self.written(key, string);
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
        let (from, to) = (first.span.key.0, last.span.value.1);
        let indexed = first
            .indexed
            .zip(last.indexed)
            .map(|((index, i), (_, j))| (index, i, j));
        let one_line = indexed.is_some_and(|(index, ..)| index.one_line());
        if compact && (one_line || !has_line_break(&text[from..to])) {
            let delta = self.buf.len() as isize - from as isize;
            self.buf.extend_from_slice(&text[from..to]);
            match indexed {
                Some((index, i, j)) => self.index.copy(index, i, j, delta),
                None => self.index.abandon(),
            }
            return self;
        }
        let mut comma = false;
        let mut write = |span: Span, out: &mut Self| {
            if comma {
                out.buf.push(b',');
            }
            comma = true;
            let start = out.buf.len();
            out.buf.extend_from_slice(&text[span.key.0..span.key.1]);
            let key = Key {
                at: (start, out.buf.len()),
                escaped: span.key_escaped,
            };
            out.buf.push(b':');
            write_text(&text[span.value.0..span.value.1], &mut out.buf);
            out.written(key, span.value_escaped);
        };
        match indexed {
            Some((index, i, j)) => {
                for span in (i..=j).filter_map(|k| index.get(k)) {
                    write(span, self);
                }
            }
            None => {
                let mut at = from;
                while at < to {
                    let Some(span) = next_span(text, &mut at) else {
                        break;
                    };
                    write(span, self);
                }
            }
        }
        self
    }

    /// Adds `key` with the value of `field`, copied as written (on one
    /// line).
    pub fn field_as(&mut self, key: &str, field: &RawField<'_>) -> &mut Self {
        let key = self.key(key);
        write_text(field.value_text(), &mut self.buf);
        self.written(key, field.span.value_escaped);
        self
    }

    /// Adds `key` with a value of a tree.
    pub fn value(&mut self, key: &str, value: &Value) -> &mut Self {
        let key = self.key(key);
        let string = match value {
            Value::String(s) => Some(write_str(s, &mut self.buf)),
            other => {
                write_tree(other, &mut self.buf);
                None
            }
        };
        self.written(key, string);
        self
    }

    /// Adds `key` with JSON text that is already valid and on one line
    /// (e.g. another record's [`Record::to_json_bytes`]).
    pub fn raw(&mut self, key: &str, record: &Record) -> &mut Self {
        let key = self.key(key);
        let start = self.buf.len();
        record.write_json(&mut self.buf);
        let string = (self.buf.get(start) == Some(&b'"'))
            .then(|| memchr::memchr(b'\\', &self.buf[start..]).is_some());
        self.written(key, string);
        self
    }

    /// Closes the object and gives it as a text record, with where its
    /// fields are, so nothing after reads its text to find them.
    pub fn finish(mut self) -> Record {
        self.buf.put_u8(b'}');
        let index = self.index.finish();
        debug_assert!(
            index.is_none() || index == Index::build(&self.buf),
            "ObjectWriter's index of {} is not where its fields are",
            String::from_utf8_lossy(&self.buf)
        );
        // A boxed slice, not the `Vec`: `Bytes` of a `Vec` with room to
        // spare allocates a header for it, while shrinking the buffer is
        // done in place by the allocator when the estimate was close.
        Record(Repr::text(self.buf.into_boxed_slice().into(), index))
    }
}
