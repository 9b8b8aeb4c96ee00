//! [`Index`]: where each top-level field of a text object record lies,
//! found once and kept with the record, so the stages after the first
//! (transforms, then a sink's encoder) read fields without scanning the
//! text again. [`ObjectWriter`](super::ObjectWriter) writes the index of
//! the object it builds as it goes, so a rewritten record is never
//! scanned at all.

use super::scan::has_line_break;
use super::scan::{Span, next_span};

/// A field's [`Span`] in 20 bytes: offsets as `u32` (records longer than
/// 4 GiB are not indexed, only scanned), flags in one byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Packed {
    key: [u32; 2],
    value: [u32; 2],
    flags: u8,
}

const KEY_ESCAPED: u8 = 1;
const STRING: u8 = 2;
const STRING_ESCAPED: u8 = 4;
const COMPACT: u8 = 8;
/// Set on every field of an index whose record's text holds no line break.
const ONE_LINE: u8 = 16;

/// The largest text an index can describe.
const MAX_TEXT: usize = u32::MAX as usize;

impl Packed {
    /// Packs `span` of a text written on one line; `None` past
    /// [`MAX_TEXT`].
    fn of(span: &Span) -> Option<Self> {
        (span.value.1 <= MAX_TEXT).then(|| Self::within(span, ONE_LINE))
    }

    /// Packs `span` of a text no longer than [`MAX_TEXT`] (so every
    /// offset fits), adding `flags`.
    #[inline(always)]
    fn within(span: &Span, mut flags: u8) -> Self {
        debug_assert!(span.value.1 <= MAX_TEXT);
        if span.key_escaped {
            flags |= KEY_ESCAPED;
        }
        match span.value_escaped {
            Some(true) => flags |= STRING | STRING_ESCAPED,
            Some(false) => flags |= STRING,
            None => {}
        }
        if span.compact {
            flags |= COMPACT;
        }
        Self {
            key: [span.key.0 as u32, span.key.1 as u32],
            value: [span.value.0 as u32, span.value.1 as u32],
            flags,
        }
    }

    #[inline(always)]
    fn span(&self) -> Span {
        Span {
            key: (self.key[0] as usize, self.key[1] as usize),
            key_escaped: self.flags & KEY_ESCAPED != 0,
            value: (self.value[0] as usize, self.value[1] as usize),
            value_escaped: (self.flags & STRING != 0).then_some(self.flags & STRING_ESCAPED != 0),
            compact: self.flags & COMPACT != 0,
        }
    }
}

/// The fields of one object's text, in order (a repeated key each time).
/// A `Vec`, not a boxed slice: shrinking one to its length is a
/// reallocation, which cost more than a tenth of a rename.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Index(Vec<Packed>);

impl Index {
    /// Scans `text` (an object's, starting with `{`) once; `None` for a
    /// text too long to index.
    pub(super) fn build(text: &[u8]) -> Option<Self> {
        if text.len() > MAX_TEXT {
            return None;
        }
        let one_line = if !has_line_break(text) { ONE_LINE } else { 0 };
        let mut spans = Vec::with_capacity(8);
        let mut at = 1;
        while let Some(span) = next_span(text, &mut at) {
            spans.push(Packed::within(&span, one_line));
        }
        Some(Self(spans))
    }

    /// The span of field `i`.
    #[inline(always)]
    pub(super) fn get(&self, i: usize) -> Option<Span> {
        self.0.get(i).map(Packed::span)
    }

    /// Whether the text is known to hold no line break (not known for an
    /// object without fields).
    pub(super) fn one_line(&self) -> bool {
        self.0.first().is_some_and(|p| p.flags & ONE_LINE != 0)
    }

    /// Whether a record's index, if one was built, says its text is one
    /// line.
    pub(super) fn says_one_line(index: &std::sync::OnceLock<Option<Index>>) -> bool {
        index
            .get()
            .is_some_and(|i| i.as_ref().is_some_and(Index::one_line))
    }

    /// The spans of fields `from..=to`, shifted by `delta`, appended to
    /// `out`; `None` past [`MAX_TEXT`].
    pub(super) fn copy_shifted(
        &self,
        from: usize,
        to: usize,
        delta: isize,
        out: &mut Vec<Packed>,
    ) -> Option<()> {
        let spans = self.0.get(from..=to)?;
        // Offsets grow along the text: when the first key and the last
        // value fit once shifted, every offset between them does.
        let (first, last) = (spans.first()?, spans.last()?);
        let start = (i64::from(first.key[0])).checked_add(i64::try_from(delta).ok()?)?;
        let end = (i64::from(last.value[1])).checked_add(i64::try_from(delta).ok()?)?;
        if start < 0 || end > MAX_TEXT as i64 {
            return None;
        }
        let shift = |at: u32| (i64::from(at) + delta as i64) as u32;
        out.extend(spans.iter().map(|p| Packed {
            key: [shift(p.key[0]), shift(p.key[1])],
            value: [shift(p.value[0]), shift(p.value[1])],
            // The copy is on one line (a run with line breaks is written
            // field by field).
            flags: p.flags | ONE_LINE,
        }));
        Some(())
    }

    /// The span of the last field whose key is `name`.
    pub(super) fn find_last(&self, text: &[u8], name: &str) -> crate::error::Result<Option<Span>> {
        for packed in self.0.iter().rev() {
            let span = packed.span();
            if span.key_is(text, name)? {
                return Ok(Some(span));
            }
        }
        Ok(None)
    }
}

/// The index of an object being written: spans pushed as fields are
/// written, given up (`None`) when something is written it cannot follow.
#[derive(Debug)]
pub(super) struct IndexWriter {
    spans: Option<Vec<Packed>>,
}

impl IndexWriter {
    pub(super) fn new() -> Self {
        Self {
            spans: Some(Vec::with_capacity(8)),
        }
    }

    /// Adds a field written at `span` of the output.
    #[inline]
    pub(super) fn push(&mut self, span: &Span) {
        if let Some(spans) = &mut self.spans {
            match Packed::of(span) {
                Some(packed) => spans.push(packed),
                None => self.spans = None,
            }
        }
    }

    /// Adds fields `from..=to` of `index`, copied `delta` bytes further on.
    pub(super) fn copy(&mut self, index: &Index, from: usize, to: usize, delta: isize) {
        if let Some(spans) = &mut self.spans
            && index.copy_shifted(from, to, delta, spans).is_none()
        {
            self.spans = None;
        }
    }

    /// Gives up: the output's fields will be scanned when read.
    pub(super) fn abandon(&mut self) {
        self.spans = None;
    }

    /// The index of the finished object (written on one line).
    pub(super) fn finish(self) -> Option<Index> {
        self.spans.map(Index)
    }
}
