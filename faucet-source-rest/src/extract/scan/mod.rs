//! The fast route through a page body: one pass of serde_json that
//! follows a handful of simple paths at once and keeps what they find as
//! borrowed [`RawValue`]s (slices of the body). No tree is built: values
//! off the paths are skipped (and so checked) without being parsed, and
//! the records are kept as the text of each one.
//!
//! The paths are merged into a [`Trie`]. Walking a value along it:
//! - a node only the records end at, with nothing below it, reads the
//!   array's items straight from the stream;
//! - a node only passed through is visited as a map or sequence whose
//!   entries go down the matching child (or are skipped); below an index
//!   from the end, the array's items are kept first, then the paths
//!   walk the chosen ones again;
//! - any other node (a value wanted, a value wanted *and* passed through,
//!   an item two paths meet at) keeps its value's text, and walks that
//!   text again when paths go on below it: a second pass over that value
//!   only.
//!
//! Keys that repeat keep the last value, as a `serde_json` tree does: a
//! path's findings are cleared whenever its key comes again.

mod visit;

use serde::de::{self, DeserializeSeed, Deserializer};
use serde_json::value::RawValue;

use super::path::Segment;
use visit::{Descend, Items};

/// How the records are read at their node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Take {
    /// The value is an array of records.
    Items,
    /// The value is one record.
    Whole,
}

/// What was found where the records are.
#[derive(Debug)]
pub(crate) enum Found<'a> {
    /// The items of an array (for [`Take::Items`]).
    Items(Vec<&'a RawValue>),
    /// The value, for [`Take::Whole`].
    Whole(&'a RawValue),
    /// Not an array, for [`Take::Items`]: what it is instead.
    Kind(&'static str),
}

/// The findings of one scan.
#[derive(Debug)]
pub(crate) struct Scan<'a> {
    /// The value at each signal path, by slot.
    pub(crate) slots: Vec<Option<&'a RawValue>>,
    /// The records, if the records path was found.
    pub(crate) records: Option<Found<'a>>,
    /// The body's top-level keys, unique, in order, the first 20 (when the
    /// body is an object).
    pub(crate) keys: Vec<String>,
}

/// The paths of one scan, merged.
#[derive(Debug, Clone, Default)]
pub(crate) struct Trie {
    root: Node,
    slots: usize,
}

#[derive(Debug, Clone, Default)]
struct Node {
    /// Signal slots whose path ends here.
    slots: Vec<usize>,
    /// Whether the records path ends here, and how.
    records: Option<Take>,
    /// Slots whose paths pass through or end here (cleared on re-entry).
    below_slots: Vec<usize>,
    /// Whether the records path passes through or ends here.
    below_records: bool,
    children: Vec<(Segment, Node)>,
}

impl Node {
    fn child(&mut self, segment: &Segment) -> &mut Node {
        let at = match self.children.iter().position(|(s, _)| s == segment) {
            Some(at) => at,
            None => {
                self.children.push((segment.clone(), Node::default()));
                self.children.len() - 1
            }
        };
        &mut self.children[at].1
    }

    fn walk(&mut self, path: &[Segment], mut mark: impl FnMut(&mut Node)) -> &mut Node {
        let mut node = self;
        mark(node);
        for segment in path {
            node = node.child(segment);
            mark(node);
        }
        node
    }

    /// Whether the value itself is wanted (by a signal or the records).
    fn wants_itself(&self) -> bool {
        !self.slots.is_empty() || self.records.is_some()
    }

    /// Whether a child counts from the end (the items are kept first).
    fn counts_from_end(&self) -> bool {
        self.children
            .iter()
            .any(|(s, _)| matches!(s, Segment::FromEnd(_)))
    }
}

impl Trie {
    /// A trie of the records path and the signal paths (slot `i` is
    /// `signals[i]`; `None` paths are not looked for).
    pub(crate) fn new(records: Option<(&[Segment], Take)>, signals: &[Option<&[Segment]>]) -> Self {
        let mut root = Node::default();
        if let Some((path, take)) = records {
            root.walk(path, |n| n.below_records = true).records = Some(take);
        }
        for (slot, path) in signals.iter().enumerate() {
            if let Some(path) = path {
                root.walk(path, |n| n.below_slots.push(slot))
                    .slots
                    .push(slot);
            }
        }
        Self {
            root,
            slots: signals.len(),
        }
    }

    /// Walks `text` (one JSON value, whitespace around it allowed) along
    /// the paths; fails where `text` is not JSON.
    pub(crate) fn scan<'a>(&self, text: &'a str) -> serde_json::Result<Scan<'a>> {
        let mut out = Scan {
            slots: vec![None; self.slots],
            records: None,
            keys: Vec::new(),
        };
        let mut de = serde_json::Deserializer::from_str(text);
        At {
            node: &self.root,
            out: &mut out,
            root: true,
        }
        .deserialize(&mut de)?;
        de.end()?;
        Ok(out)
    }
}

/// The kind of the JSON value whose text is `text`, for messages.
pub(crate) fn kind_of(text: &[u8]) -> &'static str {
    match text.first() {
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        Some(b'"') => "a string",
        Some(b'[') => "an array",
        Some(b'{') => "an object",
        _ => "a number",
    }
}

/// Walking one value at `node`.
struct At<'n, 'o, 'a> {
    node: &'n Node,
    out: &'o mut Scan<'a>,
    root: bool,
}

impl<'a> At<'_, '_, 'a> {
    fn clear(&mut self) {
        for slot in &self.node.below_slots {
            self.out.slots[*slot] = None;
        }
        if self.node.below_records {
            self.out.records = None;
        }
    }

    /// Takes what this node wants from `raw`, then walks `raw` again for
    /// the paths below it.
    fn walk_text(self, raw: &'a RawValue) -> serde_json::Result<()> {
        let node = self.node;
        for slot in &node.slots {
            self.out.slots[*slot] = Some(raw);
        }
        let text = raw.get();
        match node.records {
            Some(Take::Whole) => self.out.records = Some(Found::Whole(raw)),
            Some(Take::Items) => {
                let keys = self.root.then_some(&mut self.out.keys);
                let mut de = serde_json::Deserializer::from_str(text);
                let found = (&mut de).deserialize_any(Items(keys))?;
                self.out.records = Some(found);
            }
            None => {}
        }
        if !node.children.is_empty() {
            let mut de = serde_json::Deserializer::from_str(text);
            (&mut de).deserialize_any(Descend {
                node,
                out: self.out,
                root: self.root,
            })?;
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for At<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(mut self, d: D) -> Result<(), D::Error> {
        self.clear();
        let node = self.node;
        if !node.wants_itself() {
            return d.deserialize_any(Descend {
                node,
                out: self.out,
                root: self.root,
            });
        }
        if node.records == Some(Take::Items) && node.slots.is_empty() && node.children.is_empty() {
            let keys = self.root.then_some(&mut self.out.keys);
            self.out.records = Some(d.deserialize_any(Items(keys))?);
            return Ok(());
        }
        let raw = <&RawValue as de::Deserialize>::deserialize(d)?;
        self.walk_text(raw).map_err(de::Error::custom)
    }
}
