//! [`RawField`]: a field of a text record where it is written, for
//! transforms that keep most of a record as it is: fields they do not
//! change are copied as text, runs of consecutive fields in one step
//! ([`FieldRun`], [`ObjectWriter::run`](super::ObjectWriter::run)), their
//! values never read.

use std::borrow::Cow;

use super::fields::ValueRef;
use super::index::Index;
use super::scan::{Span, next_span};
use crate::error::Result;

/// One top-level field of a text record, as it is written in the
/// record's text (see [`Record::raw_fields`](super::Record::raw_fields)).
#[derive(Debug, Clone, Copy)]
pub struct RawField<'a> {
    pub(super) text: &'a [u8],
    pub(super) span: Span,
    /// The record's index and the field's place in it, when indexed.
    pub(super) indexed: Option<(&'a Index, usize)>,
}

impl<'a> RawField<'a> {
    /// The field's key, unescaped (borrowed when it holds no escape).
    #[inline]
    pub fn key(&self) -> Result<Cow<'a, str>> {
        self.span.key(self.text)
    }

    /// Whether the key is `name`, compared as written when it holds no
    /// escape (nothing is allocated).
    #[inline]
    pub fn key_is(&self, name: &str) -> Result<bool> {
        self.span.key_is(self.text, name)
    }

    /// The field's value, borrowed as [`Record::fields`](super::Record::fields) gives it.
    #[inline]
    pub fn value(&self) -> Result<ValueRef<'a>> {
        self.span.value(self.text)
    }

    /// The value's JSON text as written (a nested value may span lines).
    pub fn value_text(&self) -> &'a [u8] {
        &self.text[self.span.value.0..self.span.value.1]
    }

    /// Whether the field is written without whitespace before its key or
    /// around its colon (as a compact API writes it).
    pub fn is_compact(&self) -> bool {
        self.span.compact
    }

    /// Whether `self` and `other` are fields of the same text.
    pub(super) fn same_text(&self, other: &RawField<'_>) -> bool {
        std::ptr::eq(self.text, other.text)
    }
}

/// The top-level fields of a text object record, in order, where they are
/// written (a repeated key is given each time).
#[derive(Debug, Clone)]
pub struct RawFields<'a> {
    text: &'a [u8],
    index: Option<&'a Index>,
    /// The next field's place in the index, else where to scan from.
    at: usize,
}

impl<'a> RawFields<'a> {
    /// The fields of an object's text (starting with `{`), from its
    /// index when it has one.
    pub(super) fn of(text: &'a [u8], index: Option<&'a Index>) -> Self {
        let at = if index.is_some() { 0 } else { 1 };
        Self { text, index, at }
    }
}

impl<'a> Iterator for RawFields<'a> {
    type Item = RawField<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<RawField<'a>> {
        let Some(index) = self.index else {
            let span = next_span(self.text, &mut self.at)?;
            return Some(RawField {
                text: self.text,
                span,
                indexed: None,
            });
        };
        let span = index.get(self.at)?;
        self.at += 1;
        Some(RawField {
            text: self.text,
            span,
            indexed: Some((index, self.at - 1)),
        })
    }
}

/// Consecutive fields of one text record, to copy in one step
/// ([`ObjectWriter::run`](super::ObjectWriter::run)).
#[derive(Debug, Clone, Copy, Default)]
pub struct FieldRun<'a> {
    ends: Option<(RawField<'a>, RawField<'a>)>,
    compact: bool,
}

impl<'a> FieldRun<'a> {
    /// Adds `field`, the field after the run's last (or its first).
    ///
    /// # Panics
    ///
    /// When `field` is from another record or does not come after the
    /// run's last field: the run would not be the record's text.
    #[inline]
    pub fn push(&mut self, field: RawField<'a>) {
        match &mut self.ends {
            Some((first, last)) => {
                assert!(
                    first.same_text(&field) && last.span.value.1 <= field.span.key.0,
                    "FieldRun::push takes the fields of one record in order"
                );
                *last = field;
                self.compact &= field.span.compact;
            }
            None => {
                self.ends = Some((field, field));
                self.compact = field.span.compact;
            }
        }
    }

    /// Whether the run holds no field.
    pub fn is_empty(&self) -> bool {
        self.ends.is_none()
    }

    /// The run, leaving an empty one in its place.
    pub fn take(&mut self) -> Self {
        std::mem::take(self)
    }

    /// The first and last field, and whether every field is compact.
    pub(super) fn parts(&self) -> Option<(RawField<'a>, RawField<'a>, bool)> {
        self.ends.map(|(first, last)| (first, last, self.compact))
    }
}
