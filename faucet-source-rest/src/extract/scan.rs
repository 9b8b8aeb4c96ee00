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
//!   entries go down the matching child (or are skipped);
//! - any other node (a value wanted *and* passed through, an index from the
//!   end, an item two paths meet at) keeps its value's text and walks
//!   that text again, which costs a second pass over that value only.
//!
//! Keys that repeat keep the last value, as a `serde_json` tree does: a
//! path's findings are cleared whenever its key comes again.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::path::Segment;

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

    /// Whether walking this node can skip keeping its value's text.
    fn streams(&self) -> bool {
        let wants_self = !self.slots.is_empty() || self.records.is_some();
        if wants_self {
            self.children.is_empty() && self.slots.is_empty()
        } else {
            !self
                .children
                .iter()
                .any(|(s, _)| matches!(s, Segment::FromEnd(_)))
        }
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
        if !node.streams() {
            let raw = <&RawValue as de::Deserialize>::deserialize(d)?;
            return self.walk_text(raw).map_err(de::Error::custom);
        }
        if node.records == Some(Take::Items) {
            let keys = self.root.then_some(&mut self.out.keys);
            self.out.records = Some(d.deserialize_any(Items(keys))?);
            return Ok(());
        }
        if node.records == Some(Take::Whole) {
            let raw = <&RawValue as de::Deserialize>::deserialize(d)?;
            self.out.records = Some(Found::Whole(raw));
            return Ok(());
        }
        d.deserialize_any(Descend {
            node,
            out: self.out,
            root: self.root,
        })
    }
}

/// A map or array passed through on the way to the paths below `node`.
struct Descend<'n, 'o, 'a> {
    node: &'n Node,
    out: &'o mut Scan<'a>,
    root: bool,
}

/// A key, borrowed from the body when it holds no escape.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

fn remember_key(keys: &mut Vec<String>, key: &str) {
    if keys.len() < 20 && !keys.iter().any(|k| k == key) {
        keys.push(key.to_owned());
    }
}

impl<'de> Visitor<'de> for Descend<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if self.root {
                remember_key(&mut self.out.keys, &key);
            }
            let child = self.node.children.iter().find_map(|(s, n)| match s {
                Segment::Key(k) if *k == key => Some(n),
                _ => None,
            });
            match child {
                Some(node) => map.next_value_seed(At {
                    node,
                    out: self.out,
                    root: false,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let children = &self.node.children;
        if !self.node.streams() {
            // An index from the end: the items first, then the paths.
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<&'de RawValue>()? {
                items.push(item);
            }
            for (segment, node) in children {
                let Some(i) = (0..items.len()).find(|i| segment.selects_item(*i, items.len()))
                else {
                    continue;
                };
                let mut at = At {
                    node,
                    out: self.out,
                    root: false,
                };
                at.clear();
                at.walk_text(items[i]).map_err(de::Error::custom)?;
            }
            return Ok(());
        }
        let mut i = 0;
        loop {
            let mut matching = children
                .iter()
                .filter(|(s, _)| s.selects_item(i, usize::MAX));
            let (first, second) = (matching.next(), matching.next());
            let more = match (first, second) {
                (None, _) => seq.next_element::<IgnoredAny>()?.is_some(),
                (Some((_, node)), None) => seq
                    .next_element_seed(At {
                        node,
                        out: self.out,
                        root: false,
                    })?
                    .is_some(),
                (Some(_), Some(_)) => match seq.next_element::<&'de RawValue>()? {
                    Some(raw) => {
                        for (_, node) in children
                            .iter()
                            .filter(|(s, _)| s.selects_item(i, usize::MAX))
                        {
                            let mut at = At {
                                node,
                                out: self.out,
                                root: false,
                            };
                            at.clear();
                            at.walk_text(raw).map_err(de::Error::custom)?;
                        }
                        true
                    }
                    None => false,
                },
            };
            if !more {
                return Ok(());
            }
            i += 1;
        }
    }
}

/// The records array's items, or what the value is instead.
struct Items<'k>(Option<&'k mut Vec<String>>);

impl<'de> Visitor<'de> for Items<'_> {
    type Value = Found<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Found<'de>, E> {
        Ok(Found::Kind("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Found<'de>, E> {
        Ok(Found::Kind("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Found<'de>, E> {
        Ok(Found::Kind("a number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Found<'de>, E> {
        Ok(Found::Kind("a number"))
    }
    fn visit_str<E>(self, _: &str) -> Result<Found<'de>, E> {
        Ok(Found::Kind("a string"))
    }
    fn visit_unit<E>(self) -> Result<Found<'de>, E> {
        Ok(Found::Kind("null"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Found<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            items.push(item);
        }
        Ok(Found::Items(items))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Found<'de>, A::Error> {
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if let Some(keys) = self.0.as_deref_mut() {
                remember_key(keys, &key);
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(Found::Kind("an object"))
    }
}
