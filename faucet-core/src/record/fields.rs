//! A borrowing view of a record's fields: top-level fields in order,
//! strings unescaped only when they hold escapes, numbers as their exact
//! text, nested objects and arrays as raw sub-slices. Nothing is allocated
//! for a record of plain fields.

use std::borrow::Cow;

use bytes::BufMut;
use serde_json::{Map, Value};

use super::scan::{has_line_break, minify, skip_ws, string_end, value_end};
use crate::error::{FaucetError, Result};

/// One JSON value of a record, borrowed from its text or its tree.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueRef<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written.
    Number(NumberRef<'a>),
    /// A string, unescaped.
    String(Cow<'a, str>),
    /// An array, unparsed.
    Array(NestedRef<'a>),
    /// An object, unparsed.
    Object(NestedRef<'a>),
}

impl<'a> ValueRef<'a> {
    /// Whether the value is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, ValueRef::Null)
    }

    /// The value as a `bool`, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            ValueRef::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The value as a string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ValueRef::String(s) => Some(s),
            _ => None,
        }
    }

    /// Appends the value as compact JSON text.
    pub fn write_json(&self, out: &mut impl BufMut) {
        match self {
            ValueRef::Null => out.put_slice(b"null"),
            ValueRef::Bool(b) => out.put_slice(if *b { b"true" } else { b"false" }),
            ValueRef::Number(n) => out.put_slice(n.as_str().as_bytes()),
            ValueRef::String(s) => write_str(s, out),
            ValueRef::Array(n) | ValueRef::Object(n) => n.write_json(out),
        }
    }

    /// The value as a `serde_json::Value` (numbers beyond `f64` fail).
    pub fn to_value(&self) -> Result<Value> {
        Ok(match self {
            ValueRef::Null => Value::Null,
            ValueRef::Bool(b) => Value::Bool(*b),
            ValueRef::Number(n) => match n.0 {
                NumberRepr::Tree(n) => Value::Number(n.clone()),
                NumberRepr::Text(t) => parse_tree(t.as_bytes())?,
            },
            ValueRef::String(s) => Value::String(s.to_string()),
            ValueRef::Array(n) | ValueRef::Object(n) => n.to_value()?,
        })
    }

    pub(crate) fn from_tree(value: &'a Value) -> Self {
        match value {
            Value::Null => ValueRef::Null,
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::Number(n) => ValueRef::Number(NumberRef(NumberRepr::Tree(n))),
            Value::String(s) => ValueRef::String(Cow::Borrowed(s)),
            Value::Array(_) => ValueRef::Array(NestedRef(NestedRepr::Tree(value))),
            Value::Object(_) => ValueRef::Object(NestedRef(NestedRepr::Tree(value))),
        }
    }

    /// Classifies the value whose text is `text` (one complete value).
    pub(crate) fn from_text(text: &'a [u8]) -> Result<Self> {
        Ok(match text.first() {
            Some(b'n') => ValueRef::Null,
            Some(b't') => ValueRef::Bool(true),
            Some(b'f') => ValueRef::Bool(false),
            Some(b'"') => ValueRef::String(unescape(text)?),
            Some(b'[') => ValueRef::Array(NestedRef(NestedRepr::Text(text))),
            Some(b'{') => ValueRef::Object(NestedRef(NestedRepr::Text(text))),
            _ => ValueRef::Number(NumberRef(NumberRepr::Text(utf8(text)?))),
        })
    }
}

/// A number as the source wrote it (text records) or as a tree holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumberRef<'a>(NumberRepr<'a>);

#[derive(Debug, Clone, Copy, PartialEq)]
enum NumberRepr<'a> {
    Text(&'a str),
    Tree(&'a serde_json::Number),
}

impl NumberRef<'_> {
    /// The number's text: exactly as received for text records, so a
    /// 38-digit decimal or `1e400` keeps every digit.
    pub fn as_str(&self) -> Cow<'_, str> {
        match self.0 {
            NumberRepr::Text(t) => Cow::Borrowed(t),
            NumberRepr::Tree(n) => Cow::Owned(n.to_string()),
        }
    }

    /// Whether the number is written without a fraction or exponent.
    pub fn is_integer(&self) -> bool {
        match self.0 {
            NumberRepr::Text(t) => !t.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')),
            NumberRepr::Tree(n) => n.is_i64() || n.is_u64(),
        }
    }

    /// The number as an `i64`, when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            NumberRepr::Text(t) => t.parse().ok(),
            NumberRepr::Tree(n) => n.as_i64(),
        }
    }

    /// The number as a `u64`, when it is a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        match self.0 {
            NumberRepr::Text(t) => t.parse().ok(),
            NumberRepr::Tree(n) => n.as_u64(),
        }
    }

    /// The number as a finite `f64` (rounded); `None` beyond its range.
    pub fn as_f64(&self) -> Option<f64> {
        match self.0 {
            NumberRepr::Text(t) => t.parse::<f64>().ok().filter(|f| f.is_finite()),
            NumberRepr::Tree(n) => n.as_f64(),
        }
    }
}

/// A nested object or array, as text or as a tree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NestedRef<'a>(NestedRepr<'a>);

#[derive(Debug, Clone, Copy, PartialEq)]
enum NestedRepr<'a> {
    Text(&'a [u8]),
    Tree(&'a Value),
}

impl NestedRef<'_> {
    /// The JSON text as received, for text records.
    pub fn raw_json(&self) -> Option<&[u8]> {
        match self.0 {
            NestedRepr::Text(t) => Some(t),
            NestedRepr::Tree(_) => None,
        }
    }

    /// Appends the value as JSON text on one line: the text as received
    /// when it holds no line break, else without insignificant whitespace.
    pub fn write_json(&self, out: &mut impl BufMut) {
        match self.0 {
            NestedRepr::Text(t) => write_text(t, out),
            NestedRepr::Tree(v) => write_tree(v, out),
        }
    }

    /// The value as a tree.
    pub fn to_value(&self) -> Result<Value> {
        match self.0 {
            NestedRepr::Text(t) => parse_tree(t),
            NestedRepr::Tree(v) => Ok(v.clone()),
        }
    }
}

/// The top-level fields of an object record, in the order they appear. A
/// key that appears twice is visited twice; consumers that keep one value
/// per key keep the last, as `serde_json` and PostgreSQL `jsonb` do.
#[derive(Debug)]
pub struct Fields<'a>(FieldsRepr<'a>);

#[derive(Debug)]
enum FieldsRepr<'a> {
    Text { text: &'a [u8], at: usize },
    Tree(serde_json::map::Iter<'a>),
}

impl<'a> Fields<'a> {
    pub(crate) fn of_text(text: &'a [u8]) -> Self {
        // `at` is just inside the opening brace.
        Fields(FieldsRepr::Text { text, at: 1 })
    }

    pub(crate) fn of_tree(map: &'a Map<String, Value>) -> Self {
        Fields(FieldsRepr::Tree(map.iter()))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(Cow<'a, str>, ValueRef<'a>)>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            FieldsRepr::Tree(iter) => iter
                .next()
                .map(|(k, v)| Ok((Cow::Borrowed(k.as_str()), ValueRef::from_tree(v)))),
            FieldsRepr::Text { text, at } => {
                let text: &'a [u8] = text;
                let mut i = skip_ws(text, *at);
                if text.get(i) == Some(&b',') {
                    i = skip_ws(text, i + 1);
                }
                if text.get(i) != Some(&b'"') {
                    // The closing brace (or the end of the text).
                    *at = text.len();
                    return None;
                }
                let key_end = string_end(text, i);
                let key = &text[i..key_end];
                let colon = skip_ws(text, key_end);
                let start = skip_ws(text, colon + 1);
                let end = value_end(text, start);
                *at = end;
                let field = unescape(key).and_then(|key| {
                    ValueRef::from_text(&text[start..end]).map(|value| (key, value))
                });
                Some(field)
            }
        }
    }
}

/// A string's text (with its quotes) unescaped; borrowed when it holds no
/// escape.
fn unescape(quoted: &[u8]) -> Result<Cow<'_, str>> {
    let inner = &quoted[1..quoted.len().saturating_sub(1).max(1)];
    if memchr::memchr(b'\\', inner).is_none() {
        return utf8(inner).map(Cow::Borrowed);
    }
    serde_json::from_slice::<String>(quoted)
        .map(Cow::Owned)
        .map_err(|e| decode_error(format!("a string cannot be read: {e}")))
}

/// A piece of a record's text as `&str`, without checking it again.
///
/// A text record's bytes are valid UTF-8 by construction: `Record::from_raw`
/// takes a serde_json `&RawValue` (a `str`), `Record::from_json` goes
/// through it, and `ObjectWriter` writes only `str` pieces and such text.
/// The pieces taken here start and end at ASCII delimiters (quotes,
/// commas, brackets, whitespace), which are character boundaries, so every
/// piece is valid UTF-8 too. Checking each key and value again cost about
/// a tenth of the PostgreSQL sink's encoding time.
fn utf8(text: &[u8]) -> Result<&str> {
    debug_assert!(std::str::from_utf8(text).is_ok());
    // SAFETY: see above: record text is valid UTF-8 and `text` is a piece
    // of it cut at character boundaries.
    Ok(unsafe { std::str::from_utf8_unchecked(text) })
}

pub(crate) fn parse_tree(text: &[u8]) -> Result<Value> {
    serde_json::from_slice(text).map_err(|e| {
        decode_error(format!(
            "the record is valid JSON but cannot be read as a serde_json tree: {e}"
        ))
    })
}

pub(crate) fn decode_error(message: String) -> FaucetError {
    FaucetError::decode("record", message)
}

pub(crate) fn write_text(text: &[u8], out: &mut impl BufMut) {
    if has_line_break(text) {
        minify(text, out);
    } else {
        out.put_slice(text);
    }
}

pub(crate) fn write_tree(value: &Value, out: &mut impl BufMut) {
    // Writing a tree into memory cannot fail: its keys are strings.
    let written = serde_json::to_writer(BufMut::writer(&mut *out), value);
    debug_assert!(written.is_ok());
}

/// Writes `s` as a JSON string: copied between quotes when it needs no
/// escape (the common case), else escaped by serde_json.
pub(crate) fn write_str(s: &str, out: &mut impl BufMut) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.put_u8(b'"');
        out.put_slice(s.as_bytes());
        out.put_u8(b'"');
        return;
    }
    let written = serde_json::to_writer(BufMut::writer(&mut *out), s);
    debug_assert!(written.is_ok());
}
