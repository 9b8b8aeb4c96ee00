//! A borrowing view of a record's fields: top-level fields in order,
//! strings unescaped only when they hold escapes, numbers as their exact
//! text, nested objects and arrays as raw sub-slices. Nothing is allocated
//! for a record of plain fields.

use std::borrow::Cow;

use bytes::BufMut;
use serde_json::{Map, Value};

use super::index::Index;
use super::scan::{Span, has_line_break, minify, next_span, splat, zero_byte};
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
            ValueRef::String(s) => {
                write_str(s, out);
            }
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
    Text {
        text: &'a [u8],
        at: usize,
    },
    Indexed {
        text: &'a [u8],
        index: &'a Index,
        at: usize,
    },
    Tree(serde_json::map::Iter<'a>),
}

impl<'a> Fields<'a> {
    pub(crate) fn of_text(text: &'a [u8]) -> Self {
        // `at` is just inside the opening brace.
        Fields(FieldsRepr::Text { text, at: 1 })
    }

    /// The fields of an object's text, where `index` says they are.
    pub(super) fn of_index(text: &'a [u8], index: &'a Index) -> Self {
        Fields(FieldsRepr::Indexed { text, index, at: 0 })
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
                let span = next_span(text, at)?;
                Some(span.field(text))
            }
            FieldsRepr::Indexed { text, index, at } => {
                let span = index.get(*at)?;
                *at += 1;
                Some(span.field(text))
            }
        }
    }
}

impl Span {
    #[inline]
    pub(super) fn key<'a>(&self, text: &'a [u8]) -> Result<Cow<'a, str>> {
        let quoted = &text[self.key.0..self.key.1];
        if self.key_escaped {
            unescape(quoted)
        } else {
            utf8(inner(quoted)).map(Cow::Borrowed)
        }
    }

    /// Whether the key is `name` (compared as written when it holds no
    /// escape: nothing is allocated).
    #[inline(always)]
    pub(super) fn key_is(&self, text: &[u8], name: &str) -> Result<bool> {
        if self.key_escaped {
            return Ok(self.key(text)? == name);
        }
        // Between the quotes (a key's span holds both).
        let written = text.get(self.key.0 + 1..self.key.1.saturating_sub(1));
        Ok(written.is_some_and(|k| same_bytes(k, name.as_bytes())))
    }

    /// The field's key and value.
    #[inline]
    fn field<'a>(&self, text: &'a [u8]) -> Result<(Cow<'a, str>, ValueRef<'a>)> {
        Ok((self.key(text)?, self.value(text)?))
    }

    #[inline]
    pub(super) fn value<'a>(&self, text: &'a [u8]) -> Result<ValueRef<'a>> {
        let value = &text[self.value.0..self.value.1];
        match self.value_escaped {
            // A plain string is borrowed without looking for an escape again.
            Some(false) => utf8(inner(value)).map(|s| ValueRef::String(Cow::Borrowed(s))),
            _ => ValueRef::from_text(value),
        }
    }
}

/// Whether `a` and `b` are the same bytes: keys are short, and for up to
/// sixteen bytes two overlapping word loads on each side decide it
/// without a call to `memcmp`.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    fn ends<const N: usize>(s: &[u8]) -> Option<(&[u8; N], &[u8; N])> {
        Some((s.first_chunk()?, s.last_chunk()?))
    }
    match n {
        4..8 => ends::<4>(a) == ends::<4>(b),
        8..=16 => ends::<8>(a) == ends::<8>(b),
        _ => a == b,
    }
}

/// The text between a string's quotes.
#[inline]
fn inner(quoted: &[u8]) -> &[u8] {
    &quoted[1..quoted.len().saturating_sub(1).max(1)]
}

/// The value of field `name` of an object's text (the last, if the key
/// repeats): keys are compared as written and only the match's value is
/// read.
pub(crate) fn field_of_text<'a>(text: &'a [u8], name: &str) -> Result<Option<ValueRef<'a>>> {
    let mut at = 1;
    let mut found = None;
    while let Some(span) = next_span(text, &mut at) {
        if span.key_is(text, name)? {
            found = Some(span);
        }
    }
    found.map(|span| span.value(text)).transpose()
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

/// Whether `bytes` holds a byte JSON must escape in a string: a control
/// character, `"` or `\\`. Eight bytes at a time (SWAR): the common
/// string needs none, and a byte loop with an early exit was a twentieth
/// of a transform's time.
fn needs_escape(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        // Bytes below 0x20 (only those have all of bits 5–7 clear).
        let control = zero_byte(x & splat(0xE0));
        let quote = zero_byte(x ^ splat(b'"'));
        let backslash = zero_byte(x ^ splat(b'\\'));
        if control | quote | backslash != 0 {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// Writes `s` as a JSON string: copied between quotes when it needs no
/// escape (the common case), else escaped by serde_json. Whether it was
/// escaped (the text holds a backslash).
pub(crate) fn write_str(s: &str, out: &mut impl BufMut) -> bool {
    if !needs_escape(s.as_bytes()) {
        out.put_u8(b'"');
        out.put_slice(s.as_bytes());
        out.put_u8(b'"');
        return false;
    }
    let written = serde_json::to_writer(BufMut::writer(&mut *out), s);
    debug_assert!(written.is_ok());
    true
}

#[cfg(test)]
mod escape_tests {
    use super::{needs_escape, same_bytes};

    /// The word-at-a-time comparison agrees with `==` for every length
    /// up to 24 and a difference at every position.
    #[test]
    fn same_bytes_agrees_with_eq() {
        for len in 0..24usize {
            let a: Vec<u8> = (0..len as u8).collect();
            assert!(same_bytes(&a, &a.clone()));
            assert!(!same_bytes(&a, &a[..len.saturating_sub(1)]) || len == 0);
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 0x40;
                assert!(!same_bytes(&a, &b), "{at} of {len}");
            }
        }
    }

    /// The eight-at-a-time check agrees with a byte loop for every byte
    /// at every position of strings of every length up to 24.
    #[test]
    fn needs_escape_agrees_with_a_byte_loop() {
        let naive = |b: &[u8]| b.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\');
        for len in 0..24 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut text = vec![b'a'; len];
                    text[at] = byte;
                    assert_eq!(
                        needs_escape(&text),
                        naive(&text),
                        "{byte:#x} at {at} of {len}"
                    );
                }
            }
        }
    }
}
